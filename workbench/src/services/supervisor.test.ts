import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { SupervisedProcess } from './supervisor.ts'

const logger = pino({ level: 'silent' })
const dirs: string[] = []
const children: SupervisedProcess[] = []

afterEach(async () => {
  for (const child of children.splice(0)) await child.stop()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'supervisor-'))
  dirs.push(dir)
  return dir
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A child that is healthy once it has written its "ready" file, and that spawns a grandchild. */
function sleeper(dir: string, name = 'sleeper'): SupervisedProcess {
  const ready = path.join(dir, 'ready')
  const grandchild = path.join(dir, 'grandchild.pid')
  const script = `sleep 300 & echo $! > ${grandchild}; touch ${ready}; wait`
  const child = new SupervisedProcess(
    {
      name,
      command: '/bin/sh',
      args: ['-c', script],
      healthCheck: async () => {
        if (!existsSync(ready)) throw new Error('not ready yet')
      },
      startTimeoutMs: 10_000,
    },
    logger,
    { initialBackoffMs: 50, maxBackoffMs: 200, stopGraceMs: 1_000 },
  )
  children.push(child)
  return child
}

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('SupervisedProcess', () => {
  it('waits for the health check, then reports running', async () => {
    const child = sleeper(tempDir())
    await child.start()
    expect(child.state).toBe('running')
    expect(() => child.assertRunning()).not.toThrow()
  })

  it('restarts a child that dies, and reports it restarting meanwhile', async () => {
    const dir = tempDir()
    const child = sleeper(dir)
    await child.start()
    const first = child.pid as number
    rmSync(path.join(dir, 'ready'))
    process.kill(first, 'SIGKILL')
    await until(() => child.state !== 'running')
    expect(() => child.assertRunning()).toThrow(/sleeper is (restarting|starting)/)
    await until(() => child.state === 'running' && child.pid !== first)
    expect(isAlive(first)).toBe(false)
  })

  it('stops the whole process group, grandchildren included', async () => {
    const dir = tempDir()
    const child = sleeper(dir)
    await child.start()
    const grandchild = Number(readFileSync(path.join(dir, 'grandchild.pid'), 'utf8'))
    expect(isAlive(grandchild)).toBe(true)
    await child.stop()
    expect(child.state).toBe('stopped')
    await until(() => !isAlive(grandchild))
  })

  it('fails start with the reason when the child exits before it is healthy', async () => {
    const child = new SupervisedProcess(
      {
        name: 'broken',
        command: '/bin/sh',
        args: ['-c', 'echo "cannot bind port 1234" >&2; exit 3'],
        healthCheck: async () => {
          throw new Error('never healthy')
        },
      },
      logger,
    )
    children.push(child)
    await expect(child.start()).rejects.toThrow('broken exited during start (code 3): cannot bind port 1234')
  })

  it('fails start with a clear line when the program does not exist', async () => {
    const child = new SupervisedProcess(
      { name: 'missing', command: '/nonexistent/program', args: [], healthCheck: async () => {} },
      logger,
    )
    children.push(child)
    await expect(child.start()).rejects.toThrow(
      'missing: cannot start /nonexistent/program: not found or not executable',
    )
  })

  it('gives up on a child that never becomes healthy, and kills it', async () => {
    const child = new SupervisedProcess(
      {
        name: 'stuck',
        command: '/bin/sh',
        args: ['-c', 'sleep 300'],
        healthCheck: async () => {
          throw new Error('still booting')
        },
        startTimeoutMs: 500,
      },
      logger,
    )
    children.push(child)
    await expect(child.start()).rejects.toThrow('stuck did not become healthy in 500 ms: still booting')
    const pid = child.pid as number
    await until(() => !isAlive(pid))
  })
})
