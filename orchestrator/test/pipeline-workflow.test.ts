import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  TimeoutFailure,
  WorkflowFailedError,
} from '@temporalio/client'
import { Worker } from '@temporalio/worker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbSqlRunner } from '../src/activities/index.ts'
import { OrchestratorClient } from '../src/client/index.ts'
import { type PipelineSpec, resolveParams, validatePipeline } from '../src/spec/index.ts'
import {
  type PipelineEnv,
  startPipelineEnv,
  startWebhookServer,
  TEMPORAL_CLI,
  waitFor,
  workflowBundle,
} from './support/pipeline-env.ts'

const HISTORIES = path.join(import.meta.dirname, 'fixtures', 'histories')

/**
 * Replays a finished run's history against the current workflow code (it must not diverge), and with
 * RECORD_HISTORIES=1 stores it as a fixture that replay.test.ts keeps replaying in CI.
 */
async function checkReplay(
  pipelines: PipelineEnv,
  handle: { workflowId: string; fetchHistory(): Promise<unknown> },
  name: string,
) {
  await Worker.runReplayHistory(
    { workflowBundle: await workflowBundle() },
    await handle.fetchHistory(),
    handle.workflowId,
  )
  if (process.env.RECORD_HISTORIES === '1') {
    // The CLI's JSON is the format Temporal documents for replay fixtures.
    const args = [
      'workflow',
      'show',
      '--address',
      pipelines.env.address,
      '--workflow-id',
      handle.workflowId,
      '-o',
      'json',
    ]
    writeFileSync(path.join(HISTORIES, `${name}.json`), execFileSync(TEMPORAL_CLI, args))
  }
}

function specOf(source: string): PipelineSpec {
  const result = validatePipeline(source)
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.line}:${p.column} ${p.message}`).join('\n'))
  return result.spec
}

const header = (name: string) => `apiVersion: workbench/v1\nkind: Pipeline\nmetadata: { name: ${name} }\n`

/** The error a failed run reports: WorkflowFailedError -> cause. */
async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(error).toBeInstanceOf(WorkflowFailedError)
  return (error as WorkflowFailedError).cause as Error
}

describe('pipeline workflow on a real Temporal dev server', () => {
  let pipelines: PipelineEnv
  let client: OrchestratorClient
  let sql: DuckDbSqlRunner
  let webhooks: Awaited<ReturnType<typeof startWebhookServer>>
  const barrier: (() => void)[] = []

  beforeAll(async () => {
    webhooks = await startWebhookServer({
      // Answers only once two calls are waiting: a sequential executor would never get past it.
      '/barrier': (_req, res) => {
        barrier.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'))
        if (barrier.length >= 2) for (const release of barrier.splice(0)) release()
      },
      '/fail': (_req, res) => res.writeHead(500).end('boom'),
      '/bad-request': (_req, res) => res.writeHead(422).end('nope'),
      '/hang': () => {},
      '/ok': (_req, res, body) => res.writeHead(200, { 'content-type': 'application/json' }).end(body || '{}'),
    })
    pipelines = await startPipelineEnv()
    sql = await DuckDbSqlRunner.open()
    await pipelines.startWorker({ sql })
    client = new OrchestratorClient({
      connection: pipelines.env.connection,
      namespace: pipelines.env.namespace ?? 'default',
      taskQueue: pipelines.taskQueue,
    })
  })

  afterAll(async () => {
    await pipelines?.dispose()
    sql?.close()
    await webhooks?.close()
  })

  it('runs a diamond: both middle branches run at the same time, then the join', async () => {
    const spec = specOf(`${header('diamond')}
steps:
  - id: load
    type: sql
    with: { sql: "create or replace table diamond as select range as x from range(5)" }
  - id: left
    type: http
    depends_on: [load]
    timeout: 30s
    retry: { attempts: 1 }
    with: { url: '${webhooks.url}/barrier', body: { branch: left } }
  - id: right
    type: http
    depends_on: [load]
    timeout: 30s
    retry: { attempts: 1 }
    with: { url: '${webhooks.url}/barrier', body: { branch: right } }
  - id: check
    type: quality
    depends_on: [left, right]
    with: { table: diamond, checks: [{ not_null: x }, { unique: x }, { row_count: { min: 5, max: 5 } }] }
