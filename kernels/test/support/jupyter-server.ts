import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../../..')

export interface TestJupyterServer {
  baseUrl: string
  token: string
  /** Folder Jupyter serves (and kernels start in). */
  rootDir: string
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * A real Jupyter Server from the project venv, on a free port with a random token, its config and runtime
 * files in a throwaway folder. `extraArgs` pass server options (e.g. culling).
 */
export async function startJupyterServer(extraArgs: string[] = []): Promise<TestJupyterServer> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'kernels-jupyter-'))
  const rootDir = path.join(home, 'root')
  mkdirSync(rootDir)
  const port = await freePort()
  const token = randomBytes(16).toString('hex')
  const child: ChildProcess = spawn(
    path.join(ROOT, '.venv', 'bin', 'jupyter-server'),
    [
      '--no-browser',
      '--ServerApp.ip=127.0.0.1',
      `--ServerApp.port=${port}`,
      '--ServerApp.port_retries=0',
      `--ServerApp.root_dir=${rootDir}`,
      // As the workbench runs it: our per-cell output budget replaces Jupyter's IOPub rate limit, which
      // would otherwise stretch a runaway print loop to minutes (1 MB/s) and drop output silently.
      '--ZMQChannelsWebsocketConnection.iopub_data_rate_limit=0',
      '--ZMQChannelsWebsocketConnection.iopub_msg_rate_limit=0',
      // TCP_NODELAY on kernel websockets (python/workbench_jupyter): ~40 ms less per round trip.
      '--ServerApp.kernel_websocket_connection_class=workbench_jupyter.NoDelayWebsocketConnection',
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
      ...extraArgs,
    ],
    {
      env: {
        ...process.env,
        JUPYTER_TOKEN: token,
        PYTHONPATH: path.join(ROOT, 'python'),
        PYTHONUNBUFFERED: '1',
        JUPYTER_CONFIG_DIR: path.join(home, 'config'),
        JUPYTER_DATA_DIR: path.join(home, 'data'),
        JUPYTER_RUNTIME_DIR: path.join(home, 'runtime'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let log = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000)
  })
  const baseUrl = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }
    rmSync(home, { recursive: true, force: true })
  }
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    try {
      const res = await fetch(`${baseUrl}/api/status`, { headers: { Authorization: `token ${token}` } })
      if (res.ok) return { baseUrl, token, rootDir, stop }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await stop()
  throw new Error(`Jupyter Server did not start:\n${log}`)
}
