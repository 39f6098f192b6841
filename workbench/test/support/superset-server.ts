import { type ChildProcess, spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
// The bootstrap module is plain JS (it runs before node_modules exists); its exports are typed loosely here.
import {
  SUPERSET_ADMIN,
  SUPERSET_HOME,
  SUPERSET_TEMPLATE_DB,
  supersetEnv,
  supersetInstalled,
} from '../../../scripts/bootstrap/superset.mjs'
import { freePort } from '../../src/services/free-port.ts'

export interface SupersetServer {
  url: string
  admin: { username: string; password: string }
  stop(): Promise<void>
}

/**
 * A real Apache Superset (gunicorn, one worker) on a free loopback port, over a copy of the metadata template the
 * bootstrap migrated (`node scripts/bootstrap/superset.mjs`), so each test file starts from a clean Superset.
 */
export async function startSupersetServer(): Promise<SupersetServer> {
  if (!supersetInstalled())
    throw new Error('Superset is not installed: run `node scripts/bootstrap/superset.mjs` (or npm run bootstrap)')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'workbench-superset-'))
  const metadata = path.join(dir, 'superset.db')
  copyFileSync(SUPERSET_TEMPLATE_DB, metadata)
  const port = await freePort()
  const gunicorn = path.join(SUPERSET_HOME, 'venv', 'bin', 'gunicorn')
  const child = spawn(
    gunicorn,
    [
      '--bind',
      `127.0.0.1:${port}`,
      '--workers',
      '1',
      '--threads',
      '8',
      '--timeout',
      '300',
      '--log-level',
      'warning',
      'superset.app:create_app()',
    ],
    { env: supersetEnv(metadata, { SUPERSET_HOME: dir }), stdio: ['ignore', 'pipe', 'pipe'], cwd: dir },
  )
  const tail: string[] = []
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) tail.push(line)
    while (tail.length > 40) tail.shift()
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    await stopProcess(child)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitHealthy(url, child, tail)
  } catch (err) {
    await stop()
    throw err
  }
  return { url, admin: { ...SUPERSET_ADMIN }, stop }
}

async function waitHealthy(url: string, child: ChildProcess, tail: string[]): Promise<void> {
  // Loading Superset's app takes 10-60 s on a loaded machine.
  const deadline = Date.now() + 240_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Superset exited (${child.exitCode}):\n${tail.join('\n')}`)
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) })
      .then((r) => r.ok)
      .catch(() => false)
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`Superset did not become healthy within 240 s:\n${tail.join('\n')}`)
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // gunicorn's master stops its worker on SIGTERM (graceful), SIGKILL after 20 s.
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  await exited
  clearTimeout(timer)
}