`)
    const handle = await client.startPipeline({ spec, params: {} })
    const result = await handle.result()
    expect(Object.fromEntries(Object.entries(result.steps).map(([id, s]) => [id, s.status]))).toEqual({
      load: 'succeeded',
      left: 'succeeded',
      right: 'succeeded',
      check: 'succeeded',
    })
    expect(result.steps.left?.output).toEqual({ status: 200, body: { ok: true } })
    expect(result.steps.check?.output).toMatchObject({ checks: [{ passed: true }, { passed: true }, { passed: true }] })
    const keys = webhooks.requests.filter((r) => r.path === '/barrier').map((r) => r.headers['idempotency-key'])
    expect(keys).toEqual(
      expect.arrayContaining([`${handle.firstExecutionRunId}/left`, `${handle.firstExecutionRunId}/right`]),
    )
    expect(await client.pipelineStatus(handle.workflowId)).toEqual(result.steps)
    await checkReplay(pipelines, handle, 'diamond')
  })

  it('retries a failing step, then fails the run with its error and skips its dependents', async () => {
    const spec = specOf(`${header('failing')}
steps:
  - id: flaky
    type: http
    retry: { attempts: 3, backoff: { initial: 100ms, coefficient: 1 } }
    with: { url: '${webhooks.url}/fail' }
  - id: after
    type: http
    depends_on: [flaky]
    with: { url: '${webhooks.url}/ok' }
`)
    const before = webhooks.requests.length
    const handle = await client.startPipeline({ spec, params: {} })
    const cause = await failureOf(handle.result())
    await checkReplay(pipelines, handle, 'failing-step')
    expect(cause).toBeInstanceOf(ApplicationFailure)
    expect((cause as ApplicationFailure).type).toBe('StepFailed')
    expect(cause.message).toContain("step 'flaky' failed: GET")
    expect(cause.message).toContain('answered HTTP 500: boom')
    const calls = webhooks.requests.slice(before)
    expect(calls.map((r) => r.path)).toEqual(['/fail', '/fail', '/fail'])
    const [details] = (cause as ApplicationFailure).details as [{ steps: Record<string, { status: string }> }]
    expect(details.steps.flaky?.status).toBe('failed')
    expect(details.steps.after).toBeUndefined()
  })

  it('does not retry a client error (4xx)', async () => {
    const spec = specOf(`${header('client-error')}
steps:
  - { id: post, type: http, retry: { attempts: 5, backoff: { initial: 100ms } }, with: { url: '${webhooks.url}/bad-request', body: {} } }
`)
    const before = webhooks.requests.length
    const cause = await failureOf((await client.startPipeline({ spec, params: {} })).result())
    expect(cause.message).toContain('HTTP 422')
    expect(webhooks.requests.slice(before).length).toBe(1)
  })

  it('cuts a hanging step at its timeout and reports it as a timeout', async () => {
    const spec = specOf(`${header('hanging')}
steps:
  - { id: hang, type: http, timeout: 2s, retry: { attempts: 1 }, with: { url: '${webhooks.url}/hang' } }
`)
    const cause = await failureOf((await client.startPipeline({ spec, params: {} })).result())
    expect(cause.message).toMatch(/^step 'hang' failed: .*timeout/i)
    expect(cause.cause).toBeInstanceOf(TimeoutFailure)
  })

  it('cancels a run mid-step: the run ends CANCELLED and the in-flight call is aborted', async () => {
    const spec = specOf(`${header('cancel')}
steps:
  - { id: wait, type: http, timeout: 5m, with: { url: '${webhooks.url}/hang?cancel' } }
  - { id: never, type: http, depends_on: [wait], with: { url: '${webhooks.url}/ok?never' } }
`)
    const handle = await client.startPipeline({ spec, params: {} })
    await waitFor(() => webhooks.requests.some((r) => r.path === '/hang?cancel'), 'the step to start')
    await handle.cancel()
    const cause = await failureOf(handle.result())
    await checkReplay(pipelines, handle, 'cancelled')
    expect(cause).toBeInstanceOf(CancelledFailure)
    expect((await handle.describe()).status.name).toBe('CANCELLED')
    // The activity learns of the cancellation on its next heartbeat and aborts its HTTP request.
    await waitFor(() => webhooks.requests.find((r) => r.path === '/hang?cancel')?.aborted === true, 'the call abort')
    expect(webhooks.requests.some((r) => r.path === '/ok?never')).toBe(false)
  })

  it('evaluates when conditions and templates against params and upstream outputs', async () => {
    const spec = specOf(`${header('conditions')}
params:
  min: { type: integer, default: 100 }
  label: { type: string }
steps:
  - id: count
    type: sql
    with:
      sql: select count(*)::integer as n, $label as label from range(10)
      parameters: { label: '{{ params.label }}' }
  - id: big
    type: http
    depends_on: [count]
    when: steps.count.output.rows[0].n >= params.min
    with: { url: '${webhooks.url}/ok?big', body: { n: '{{ steps.count.output.rows[0].n }}' } }
  - id: after-big
    type: http
    depends_on: [big]
    with: { url: '${webhooks.url}/ok?after-big' }
  - id: small
    type: http
    depends_on: [count]
    when: steps.count.output.rows[0].n < params.min
    with: { url: '${webhooks.url}/ok?small', body: { n: '{{ steps.count.output.rows[0].n }}', label: 'l={{ params.label }}' } }
