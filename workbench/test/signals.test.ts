import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { commandLine, descendantsOf } from './support/processes.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')

/** The three processes a process manager might be given: `npm start`, the start script, or the server itself. */
const ENTRYPOINTS = {
  npm: ['npm', ['start']],
  'start.mjs': [process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')]],
  server: [process.execPath, ['--import', 'tsx', path.join(ROOT, 'workbench', 'src', 'main.ts')]],
} as const satisfies Record<string, readonly [string, readonly string[]]>

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
})

/** Running and not a zombie (a zombie has exited; only its exit status waits to be collected). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

async function startVia(entry: keyof typeof ENTRYPOINTS): Promise<{ child: ChildProcess; port: number }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'workbench-signals-'))
  const [command, args] = ENTRYPOINTS[entry]
  const child = spawn(command, [...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'warn',
      PORT: '0',
      DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so nothing but the signal this test sends reaches it.
    detached: true,
  })
  let output = ''
  child.stdout?.on('data', (d) => {
    output += d
  })
  child.stderr?.on('data', (d) => {
    output += d
  })
  cleanups.push(() => {
    for (const pid of [child.pid as number, ...descendantsOf(child.pid as number)]) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }
    rmSync(dataDir, { recursive: true, force: true })
  })
  const deadline = Date.now() + 150_000
  for (;;) {
    const ready = output.match(/ready at http:\/\/127\.0\.0\.1:(\d+)/)
    if (ready) return { child, port: Number(ready[1]) }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start: ${output}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** Waits (bounded) for every process to be gone; answers the ones still running. */
async function survivors(pids: number[]): Promise<string[]> {
  const deadline = Date.now() + 30_000
  while (pids.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
  return pids.filter(running).map(commandLine)
}

describe('stopping the workbench by signalling the process a process manager knows', () => {
  const cases: [keyof typeof ENTRYPOINTS, NodeJS.Signals][] = [
    ['npm', 'SIGINT'],
    ['npm', 'SIGTERM'],
    ['start.mjs', 'SIGTERM'],
    ['server', 'SIGTERM'],
    // No chance to clean up: the start script's parent watch and the children's parent-death signal take over.
    ['npm', 'SIGKILL'],
    ['start.mjs', 'SIGKILL'],
  ]
  it.each(cases)(
    '%s, %s: every descendant stops and the port is freed',
    { timeout: 240_000 },
    async (entry, signal) => {
      const { child, port } = await startVia(entry)
      const tree = descendantsOf(child.pid as number)
      const names = tree.map(commandLine).join('\n')
      expect(names).toContain('jupyter')
      expect(names).toContain('temporal')
      process.kill(child.pid as number, signal)
      expect(await survivors([child.pid as number, ...tree])).toEqual([])
      expect(await portFree(port)).toBe(true)
    },
  )
})
