import { randomUUID } from 'node:crypto'
import { validatePipeline } from '@workbench/orchestrator/spec'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWebhookServer } from '../../../orchestrator/test/support/pipeline-env.ts'
import { createApp } from '../../src/app.ts'
import { generateKey } from '../../src/connections/secret-box.ts'
import { WorkspaceKeys } from '../../src/connections/workspace-keys.ts'
import { AlertSecrets } from '../../src/pipelines/alert-secrets.ts'
import { AlertDispatcher, signBody } from '../../src/pipelines/alerts.ts'
import { Pipelines } from '../../src/pipelines/pipelines-module.ts'
import { backfillIntervals } from '../../src/pipelines/run-service.ts'
import { zonedTimeOfDay } from '../../src/pipelines/sla-monitor.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { createMembers } from '../support/members.ts'
import { header } from './support.ts'

const simple = (name: string, extra = '') => `${header(name)}${extra}steps:
  - { id: a, type: http, with: { url: 'http://127.0.0.1:9/x' } }
`

describe.each(DATABASE_KINDS)('pipelines metadata on %s', (kind) => {
  let database: TestDatabase
  let pipelines: Pipelines
  let app: ReturnType<typeof createApp>
  let ws: string
  let token: string
  let viewerToken: string
  const masterKey = generateKey()
  /** The row the API records before it starts a run (the reporter updates it; it never invents one). */
  const queuedRun = async (
    workflowId: string,
    context: {
      pipelineId: string
      workspaceId: string
      version: number
      trigger: 'manual' | 'schedule'
      params: object
    },
  ) =>
    database.db
      .insertInto('pipeline_runs')
      .values({
        id: randomUUID(),
        pipeline_id: context.pipelineId,
        workspace_id: context.workspaceId,
        version: context.version,
        trigger: context.trigger,
        params: JSON.stringify(context.params),
        status: 'queued',
        workflow_id: workflowId,
      })
      .execute()

  const api = async (method: string, path: string, body?: unknown, bearer = token) => {
    const res = await app.request(`/api/workspaces/${ws}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bearer}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    const logger = pino({ level: 'silent' })
    pipelines = new Pipelines({
      db: database.db,
      logger,
      orchestrator: () => undefined,
      backgroundEveryMs: 0,
      keys: new WorkspaceKeys(() => database.db, masterKey),
    })
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
    await database?.dispose()
  })

  it('answers invalid YAML and specs with 400 listing every problem with its line and column', async () => {
    const broken = `${header('broken')}steps:\n  - { id: a, type: http, with: { url: 'http://x' }\n`
    const syntax = await api('POST', '/pipelines/validate', { yaml: broken }, viewerToken)
    expect(syntax.status).toBe(400)
    expect(syntax.body.code).toBe('invalid_pipeline')
    expect(syntax.body.details.problems[0]).toMatchObject({ code: 'yaml_syntax', line: expect.any(Number) })
    expect(syntax.body.details.problems[0].line).toBeGreaterThanOrEqual(5)

    const bad = `${header('bad')}steps:
  - { id: a, type: nope }
  - { id: b, type: http, depends_on: [missing], with: { url: 'http://x' } }
`
    const saved = await api('POST', '/pipelines', { yaml: bad })
    expect(saved.status).toBe(400)
    const problems = saved.body.details.problems.map((p: any) => [p.code, p.line, p.column])
    expect(problems).toEqual(
      expect.arrayContaining([
        ['unknown_step_type', 5, expect.any(Number)],
        ['unknown_dependency', 6, expect.any(Number)],
      ]),
    )
    expect((await api('GET', '/pipelines')).body.items).toEqual([])
    expect((await api('POST', '/pipelines/validate', { yaml: simple('fine') }, viewerToken)).status).toBe(200)
  })

  it('documents the pipeline routes in the OpenAPI document', async () => {
    const doc = (await (await app.request('/api/openapi.json')).json()) as any
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/workspaces/{workspaceId}/pipelines',
        '/workspaces/{workspaceId}/pipelines/validate',
        '/workspaces/{workspaceId}/pipelines/{pipelineId}/backfill',
        '/workspaces/{workspaceId}/pipeline-runs/{runId}/rerun',
      ]),
    )
  })

  it('refuses a pipeline naming a deleted notebook when it is saved', async () => {
    await database.db
      .insertInto('notebooks')
      .values([
        { id: 'nb-live', workspace_id: ws, name: 'daily sales', created_by: null, deleted_at: null },
        { id: 'nb-gone', workspace_id: ws, name: 'old report', created_by: null, deleted_at: new Date() },
      ])
      .execute()
    const yaml = (notebook: string) => `${header('refs')}steps:
  - id: run
    type: notebook
    with: { notebook: ${notebook} }
`
    const gone = await api('POST', '/pipelines', { yaml: yaml('nb-gone') })
    expect(gone.status).toBe(400)
    expect(gone.body.details.problems).toMatchObject([
      { code: 'unknown_notebook', line: 7, column: expect.any(Number) },
    ])
    expect((await api('POST', '/pipelines', { yaml: yaml('nb-live') })).status).toBe(201)
  })

  it('refuses a pipeline naming a connection the workspace does not have, and accepts one it has', async () => {
    await database.db
      .insertInto('connections')
      .values({ workspace_id: ws, name: 'erp', type: 'postgres', params: JSON.stringify({ host: 'db' }) as never })
      .execute()
    const yaml = (connection: string) => `${header(`conn-${connection}`)}steps:
  - id: q
    type: sql
    with: { connection: ${connection}, sql: 'select 1' }
`
    const missing = await api('POST', '/pipelines', { yaml: yaml('warehouse') })
    expect(missing.status).toBe(400)
    expect(missing.body.details.problems).toMatchObject([{ code: 'unknown_connection', line: 7 }])
    expect((await api('POST', '/pipelines', { yaml: yaml('erp') })).status).toBe(201)
  })

  it('keeps every save as a version, lets viewers read and only editors write', async () => {
    const created = await api('POST', '/pipelines', { yaml: simple('versioned') })
    expect(created.body).toMatchObject({ name: 'versioned', currentVersion: 1 })
    const id = created.body.id
    expect((await api('POST', '/pipelines', { yaml: simple('versioned') })).body.code).toBe('pipeline_exists')
    const v2 = simple('versioned', 'params:\n  day: { type: date, default: 2024-01-01 }\n')
    expect((await api('PUT', `/pipelines/${id}`, { yaml: v2 })).body.currentVersion).toBe(2)
    const versions = await api('GET', `/pipelines/${id}/versions`, undefined, viewerToken)
    expect(versions.body.items.map((v: any) => v.version)).toEqual([2, 1])
    expect((await api('GET', `/pipelines/${id}/versions/1`, undefined, viewerToken)).body.yaml).toBe(
      simple('versioned'),
    )
    const current = await api('GET', `/pipelines/${id}`, undefined, viewerToken)
    expect(current.body).toMatchObject({ yaml: v2, spec: { params: { day: { type: 'date' } } } })
    expect((await api('PUT', `/pipelines/${id}`, { yaml: v2 }, viewerToken)).status).toBe(403)
    expect((await api('POST', `/pipelines/${id}/runs`, {}, viewerToken)).status).toBe(403)

    const settings = await api('PATCH', `/pipelines/${id}/settings`, {
      alertWebhookUrl: 'https://hooks.example.test/alerts',
      alertSecret: 'a-very-secret-signing-key',
      sla: { maxDuration: '1h', finishBy: '06:00', timezone: 'Europe/Paris' },
    })
    expect(settings.body).toMatchObject({ alertSecretSet: true, sla: { maxDuration: '1h' } })
    expect(JSON.stringify(settings.body)).not.toContain('a-very-secret-signing-key')
  })

  it('lists each pipeline with its schedule (cron, zone, paused, next run) and its newest run', async () => {
    const manual = (await api('POST', '/pipelines', { yaml: simple('summary-manual') })).body
    const cron = (await api('POST', '/pipelines', { yaml: simple('summary-cron') })).body
    // Saving a scheduled pipeline needs Temporal; its current version gets a schedule in the DB instead.
    const version = await database.db
      .selectFrom('pipeline_versions')
      .select('spec')
      .where('pipeline_id', '=', cron.id)
      .executeTakeFirstOrThrow()
    const schedule = { cron: '0 6 * * *', timezone: 'Europe/Paris' }
    await database.db
      .updateTable('pipeline_versions')
      .set({ spec: JSON.stringify({ ...(version.spec as object), schedule }) })
      .where('pipeline_id', '=', cron.id)
      .execute()
    const context = { pipelineId: cron.id, workspaceId: ws, version: 1, trigger: 'schedule' as const, params: {} }
    for (const [n, at] of [
      [1, '2024-05-01T06:00:00.000Z'],
      [2, '2024-05-02T06:00:00.000Z'],
    ] as const)
      await pipelines.reporter.report({
        kind: 'run_started',
        // A schedule's run: recorded because its workflow id is the pipeline's schedule's.
        workflowId: `pipeline-schedule-${cron.id}-${kind}-${n}`,
        temporalRunId: 't',
        context,
        at,
      })
    await pipelines.reporter.report({
      kind: 'run_finished',
      workflowId: `pipeline-schedule-${cron.id}-${kind}-1`,
      status: 'succeeded',
      at: '2024-05-01T06:00:09.000Z',
    })
    const newest = (await api('GET', `/pipeline-runs?pipelineId=${cron.id}`)).body.items[0]
    expect(newest.startedAt).toBe('2024-05-02T06:00:00.000Z')

    const listed = async () => {
      const { status, body } = await api('GET', '/pipelines', undefined, viewerToken)
      expect(status).toBe(200)
      const byId = new Map(body.items.map((p: any) => [p.id, p]))
      return { manual: byId.get(manual.id) as any, cron: byId.get(cron.id) as any }
    }
    let items = await listed()
    expect(items.manual).toMatchObject({ name: 'summary-manual', schedule: null, lastRun: null })
    expect(items.cron).toMatchObject({
      name: 'summary-cron',
      schedule: { cron: ['0 6 * * *'], timezone: 'Europe/Paris', paused: false, nextRunAt: expect.any(String) },
      lastRun: { id: newest.id, status: 'running', trigger: 'schedule', startedAt: newest.startedAt, endedAt: null },
    })
    // The next run is the next 06:00 in Paris, within a day.
    const next = new Date(items.cron.schedule.nextRunAt)
    expect(next.getTime()).toBeGreaterThan(Date.now())
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000)
    const parisTime = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' })
    expect(parisTime.format(next)).toBe('06:00')

    await database.db.updateTable('pipelines').set({ schedule_paused: true }).where('id', '=', cron.id).execute()
    items = await listed()
    expect(items.cron.schedule).toMatchObject({ paused: true, nextRunAt: null })
  })

  it("records a python step's saved outputs as its artifact, shown without the server path", async () => {
    const { id: pipelineId } = (await api('POST', '/pipelines', { yaml: simple('artifacts') })).body
    const workflowId = `wf-${kind}-artifacts`
    const context = { pipelineId, workspaceId: ws, version: 1, trigger: 'manual' as const, params: {} }
    const at = '2024-05-01T10:00:00.000Z'
    await queuedRun(workflowId, context)
    await pipelines.reporter.report({ kind: 'run_started', workflowId, temporalRunId: 't', context, at })
    const file = '/srv/data/workspaces/w/data/pipeline-artifacts/artifacts/0123/outputs.json'
    await pipelines.reporter.report({
      kind: 'step_finished',
      workflowId,
      stepId: 'a',
      status: 'succeeded',
      output: { text: 'hi', artifact: { path: file, bytes: 12, format: 'json' } },
      at,
    })
    const [run] = (await api('GET', `/pipeline-runs?pipelineId=${pipelineId}`)).body.items
    const detail = (await api('GET', `/pipeline-runs/${run.id}`, undefined, viewerToken)).body
    expect(detail.steps[0]).toMatchObject({
      output: { text: 'hi', artifact: { name: 'outputs.json', bytes: 12, format: 'json' } },
      artifacts: [{ name: 'outputs.json', kind: 'outputs', format: 'json', size: 12, mediaType: 'application/json' }],
    })
    expect(JSON.stringify(detail)).not.toContain('/srv/data')
    // This workbench has no workspace data folders: nothing to download.
    expect((await api('GET', `/pipeline-runs/${run.id}/steps/a/artifacts/outputs.json`)).status).toBe(503)
  })

  it('records reported progress idempotently, whatever order events arrive in', async () => {
    const { id: pipelineId } = (await api('POST', '/pipelines', { yaml: simple('reported') })).body
    const workflowId = `wf-${kind}-reported`
    const context = { pipelineId, workspaceId: ws, version: 1, trigger: 'schedule' as const, params: { x: 1 } }
    const r = pipelines.reporter
    const finished: string[] = []
    const off = r.onRunFinished((run) => finished.push(run.status))
    await queuedRun(workflowId, context)
    await r.report({ kind: 'run_started', workflowId, temporalRunId: 'tr-1', context, at: '2024-05-01T10:00:00.000Z' })
    await r.report({ kind: 'run_started', workflowId, temporalRunId: 'tr-1', context, at: '2024-05-01T10:00:05.000Z' })
    await r.report({
      kind: 'step_finished',
      workflowId,
      stepId: 'a',
      status: 'succeeded',
      attempts: 2,
      output: { ok: true },
      startedAt: '2024-05-01T10:00:01.000Z',
      at: '2024-05-01T10:00:03.500Z',
    })
    // A late attempt report must not reopen the finished step.
    await r.report({ kind: 'step_attempt', workflowId, stepId: 'a', attempt: 2, at: '2024-05-01T10:00:02.000Z' })
    await r.report({
      kind: 'log',
      workflowId,
      stepId: 'a',
      level: 'info',
      message: 'hello',
      at: '2024-05-01T10:00:02.000Z',
    })
    const end = {
      kind: 'run_finished' as const,
      workflowId,
      status: 'failed' as const,
      error: 'x',
      at: '2024-05-01T10:00:04.000Z',
    }
    await r.report(end)
    await r.report(end)
    off()
    expect(finished).toEqual(['failed'])
    const runs = (await api('GET', `/pipeline-runs?pipelineId=${pipelineId}`)).body.items
    expect(runs).toMatchObject([
      {
        trigger: 'schedule',
        status: 'failed',
        params: { x: 1 },
        startedAt: '2024-05-01T10:00:00.000Z',
        durationMs: 4000,
      },
    ])
    const detail = (await api('GET', `/pipeline-runs/${runs[0].id}`)).body
    expect(detail.steps).toMatchObject([
      { stepId: 'a', status: 'succeeded', attempts: 2, durationMs: 2500, output: { ok: true }, artifacts: [] },
    ])
    const logs = (await api('GET', `/pipeline-runs/${runs[0].id}/logs`)).body
    expect(logs.items.map((l: any) => l.message)).toEqual(['hello', 'run failed: x'])
    expect((await api('GET', `/pipeline-runs/${runs[0].id}/logs?after=${logs.next}`)).body.items).toEqual([])
  })

  it('gives up on an alert webhook after a bounded number of signed attempts, and records why', async () => {
    const receiver = await startWebhookServer({ '/down': (_req, res) => res.writeHead(500).end('down') })
    try {
      const { id: pipelineId } = (
        await api('POST', '/pipelines', {
          yaml: simple('unreachable-alerts'),
          alertWebhookUrl: `${receiver.url}/down`,
          alertSecret: 'another-secret-0123456789',
        })
      ).body
      const dispatcher = new AlertDispatcher(
        database.db,
        pino({ level: 'silent' }),
        { attempts: 3, initialDelayMs: 10, maxDelayMs: 20 },
        fetch,
        new AlertSecrets(new WorkspaceKeys(() => database.db, masterKey)),
      )
      const alert = { pipelineId, runId: null, kind: 'failure' as const, dedupeKey: 'k1', message: 'it broke' }
      expect(await dispatcher.raise(alert)).toBeDefined()
      expect(await dispatcher.raise(alert)).toBeUndefined()
      await dispatcher.settle()
      expect(receiver.requests).toHaveLength(3)
      for (const r of receiver.requests)
        expect(r.headers['x-workbench-signature']).toBe(signBody('another-secret-0123456789', r.body))
      const alerts = (await api('GET', `/pipelines/${pipelineId}/alerts`)).body.items
      expect(alerts).toMatchObject([{ delivery: 'failed', attempts: 3, lastError: 'HTTP 500' }])
    } finally {
      await receiver.close()
    }
  })

  it('records SLA breaches once: a run over its max duration, a day with no success by the deadline', async () => {
    const { id: pipelineId } = (
      await api('POST', '/pipelines', {
        yaml: simple('with-sla'),
        sla: { maxDuration: '1h', finishBy: '06:00', timezone: 'Europe/Paris' },
      })
    ).body
    const now = new Date()
    await database.db
      .updateTable('pipelines')
      .set({ created_at: new Date(now.getTime() - 3 * 86_400_000) })
      .where('id', '=', pipelineId)
      .execute()
    await database.db
      .insertInto('pipeline_runs')
      .values({
        id: `slow-${kind}`,
        pipeline_id: pipelineId,
        workspace_id: ws,
        version: 1,
        trigger: 'manual',
        params: '{}',
        status: 'running',
        workflow_id: `slow-${kind}`,
        started_at: new Date(now.getTime() - 2 * 3_600_000),
      })
      .execute()
    expect(await pipelines.sla.check(now)).toBe(2)
    expect(await pipelines.sla.check(now)).toBe(0)
    const alerts = (await api('GET', `/pipelines/${pipelineId}/alerts`)).body.items
    expect(alerts.map((a: any) => a.kind).sort()).toEqual(['sla_duration', 'sla_finish_by'])
    expect(alerts.every((a: any) => a.delivery === 'not_configured')).toBe(true)
  })
})

describe('backfill intervals and SLA deadlines', () => {
  const spec = (schedule: string) => {
    const result = validatePipeline(
      `${header('b')}${schedule}steps:\n  - { id: a, type: http, with: { url: 'http://x' } }\n`,
    )
    if (!result.ok) throw new Error(JSON.stringify(result.problems))
    return result.spec
  }

  it('follows the cron in its time zone, across a DST change', () => {
    const intervals = backfillIntervals(spec("schedule: { cron: '0 3 * * *', timezone: Europe/Paris }\n"), {
      start: '2024-03-30T00:00:00Z',
      end: '2024-04-01T00:00:00Z',
    })
    expect(intervals.map(([a, b]) => [a.toISOString(), b.toISOString()])).toEqual([
      ['2024-03-30T02:00:00.000Z', '2024-03-31T01:00:00.000Z'],
      ['2024-03-31T01:00:00.000Z', '2024-04-01T01:00:00.000Z'],
    ])
  })

  it('refuses empty, reversed and unschedulable ranges', () => {
    const none = spec('')
    expect(() => backfillIntervals(none, { start: '2024-01-02', end: '2024-01-01', every: '1d' })).toThrow(/before/)
    expect(() => backfillIntervals(none, { start: '2024-01-01', end: '2024-01-02' })).toThrow(/no schedule/)
    expect(() => backfillIntervals(none, { start: '2024-01-01', end: '2030-01-01', every: '1h' })).toThrow(/at most/)
  })

  it('finds a time of day in a zone', () => {
    expect(zonedTimeOfDay(new Date('2024-07-01T12:00:00Z'), '06:00', 'Europe/Paris').toISOString()).toBe(
      '2024-07-01T04:00:00.000Z',
    )
    expect(zonedTimeOfDay(new Date('2024-01-15T12:00:00Z'), '06:00', 'America/New_York').toISOString()).toBe(
      '2024-01-15T11:00:00.000Z',
    )
  })
})