`)
    const { values, problems } = resolveParams(spec, { label: "it's" })
    expect(problems).toEqual([])
    const handle = await client.startPipeline({ spec, params: values })
    const result = await handle.result()
    await checkReplay(pipelines, handle, 'conditions')
    expect(result.steps.count?.output).toMatchObject({ rows: [{ n: 10, label: "it's" }] })
    expect(result.steps.big?.status).toBe('skipped')
    expect(result.steps['after-big']).toMatchObject({
      status: 'skipped',
      reason: "upstream step 'big' did not succeed",
    })
    expect(result.steps.small?.status).toBe('succeeded')
    const small = webhooks.requests.find((r) => r.path === '/ok?small')
    expect(JSON.parse(small?.body ?? '')).toEqual({ n: 10, label: "l=it's" })
    expect(webhooks.requests.some((r) => r.path.startsWith('/ok?big'))).toBe(false)
  })

  it('continues as new when the history grows large and still runs every step once', async () => {
    const steps = Array.from({ length: 8 }, (_, i) =>
      i === 0
        ? `  - { id: s0, type: sql, with: { sql: "create or replace table chain as select 0 as i" } }`
        : `  - { id: s${i}, type: sql, depends_on: [s${i - 1}], with: { sql: "insert into chain values (${i})" } }`,
    )
    const spec = specOf(`${header('long-chain')}concurrency: 1\nsteps:\n${steps.join('\n')}\n`)
    const result = await (await client.startPipeline({ spec, params: {}, options: { historyEventLimit: 25 } })).result()
    expect(result.segments).toBeGreaterThan(1)
    expect(Object.values(result.steps).every((s) => s.status === 'succeeded')).toBe(true)
    const rows = await sql.run({
      connection: 'duckdb',
      sql: 'select count(*)::integer as n, count(distinct i)::integer as d from chain',
    })
    expect(rows.rows).toEqual([{ n: 8, d: 8 }])
  })

  it('reports a run through local activities and replays deterministically', async () => {
    const spec = specOf(`${header('reported')}
params:
  never: { type: boolean, default: false }
steps:
  - { id: a, type: http, with: { url: '${webhooks.url}/ok?reported' } }
  - { id: b, type: http, depends_on: [a], retry: { attempts: 1 }, with: { url: '${webhooks.url}/fail' } }
  - { id: c, type: http, depends_on: [a], when: "params.never == true", with: { url: '${webhooks.url}/ok' } }
`)
    const params = { never: false }
    const report = { pipelineId: 'p', workspaceId: 'w', version: 1, trigger: 'manual' as const, params }
    const handle = await client.startPipeline({ spec, params, report })
    const cause = await failureOf(handle.result())
    expect(cause.message).toMatch(/^step 'b' failed/)
    const history = JSON.stringify(await handle.fetchHistory())
    expect(history).toContain('core_local_activity')
    await checkReplay(pipelines, handle, 'reported')
  })

  it('fails a bad spec at once, without retrying the workflow', async () => {
    const spec = specOf(`${header('cyclic')}steps:\n  - { id: a, type: sql, with: { sql: select 1 } }\n`)
    spec.steps.push({ id: 'b', type: 'sql', depends_on: ['b'], with: { sql: 'select 1' } })
    const cause = await failureOf((await client.startPipeline({ spec, params: {} })).result())
    expect((cause as ApplicationFailure).type).toBe('InvalidPipelineSpec')
    expect(cause.message).toContain('dependency cycle: b -> b')
  })

  it('fails quality checks with every failing check and does not retry them', async () => {
    const spec = specOf(`${header('quality')}
steps:
  - { id: seed, type: sql, with: { sql: "create or replace table q as select * from (values (1, 'a'), (1, 'z'), (null, 'b')) t(id, code)" } }
  - id: checks
    type: quality
    depends_on: [seed]
    with:
      table: q
      checks:
        - { name: ids present, not_null: id }
        - unique: id
        - accepted_values: { column: code, values: [a, b] }
        - row_count: { min: 1, max: 10 }
        - sql: select * from q where code = 'z'
`)
    const cause = await failureOf((await client.startPipeline({ spec, params: {} })).result())
    expect(cause.message).toBe(
      "step 'checks' failed: quality checks failed: ids present (1 failing), unique #2 (1 failing), accepted_values #3 (1 failing), sql #5 (1 failing)",
    )
    expect(cause.cause).toBeInstanceOf(ApplicationFailure)
    expect((cause.cause as ApplicationFailure).type).toBe('QualityCheckFailed')
    expect(cause.cause).not.toBeInstanceOf(ActivityFailure)
  })
})
