import { OrchestratorClient } from '@workbench/orchestrator/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestWorkbench, type TestWorkbench } from './support/workbench.ts'

interface Readiness {
  status: 'ready' | 'not_ready'
  services: Record<string, { status: 'up' | 'down'; latencyMs: number; error?: string }>
}

async function readiness(workbench: TestWorkbench): Promise<{ code: number; body: Readiness }> {
  const res = await workbench.app.request('/api/readyz')
  return { code: res.status, body: (await res.json()) as Readiness }
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (await predicate()) return Date.now() - started
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

describe('embedded mode: supervised Jupyter and Temporal', () => {
  let workbench: TestWorkbench

  beforeAll(async () => {
    workbench = await startTestWorkbench()
  })
  afterAll(async () => {
    await workbench?.dispose()
  })

  it('reports all four services up with their latency', async () => {
    const { code, body } = await readiness(workbench)
    expect(code).toBe(200)
    expect(body.status).toBe('ready')
    for (const name of ['database', 'duckdb', 'jupyter', 'temporal']) {
      expect(body.services[name]?.status).toBe('up')
      expect(body.services[name]?.latencyMs).toBeGreaterThanOrEqual(0)
    }
  })

  it('runs the smoke workflow through the in-process worker on the spawned dev server', async () => {
    const client = new OrchestratorClient({
      connection: workbench.temporal.connection,
      namespace: workbench.temporal.namespace,
      taskQueue: workbench.config.temporal.taskQueue,
    })
    const result = await client.runSmoke('hello temporal')
    expect(result.message).toBe('hello temporal')
    expect(result.worker).toBe(`workbench@${(await import('node:os')).hostname()}:${process.pid}`)
    expect(result.attempt).toBe(1)
  })

  it.each(['jupyter', 'temporal'] as const)(
    'kill -9 of the %s child turns readyz red, then green again within 30 s',
    async (name) => {
      const child = name === 'jupyter' ? workbench.jupyter.process : workbench.temporal.process
      const pid = child?.pid
      expect(pid).toBeTypeOf('number')
      process.kill(pid as number, 'SIGKILL')

      await waitFor(
        async () => (await readiness(workbench)).body.services[name]?.status === 'down',
        10_000,
        `${name} down`,
      )
      const down = await readiness(workbench)
      expect(down.code).toBe(503)
      expect(down.body.status).toBe('not_ready')

      await waitFor(async () => (await readiness(workbench)).code === 200, 30_000, `${name} up again`)
      expect(child?.pid).not.toBe(pid)
    },
  )

  it('still runs workflows after the Temporal server was restarted', async () => {
    const client = new OrchestratorClient({
      connection: workbench.temporal.connection,
      namespace: workbench.temporal.namespace,
      taskQueue: workbench.config.temporal.taskQueue,
    })
    const result = await client.runSmoke('after restart')
    expect(result.message).toBe('after restart')
  })
})
