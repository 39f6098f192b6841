import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { INotebookContent } from '@jupyterlab/nbformat'
import { benchNotebook } from './notebook-fixture.ts'

const ROOT = path.resolve(import.meta.dirname, '..', '..')

/** Where a y-websocket client connects for one document of a server under test. */
export interface Room {
  serverUrl: string
  roomname: string
  params: Record<string, string>
  headers: Record<string, string>
}

/** A collaboration server in its own process: the documents it holds and its memory. */
export interface ServerUnderTest {
  name: string
  pid: number
  /** Room of notebook `index` (in the order the server was given), opened the way its web client does. */
  open(index: number): Promise<Room>
  rssBytes(): number
  /** Asks the server to collect garbage before a memory reading, where it can be asked. */
  collectGarbage?(): Promise<void>
  stop(): Promise<void>
}

/** Resident memory of a process, from /proc. */
export function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) * 1024 : Number.NaN
}

/** Ours: bench/collab/our-server.ts in a child Node process (embedded mode: file-backed PGlite). */
export async function startOurs(sizes: number[]): Promise<ServerUnderTest> {
  const script = path.join(import.meta.dirname, 'our-server.ts')
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, BENCH_NOTEBOOKS: sizes.join(',') },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`our server exited with ${code}`)))
  })
  const info = JSON.parse(line) as { port: number; token: string; workspaceId: string; notebooks: string[] }
  return {
    name: 'workbench',
    pid: child.pid as number,
    open: async (index) => ({
      serverUrl: `ws://127.0.0.1:${info.port}/api/workspaces/${info.workspaceId}/notebooks`,
      roomname: `${info.notebooks[index]}/collab`,
      params: {},
      headers: { Authorization: `Bearer ${info.token}` },
    }),
    rssBytes: () => rssOf(child.pid as number),
    collectGarbage: async () => {
      child.stdin?.write('gc\n')
      await new Promise((r) => setTimeout(r, 500))
    },
    stop: () => stopChild(child),
  }
}

/**
 * The baseline: JupyterLab's collaboration server (jupyter-collaboration from pip, in its own venv under
 * .tools/, created by setup-jupyter-collab.sh), serving the same notebooks as .ipynb files.
 */
export async function startJupyterCollaboration(sizes: number[]): Promise<ServerUnderTest> {
  const venv = execFileSync(path.join(import.meta.dirname, 'setup-jupyter-collab.sh'), { encoding: 'utf8' }).trim()
  const home = mkdtempSync(path.join(os.tmpdir(), 'jupyter-collab-bench-'))
  const root = path.join(home, 'notebooks')
  execFileSync('mkdir', ['-p', root, path.join(home, 'config'), path.join(home, 'data'), path.join(home, 'runtime')])
  const files = sizes.map((size, i) => {
    const file = `n${i}-${size}.ipynb`
    writeFileSync(path.join(root, file), JSON.stringify(benchNotebook(size) satisfies INotebookContent))
    return file
  })
  const port = await freePort()
  const token = 'bench-token'
  const child = spawn(
    path.join(venv, 'bin', 'jupyter-server'),
    [
      `--port=${port}`,
      '--ip=127.0.0.1',
      `--ServerApp.root_dir=${root}`,
      `--IdentityProvider.token=${token}`,
      '--ServerApp.open_browser=False',
      // Containers and CI often run as root; the server refuses that unless told.
      '--allow-root',
      '--ServerApp.log_level=WARN',
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        JUPYTER_CONFIG_DIR: path.join(home, 'config'),
        JUPYTER_DATA_DIR: path.join(home, 'data'),
        JUPYTER_RUNTIME_DIR: path.join(home, 'runtime'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jupyter-server exited: ${stderr}`)
    const ok = await fetch(`${base}/api/status`, { headers: { Authorization: `token ${token}` } })
      .then((r) => r.ok)
      .catch(() => false)
    if (ok) break
    if (Date.now() > deadline) throw new Error(`jupyter-server did not start: ${stderr}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    name: 'jupyter-collaboration',
    pid: child.pid as number,
    open: async (index) => {
      // What JupyterLab does: ask for a document session, then join its room.
      const res = await fetch(`${base}/api/collaboration/session/${files[index]}`, {
        method: 'PUT',
        headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ format: 'json', type: 'notebook' }),
      })
      if (!res.ok) throw new Error(`session request failed: ${res.status} ${await res.text()}`)
      const session = (await res.json()) as { fileId: string; sessionId: string }
      return {
        serverUrl: `ws://127.0.0.1:${port}/api/collaboration/room`,
        roomname: `json:notebook:${session.fileId}`,
        params: { sessionId: session.sessionId, token },
        headers: {},
      }
    },
    rssBytes: () => rssOf(child.pid as number),
    stop: async () => {
      await stopChild(child)
      rmSync(home, { recursive: true, force: true })
    },
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  // Our pipes to the child would keep this process alive after the run.
  child.stdin?.destroy()
  child.stdout?.destroy()
  child.stderr?.destroy()
  if (child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
