import { createHmac } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import { OrchestratorClient } from '@workbench/orchestrator/client'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import {
  type PipelineEnv,
  startPipelineEnv,
  startWebhookServer,
  waitFor,
} from '../../../orchestrator/test/support/pipeline-env.ts'
import { createApp } from '../../src/app.ts'
import { generateKey } from '../../src/connections/secret-box.ts'
import { WorkspaceKeys } from '../../src/connections/workspace-keys.ts'
import { scheduleIdOf } from '../../src/pipelines/pipeline-service.ts'
import { Pipelines } from '../../src/pipelines/pipelines-module.ts'
import { createTestDatabase, type TestDatabase } from '../support/databases.ts'
import { createMembers } from '../support/members.ts'
import { header, testSteps } from './support.ts'

const FINISHED = ['succeeded', 'failed', 'cancelled', 'timed_out']

/** The API, the metadata DB and a worker on a real Temporal dev server (one DB kind: the DB side is tested on both elsewhere). */
describe('pipelines API on a real Temporal dev server', () => {
  let env: PipelineEnv
  let database: TestDatabase
  let pipelines: Pipelines
  let app: ReturnType<typeof createApp>
  let client: OrchestratorClient
  let ws: string
  let token: string
  let viewerToken: string
  let worker: Awaited<ReturnType<PipelineEnv['startWorker']>>
  const steps = testSteps()
  let alertAttempts = 0
  let webhooks: Awaited<ReturnType<typeof startWebhookServer>>

  const api = async (method: string, path: string, body?: unknown, bearer = token) => {
    const res = await app.request(`/api/workspaces/${ws}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bearer}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }
  const create = async (yaml: string, settings: Record<string, unknown> = {}) => {
    const res = await api('POST', '/pipelines', { yaml, ...settings })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body.id as string
  }
  const trigger = async (pipelineId: string, params?: Record<string, unknown>) => {
    const res = await api('POST', `/pipelines/${pipelineId}/runs`, { params })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body.id as string
  }
  const run = async (runId: string) => (await api('GET', `/pipeline-runs/${runId}`)).body
  const finished = async (runId: string, timeoutMs = 45_000) => {
    let detail: any
    await waitFor(
      async () => {
        detail = await run(runId)
        return FINISHED.includes(detail.status)
      },
      `run ${runId} to finish`,
      timeoutMs,
    )
    return detail
  }
  const step = (detail: any, id: string) => detail.steps.find((s: any) => s.stepId === id)

  beforeAll(async () => {
    webhooks = await startWebhookServer({
      '/ok': (_req, res, body) => res.writeHead(200, { 'content-type': 'application/json' }).end(body || '{}'),
      '/alert': (_req, res) => {
        alertAttempts += 1
        // The first delivery fails: the dispatcher must retry.
        res.writeHead(alertAttempts === 1 ? 503 : 204).end()
      },
    })
    env = await startPipelineEnv()
    database = await createTestDatabase('pglite', { migrate: true })
    client = new OrchestratorClient({
      connection: env.env.connection,
      namespace: env.env.namespace ?? 'default',
      taskQueue: env.taskQueue,
    })
    const logger = pino({ level: 'silent' })
    pipelines = new Pipelines({
      db: database.db,
      logger,
      orchestrator: () => client,
      registry: steps.registry,
      alerts: { initialDelayMs: 50, maxDelayMs: 200, attempts: 4 },
      backgroundEveryMs: 0,
      scheduleEvery: '2s',
      keys: new WorkspaceKeys(() => database.db, generateKey()),
    })
    worker = await env.startWorker({ ...steps.deps, reporter: pipelines.reporter })
    const members = createMembers(database)
    ws = await members.workspace()
    token = (await members.member(ws, 'editor')).token
    viewerToken = (await members.member(ws, 'viewer')).token
    app = createApp({
      identity: members.identity,
      logger,
      readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
      pipelines: () => pipelines,
    })
  })
  afterAll(async () => {
    await pipelines?.stop()
    await env?.dispose()
    await database?.dispose()
    await webhooks?.close()
  })

  it('runs a triggered pipeline and records each step, its attempts, times and logs', async () => {
    const id = await create(`${header('triggered')}
params:
  n: { type: integer, default: 1 }
steps:
  - { id: call, type: http, with: { url: '${webhooks.url}/ok', body: { n: '{{ params.n }}' } } }
  - { id: write, type: count, depends_on: [call], with: { value: 3 } }
`)
    const wrong = await api('POST', `/pipelines/${id}/runs`, { params: { n: 'five', extra: 1 } })
    expect(wrong.status).toBe(400)
    expect(wrong.body.code).toBe('invalid_params')
    expect(wrong.body.message).toContain("unknown parameter 'extra'")
    const runId = await trigger(id, { n: 5 })
    const detail = await finished(runId)
    expect(detail).toMatchObject({ status: 'succeeded', trigger: 'manual', version: 1, params: { n: 5 }, error: null })
    for (const stepId of ['call', 'write']) {
      const s = step(detail, stepId)
      expect(s).toMatchObject({ status: 'succeeded', attempts: 1, error: null })
      expect(s.startedAt).not.toBeNull()
      expect(Date.parse(s.endedAt)).toBeGreaterThanOrEqual(Date.parse(s.startedAt))
      expect(s.durationMs).toBeGreaterThanOrEqual(0)
    }
    expect(step(detail, 'write').output).toEqual({ value: 3 })
    expect(webhooks.requests.some((r) => r.path === '/ok' && JSON.parse(r.body).n === 5)).toBe(true)
    const logs = (await api('GET', `/pipeline-runs/${runId}/logs?limit=100`, undefined, viewerToken)).body
    const lines = logs.items.map((l: any) => `${l.stepId}: ${l.message}`)
    expect(lines).toEqual(expect.arrayContaining(['call: attempt 1 started', 'write: wrote value 3']))
    const listed = await api('GET', `/pipeline-runs?pipelineId=${id}`, undefined, viewerToken)
    expect(listed.body.items.map((r: any) => r.id)).toEqual([runId])
  })

  it('retries a failing step, fails the run with its error, and delivers a signed failure alert', async () => {
    steps.failing.add('always')
    const secret = 'alert-secret-0123456789abcdef'
    const id = await create(
      `${header('failing')}
steps:
  - { id: boom, type: flaky, retry: { attempts: 3, backoff: { initial: 100ms } }, with: { name: always } }
  - { id: after, type: count, depends_on: [boom], with: { value: 1 } }
`,
      { alertWebhookUrl: `${webhooks.url}/alert`, alertSecret: secret },
    )
    const detail = await finished(await trigger(id))
    expect(detail.status).toBe('failed')
    expect(detail.error).toContain('flaky step always failed')
    expect(step(detail, 'boom')).toMatchObject({ status: 'failed', attempts: 3 })
    expect(step(detail, 'boom').error).toContain('flaky step always failed')
    expect(step(detail, 'after')).toMatchObject({ status: 'not_run', attempts: 0 })

    await waitFor(() => webhooks.requests.filter((r) => r.path === '/alert').length >= 2, 'the alert retry')
    await pipelines.alerts.settle()
    const deliveries = webhooks.requests.filter((r) => r.path === '/alert')
    for (const delivery of deliveries) {
      const expected = `sha256=${createHmac('sha256', secret).update(delivery.body).digest('hex')}`
      expect(delivery.headers['x-workbench-signature']).toBe(expected)
    }
    expect(JSON.parse(deliveries[1]?.body ?? '{}')).toMatchObject({ kind: 'failure', runId: detail.id })
    const alerts = (await api('GET', `/pipelines/${id}/alerts`)).body.items
    expect(alerts).toMatchObject([{ kind: 'failure', runId: detail.id, delivery: 'delivered', attempts: 2 }])
    const pipeline = (await api('GET', `/pipelines/${id}`)).body
    expect(pipeline.alertSecretSet).toBe(true)
    expect(JSON.stringify(pipeline)).not.toContain(secret)
  })

  it('re-runs a failed run from its failed step, reusing what succeeded with the same inputs', async () => {
    steps.failing.add('second')
    const id = await create(`${header('rerun')}
params:
  label: { type: string, default: x }
steps:
  - { id: first, type: count, with: { value: 7 } }
  - { id: second, type: flaky, depends_on: [first], retry: { attempts: 1 }, with: { name: second, input: '{{ steps.first.output.value }}' } }
`)
    const failed = await finished(await trigger(id, { label: 'original' }))
    expect(failed.status).toBe('failed')
    const writes = steps.executions.size
    steps.failing.delete('second')
    const rerun = await api('POST', `/pipeline-runs/${failed.id}/rerun`)
    expect(rerun.status).toBe(201)
    const detail = await finished(rerun.body.id)
    expect(detail).toMatchObject({ status: 'succeeded', trigger: 'rerun', rerunOf: failed.id, params: failed.params })
    expect(detail.params.label).toBe('original')
    expect(step(detail, 'first')).toMatchObject({ status: 'reused', output: { value: 7 } })
    expect(step(detail, 'second').status).toBe('succeeded')
    expect(String(step(detail, 'second').output.got)).toBe('7')
    // The reused step did not run again.
    expect(steps.executions.size).toBe(writes)
    const again = await api('POST', `/pipeline-runs/${detail.id}/rerun`)
    expect(again.body.code).toBe('run_not_failed')
  })

  it('cancels a run mid-step', async () => {
    const id = await create(`${header('cancelled')}
steps:
  - { id: wait, type: gate, timeout: 5m, with: { name: never-opened } }
  - { id: later, type: count, depends_on: [wait], with: { value: 1 } }
`)
    const runId = await trigger(id)
    await waitFor(async () => step(await run(runId), 'wait')?.attempts === 1, 'the step to start')
    expect((await api('POST', `/pipeline-runs/${runId}/cancel`)).status).toBe(202)
    const detail = await finished(runId)
    expect(detail.status).toBe('cancelled')
    expect(step(detail, 'wait').status).toBe('cancelled')
    expect(step(detail, 'later').status).toBe('not_run')
    expect((await api('POST', `/pipeline-runs/${runId}/cancel`)).body.code).toBe('run_finished')
  })

  it('cuts a hanging step at its timeout and reports it as timed out', async () => {
    const id = await create(`${header('hanging')}
steps:
  - { id: hang, type: gate, timeout: 2s, retry: { attempts: 1 }, with: { name: hangs-forever } }
`)
    const detail = await finished(await trigger(id))
    expect(detail.status).toBe('failed')
    expect(step(detail, 'hang').status).toBe('timed_out')
    expect(step(detail, 'hang').error).toMatch(/timeout/i)
  })

  it('backfills a date range: one run per interval with the interval as parameters', async () => {
    const id = await create(`${header('backfilled')}
params:
  interval_start: { type: string, default: '' }
  interval_end: { type: string, default: '' }
steps:
  - id: load
    type: http
    with: { url: '${webhooks.url}/ok?backfill', body: { from: '{{ params.interval_start }}', to: '{{ params.interval_end }}' } }
`)
    const res = await api('POST', `/pipelines/${id}/backfill`, {
      start: '2024-03-01T00:00:00Z',
      end: '2024-03-04T00:00:00Z',
      every: '1d',
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body.runs.map((r: any) => [r.trigger, r.params.interval_start, r.params.interval_end])).toEqual([
      ['backfill', '2024-03-01T00:00:00.000Z', '2024-03-02T00:00:00.000Z'],
      ['backfill', '2024-03-02T00:00:00.000Z', '2024-03-03T00:00:00.000Z'],
      ['backfill', '2024-03-03T00:00:00.000Z', '2024-03-04T00:00:00.000Z'],
    ])
    for (const r of res.body.runs) expect((await finished(r.id)).status).toBe('succeeded')
    const bodies = webhooks.requests.filter((r) => r.path === '/ok?backfill').map((r) => JSON.parse(r.body).from)
    expect(bodies.sort()).toEqual(['2024-03-01T00:00:00.000Z', '2024-03-02T00:00:00.000Z', '2024-03-03T00:00:00.000Z'])
    const listed = await api('GET', `/pipeline-runs?pipelineId=${id}`)
    expect(listed.body.total).toBe(3)
  })

  it('fires a schedule, records the scheduled runs, pauses it, and deletes it with the pipeline', async () => {
    const id = await create(`${header('scheduled')}
schedule: { cron: '0 3 * * *', timezone: Europe/Paris, overlap: skip, catchup_window: 10m }
steps:
  - { id: tick, type: count, with: { value: 1 } }
`)
    const schedule = await api('GET', `/pipelines/${id}/schedule`)
    expect(schedule.body).toMatchObject({ scheduled: true, paused: false })
    let scheduled: any
    await waitFor(
      async () => {
        const runs = (await api('GET', `/pipeline-runs?pipelineId=${id}`)).body.items
        scheduled = runs.find((r: any) => r.trigger === 'schedule' && r.status === 'succeeded')
        return scheduled !== undefined
      },
      'a scheduled run',
      45_000,
    )
    expect(scheduled).toMatchObject({ version: 1, trigger: 'schedule' })
    expect(step(await run(scheduled.id), 'tick').status).toBe('succeeded')
    expect((await api('POST', `/pipelines/${id}/schedule/pause`)).body.paused).toBe(true)
    expect((await api('GET', `/pipelines/${id}/schedule`)).body.paused).toBe(true)
    expect((await api('POST', `/pipelines/${id}/schedule/resume`)).body.paused).toBe(false)
    expect((await api('DELETE', `/pipelines/${id}`)).status).toBe(204)
    expect(await client.describeSchedule(scheduleIdOf(id))).toBeUndefined()
  })

  it('refuses to resume a schedule whose notebook was deleted since it was saved', async () => {
    await database.db
      .insertInto('notebooks')
      .values({ id: 'nb-scheduled', workspace_id: ws, name: 'nightly', created_by: null, deleted_at: null })
      .execute()
    const id = await create(`${header('paused-notebook')}
schedule: { cron: '0 3 * * *', paused: true }
steps:
  - { id: nb, type: notebook, with: { notebook: nb-scheduled } }
`)
    expect((await api('GET', `/pipelines/${id}/schedule`)).body).toMatchObject({ scheduled: true, paused: true })
    await database.db
      .updateTable('notebooks')
      .set({ deleted_at: new Date() })
      .where('id', '=', 'nb-scheduled')
      .execute()
    const resumed = await api('POST', `/pipelines/${id}/schedule/resume`)
    expect(resumed.status).toBe(400)
    expect(resumed.body.details.problems).toMatchObject([{ code: 'unknown_notebook', line: 7 }])
    expect((await api('GET', `/pipelines/${id}/schedule`)).body.paused).toBe(true)
  })

  it('streams a run’s log lines over a websocket until the run ends', async () => {
    const id = await create(`${header('streamed')}
steps:
  - { id: wait, type: gate, with: { name: stream-gate } }
  - { id: after, type: count, depends_on: [wait], with: { value: 2 } }
`)
    const runId = await trigger(id)
    const missing = await api('GET', '/pipeline-runs/no-such-run/logs/live')
    expect([missing.status, missing.body.code]).toEqual([404, 'pipeline_run_not_found'])
    const server: ServerType = createAdaptorServer({
      fetch: app.fetch,
      websocket: { server: new WebSocketServer({ noServer: true }) },
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const socket = new WebSocket(`ws://127.0.0.1:${port}/api/workspaces/${ws}/pipeline-runs/${runId}/logs/live`, {
        headers: { Authorization: `Bearer ${viewerToken}` },
      })
      const messages: any[] = []
      const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)))
      socket.on('message', (data) => messages.push(JSON.parse(String(data))))
      await waitFor(() => messages.some((m) => m.message === 'waiting at gate stream-gate'), 'the live gate log line')
      expect(messages.some((m) => m.type === 'end')).toBe(false)
      steps.open('stream-gate')
      expect(await closed).toBe(1000)
      const lines = messages.filter((m) => m.type === 'log').map((m) => `${m.stepId}: ${m.message}`)
      expect(lines).toEqual(expect.arrayContaining(['wait: waiting at gate stream-gate', 'after: wrote value 2']))
      expect(lines.some((l) => l.startsWith('wait: attempt 1 succeeded'))).toBe(true)
      expect(messages.at(-1)).toEqual({ type: 'end', status: 'succeeded' })
      const seqs = messages.filter((m) => m.type === 'log').map((m) => m.seq)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
    }
  })

  /** Starts a run without reporting, as if every report had been lost: the DB only knows it was queued. */
  const startUnreported = async (pipelineId: string) => {
    const { spec } = await pipelines.pipelines.version(ws, pipelineId)
    const handle = await client.startPipeline({ spec, params: {} })
    await database.db
      .insertInto('pipeline_runs')
      .values({
        id: `lost-${handle.workflowId}`,
        pipeline_id: pipelineId,
        workspace_id: ws,
        version: 1,
        trigger: 'manual',
        params: '{}',
        status: 'queued',
        workflow_id: handle.workflowId,
      })
      .execute()
    return { handle, runId: `lost-${handle.workflowId}` }
  }

  it('reconciles a run whose reports were lost from Temporal, with every step, and raises its missing failure alert', async () => {
    steps.failing.add('lost')
    const id = await create(`${header('unreported')}
steps:
  - { id: first, type: count, with: { value: 1 } }
  - { id: x, type: flaky, depends_on: [first], retry: { attempts: 2, backoff: { initial: 100ms } }, with: { name: lost } }
  - { id: after, type: count, depends_on: [x], with: { value: 2 } }
`)
    const { handle, runId } = await startUnreported(id)
    await handle.result().catch(() => {})
    expect((await run(runId)).steps.map((s: any) => s.status)).toEqual(['not_run', 'not_run', 'not_run'])
    expect(await pipelines.reconciler.reconcile({ graceMs: 0 })).toBeGreaterThanOrEqual(1)
    const detail = await run(runId)
    expect(detail.status).toBe('failed')
    expect(detail.error).toContain('flaky step lost failed')
    expect(step(detail, 'first')).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      output: { value: 1 },
      startedAt: expect.any(String),
      endedAt: expect.any(String),
      durationMs: expect.any(Number),
    })
    expect(step(detail, 'x')).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: expect.stringContaining('flaky step lost failed'),
      startedAt: expect.any(String),
      endedAt: expect.any(String),
    })
    expect(Date.parse(step(detail, 'x').startedAt)).toBeGreaterThanOrEqual(Date.parse(step(detail, 'first').endedAt))
    expect(step(detail, 'after').status).toBe('not_run')
    await waitFor(async () => (await api('GET', `/pipelines/${id}/alerts`)).body.items.length > 0, 'the alert')
    expect((await api('GET', `/pipelines/${id}/alerts`)).body.items).toMatchObject([
      { kind: 'failure', runId: detail.id, delivery: 'not_configured' },
    ])
    expect(await pipelines.catchUpFailureAlerts()).toBe(0)
  })

  it('reconciles a terminated run from its history: finished steps as they ended, the one in flight closed', async () => {
    const id = await create(`${header('terminated')}
steps:
  - { id: first, type: count, with: { value: 5 } }
  - { id: hang, type: gate, depends_on: [first], with: { name: never-opened } }
`)
    const { handle, runId } = await startUnreported(id)
    await waitFor(async () => (await client.stepStates(handle.workflowId)).hang?.status === 'running', 'the gate')
    await handle.terminate('operator stopped it')
    expect(await pipelines.reconciler.reconcile({ graceMs: 0 })).toBeGreaterThanOrEqual(1)
    const detail = await run(runId)
    expect(detail).toMatchObject({ status: 'failed', error: 'the run was terminated' })
    expect(step(detail, 'first')).toMatchObject({ status: 'succeeded', attempts: 1, output: { value: 5 } })
    expect(step(detail, 'hang')).toMatchObject({
      status: 'failed',
      startedAt: expect.any(String),
      endedAt: expect.any(String),
    })
  })

  it('survives a worker shut down mid-step: the run completes and the keyed write is applied once', async () => {
    const id = await create(`${header('killed')}
steps:
  - { id: write, type: count, retry: { attempts: 3, backoff: { initial: 100ms } }, with: { value: 9, hold: true } }
`)
    const runId = await trigger(id)
    await waitFor(async () => step(await run(runId), 'write')?.attempts === 1, 'the first attempt')
    const detailBefore = await run(runId)
    const prefix = `${detailBefore.temporalRunId}/`
    await waitFor(() => [...steps.executions.keys()].some((k) => k.startsWith(prefix)), 'the write')
    // The worker goes away with the attempt in flight; a fresh one takes over (kill -9 of a worker
    // process: pipelines-worker-kill.test.ts).
    worker.shutdown()
    await waitFor(() => worker.getState() === 'STOPPED' || worker.getState() === 'FAILED', 'the worker to stop')
    worker = await env.startWorker({ ...steps.deps, reporter: pipelines.reporter })
    const detail = await finished(runId, 60_000)
    expect(detail.status).toBe('succeeded')
    expect(step(detail, 'write')).toMatchObject({ status: 'succeeded', attempts: 2 })
    const keys = [...steps.applied.keys()].filter((k) => k.startsWith(prefix))
    expect(keys).toEqual([`${prefix}write`])
    expect(steps.applied.get(`${prefix}write`)).toBe(1)
    expect(steps.executions.get(`${prefix}write`)).toBe(2)
  })
})
