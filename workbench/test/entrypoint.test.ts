import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { type JupyterService, startJupyter } from '../src/services/jupyter-server.ts'
import { commandLine, descendantsOf, isAlive } from './support/processes.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const MAIN = path.join(ROOT, 'workbench', 'src', 'main.ts')

interface Started {
  child: ChildProcess
  output: () => string
  exited: Promise<{ code: number | null; signal: string | null }>
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function tempDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'workbench-main-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Runs the real entrypoint (what `npm start` runs) as its own process. */
function runMain(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (d) => {
    output += d
  })
  child.stderr?.on('data', (d) => {
    output += d
  })
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, output: () => output, exited }
}

async function waitForOutput(started: Started, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const match = started.output().match(pattern)
    if (match) return match
    if (started.child.exitCode !== null) throw new Error(`exited early: ${started.output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`no ${pattern} within ${timeoutMs} ms: ${started.output()}`)
}

/** The last line of what the process wrote: errors must fit on it. */
function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? ''
}

describe('the workbench entrypoint', () => {
  it('starts every service, and Ctrl-C (SIGINT) stops it leaving no child process behind', async () => {
    const started = runMain({ PORT: '0', DATA_DIR: tempDataDir() })
    const [, url] = await waitForOutput(started, /ready at (http:\/\/\S+)/, 120_000)
    const ready = await fetch(`${url}/api/readyz`)
    expect(ready.status).toBe(200)

    const children = descendantsOf(started.child.pid as number)
    expect(children.length).toBeGreaterThanOrEqual(2) // Jupyter Server and Temporal, at least
    started.child.kill('SIGINT')
    const exit = await started.exited
    expect(exit.code).toBe(0)
    // Children are stopped before the server exits; allow the kernel a moment to reap them.
    const deadline = Date.now() + 5_000
    while (children.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(children.filter(isAlive).map(commandLine)).toEqual([])
  })

  it('exits with one line listing every invalid variable', async () => {
    const started = runMain({ PORT: 'eighty', LOG_LEVEL: 'loud', JUPYTER_URL: 'http://127.0.0.1:1' })
    const exit = await started.exited
    expect(exit.code).toBe(2)
    const output = started.output()
    expect(output).toContain('PORT:')
    expect(output).toContain('LOG_LEVEL:')
    expect(output).not.toMatch(/at .*\.ts:\d+/) // no stack trace
  })

  it('refuses a port already in use with one actionable line', async () => {
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
    const port = (blocker.address() as net.AddressInfo).port
    const started = runMain({ PORT: String(port), DATA_DIR: tempDataDir() })
    const exit = await started.exited
    expect(exit.code).toBe(1)
    expect(lastLine(started.output())).toBe(
      `workbench: port ${port} on 127.0.0.1 is already in use: stop the other process or set PORT`,
    )
  })

  it('names an unreachable DATABASE_URL, without its password, and exits non-zero', async () => {
    const started = runMain({
      PORT: '0',
      DATA_DIR: tempDataDir(),
      DATABASE_URL: 'postgres://wb:hunter2@127.0.0.1:1/wb',
    })
    const exit = await started.exited
    expect(exit.code).toBe(1)
    const line = lastLine(started.output())
    expect(line).toMatch(
      /^workbench: cannot open the metadata database \(DATABASE_URL postgres:\/\/wb:\*\*\*@127\.0\.0\.1:1\/wb\)/,
    )
    expect(started.output()).not.toContain('hunter2')
  })

  describe('with an external Jupyter Server', () => {
    let jupyter: JupyterService | undefined

    it('rejects a wrong JUPYTER_TOKEN with one line and a non-zero exit', async () => {
      const dir = tempDataDir()
      jupyter = await startJupyter(
        {
          kind: 'embedded',
          venv: path.join(ROOT, '.venv'),
          rootDir: path.join(dir, 'files'),
          stateDir: path.join(dir, 'jupyter'),
        },
        pino({ level: 'silent' }),
      )
      cleanups.push(() => jupyter?.stop())
      const started = runMain({
        PORT: '0',
        DATA_DIR: tempDataDir(),
        JUPYTER_URL: jupyter.endpoint.baseUrl,
        JUPYTER_TOKEN: 'not-the-token',
      })
      const exit = await started.exited
      expect(exit.code).toBe(1)
      expect(lastLine(started.output())).toBe(
        `workbench: JUPYTER_TOKEN was rejected by ${jupyter.endpoint.baseUrl}: token rejected (HTTP 403)`,
      )
    })
  })
})
