import { randomUUID } from 'node:crypto'
import { DuckDbSqlRunner } from '@workbench/orchestrator/activities'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { Pipelines } from '../../src/pipelines/pipelines-module.ts'
import { type RemoteStepEvent, STEP_PING_PATH, STEP_RUN_PATH } from '../../src/pipelines/remote-steps.ts'
import { StepExecutor } from '../../src/pipelines/step-executor.ts'
import { createTestDatabase, type TestDatabase } from '../support/databases.ts'
import { createMembers } from '../support/members.ts'

const TOKEN = 'worker-token-for-the-internal-endpoint-0123'

/** The API side of step delegation, in-process (the end-to-end path: pipelines-separate-worker.test.ts). */
describe('internal step endpoint', () => {
  let database: TestDatabase
  let pipelines: Pipelines
  let runner: DuckDbSqlRunner
  let app: ReturnType<typeof createApp>

  let workspaceId: string
  /** A step of a run recorded in the metadata DB, whose stored version has exactly this one step. */
  const step = async (type: string, withBlock: Record<string, unknown>) => {
    const pipelineId = randomUUID()
    const workflowId = `pipeline-run-${randomUUID()}`
    const spec = { metadata: { name: `p-${pipelineId}` }, steps: [{ id: 's', type, with: withBlock }] }
    await database.db
      .insertInto('pipelines')
      .values({ id: pipelineId, workspace_id: workspaceId, name: spec.metadata.name, current_version: 1 } as never)
      .execute()
    await database.db
      .insertInto('pipeline_versions')
      .values({ pipeline_id: pipelineId, version: 1, yaml: '', spec: JSON.stringify(spec) })
      .execute()
    await database.db
      .insertInto('pipeline_runs')
      .values({
        id: randomUUID(),
        pipeline_id: pipelineId,
        workspace_id: workspaceId,
        version: 1,
        trigger: 'manual',
        params: '{}',
        status: 'running',
        workflow_id: workflowId,
      })
      .execute()
    return {
      type,
      with: withBlock,
      input: {
        pipeline: spec.metadata.name,
        stepId: 's',
        type,
        with: withBlock,
        params: {},
        idempotencyKey: `k-${Math.random()}`,
        workflowId,
        workspaceId,
      },
      attempt: 1,
      idempotencyKey: `k-${Math.random()}`,
    }
  }
  const post = async (body: unknown, token = TOKEN) => {
    const res = await app.request(STEP_RUN_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, type: res.headers.get('content-type'), text }
  }
  const events = (text: string) =>
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as RemoteStepEvent)

  beforeAll(async () => {
    database = await createTestDatabase('pglite', { migrate: true })
    const logger = pino({ level: 'silent' })
    pipelines = new Pipelines({ db: database.db, logger, orchestrator: () => undefined, backgroundEveryMs: 0 })
    runner = await DuckDbSqlRunner.open()
    workspaceId = await createMembers(database).workspace()
    app = createApp({
      identity: createMembers(database).identity,
      logger,
      readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
      pipelines: () => pipelines,
    })
  })
  afterAll(async () => {
    runner?.close()
    await pipelines?.stop()
    await database?.dispose()
  })

  it('is disabled until the server has a worker token', async () => {
    const res = await post(await step('sql', { sql: 'select 1' }))
    expect(res.status).toBe(404)
    expect(JSON.parse(res.text).code).toBe('worker_api_disabled')
  })

  it('runs a step for a worker presenting the token, streaming its result; refuses anyone else', async () => {
    pipelines.stepExecutor = new StepExecutor({
      token: TOKEN,
      steps: { sql: runner },
      authorize: (input) => pipelines.reporter.authority.authorize(input),
    })
    const ping = await app.request(STEP_PING_PATH, { headers: { Authorization: `Bearer ${TOKEN}` } })
    expect(ping.status).toBe(200)

    const ok = await post(await step('sql', { sql: 'select 41 + 1 as answer' }))
    expect(ok.status).toBe(200)
    expect(ok.type).toContain('application/x-ndjson')
    const last = events(ok.text).at(-1)
    expect(last).toMatchObject({ type: 'result', output: { columns: ['answer'], rows: [{ answer: 42 }] } })

    for (const token of ['', 'x', `${TOKEN}x`]) {
      const refused = await post(await step('sql', { sql: 'select 1' }), token)
      expect(refused.status).toBe(401)
      expect(JSON.parse(refused.text).code).toBe('invalid_worker_token')
    }
    const user = await app.request(STEP_PING_PATH)
    expect(user.status).toBe(401)
  })

  it('carries the failure type and retryability of a failed step; refuses malformed requests', async () => {
    const failed = await post(await step('sql', { sql: 'selec nonsense' }))
    expect(events(failed.text).at(-1)).toMatchObject({ type: 'error', errorType: 'SqlError', nonRetryable: true })

    const checked = await post(await step('quality', { table: 'missing_table', checks: [{ not_null: 'id' }] }))
    expect(events(checked.text).at(-1)).toMatchObject({ type: 'error' })

    expect((await post({ type: 'sql' })).status).toBe(400)
    const unknown = await post(await step('smoke', { message: 'x' }))
    expect(unknown.status).toBe(400)
    expect(JSON.parse(unknown.text).code).toBe('invalid_step_request')
  })

  it('refuses a step whose run this workbench did not record, or whose inputs are not the stored version’s', async () => {
    const recorded = await step('sql', { sql: 'select 1 as one' })
    const foreign = { ...recorded, input: { ...recorded.input, workflowId: `pipeline-run-${randomUUID()}` } }
    expect(events((await post(foreign)).text).at(-1)).toMatchObject({
      type: 'error',
      errorType: 'RunNotAuthorized',
      nonRetryable: true,
    })
    const otherSql = { ...recorded, with: { sql: 'select 2 as two' } }
    expect(events((await post(otherSql)).text).at(-1)).toMatchObject({ type: 'error', errorType: 'RunNotAuthorized' })
  })
})
