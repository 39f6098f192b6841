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

  const step = (type: string, withBlock: Record<string, unknown>) => ({
    type,
    with: withBlock,
    input: { pipeline: 'p', stepId: 's', type, with: withBlock, params: {}, idempotencyKey: `k-${Math.random()}` },
    attempt: 1,
    idempotencyKey: `k-${Math.random()}`,
  })
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
    const res = await post(step('sql', { sql: 'select 1' }))
    expect(res.status).toBe(404)
    expect(JSON.parse(res.text).code).toBe('worker_api_disabled')
  })

  it('runs a step for a worker presenting the token, streaming its result; refuses anyone else', async () => {
    pipelines.stepExecutor = new StepExecutor({ token: TOKEN, steps: { sql: runner } })
    const ping = await app.request(STEP_PING_PATH, { headers: { Authorization: `Bearer ${TOKEN}` } })
    expect(ping.status).toBe(200)

    const ok = await post(step('sql', { sql: 'select 41 + 1 as answer' }))
    expect(ok.status).toBe(200)
    expect(ok.type).toContain('application/x-ndjson')
    const last = events(ok.text).at(-1)
    expect(last).toMatchObject({ type: 'result', output: { columns: ['answer'], rows: [{ answer: 42 }] } })

    for (const token of ['', 'x', `${TOKEN}x`]) {
      const refused = await post(step('sql', { sql: 'select 1' }), token)
      expect(refused.status).toBe(401)
      expect(JSON.parse(refused.text).code).toBe('invalid_worker_token')
    }
    const user = await app.request(STEP_PING_PATH)
    expect(user.status).toBe(401)
  })

  it('carries the failure type and retryability of a failed step; refuses malformed requests', async () => {
    const failed = await post(step('sql', { sql: 'selec nonsense' }))
    expect(events(failed.text).at(-1)).toMatchObject({ type: 'error', errorType: 'SqlError', nonRetryable: true })

    const checked = await post(step('quality', { table: 'missing_table', checks: [{ not_null: 'id' }] }))
    expect(events(checked.text).at(-1)).toMatchObject({ type: 'error' })

    expect((await post({ type: 'sql' })).status).toBe(400)
    const http = await post(step('http', { url: 'http://127.0.0.1:9/' }))
    expect(http.status).toBe(400)
    expect(JSON.parse(http.text).code).toBe('invalid_step_request')
  })
})
