import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../../orchestrator/test/support/pipeline-env.ts'
import { STEP_RUN_PATH } from '../../src/pipelines/remote-steps.ts'
import { startTemporal, type TemporalService } from '../../src/services/temporal-server.ts'
import { createTestDatabase, type TestDatabase } from '../support/databases.ts'
import { TEST_SIGNING_KEY } from '../support/identity.ts'
import { createMembers } from '../support/members.ts'
import { startTestWorkbench, type TestWorkbench } from '../support/workbench.ts'
import { header, ORDERS_REPORT_NOTEBOOK, workspaceCaller } from './support.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const TASK_QUEUE = 'separate-worker'
const TOKEN = randomBytes(32).toString('hex')

/** `npm run worker` as a child process (what the script runs after its bootstrap check). */
function spawnWorker(env: Record<string, string>): {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
} {
  let output = ''
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workbench/src/worker-main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (d) => {
    output += d
  })
  child.stderr?.on('data', (d) => {
    output += d
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

/**
 * Scale-out: the API server (TEMPORAL_IN_PROCESS_WORKER=false) owns the workspace DuckDB files; a
 * separate worker process polls Temporal and delegates sql, quality and notebook steps to the API over
 * its internal step endpoint, authenticated by WORKER_TOKEN.
 */
describe('a separate worker process (npm run worker)', () => {
  let dir: string
  let database: TestDatabase
  let temporal: TemporalService
  let workbench: TestWorkbench
  let worker: ReturnType<typeof spawnWorker>
  let env: Record<string, string>

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'workbench-worker-'))
    ;[database, temporal] = await Promise.all([
      createTestDatabase('postgres'),
      startTemporal(
        {
          server: {
            kind: 'embedded',
            cli: path.join(ROOT, '.tools/bin/temporal'),
            dbFile: path.join(dir, 'temporal.db'),
          },
          namespace: 'default',
          taskQueue: TASK_QUEUE,
          inProcessWorker: false,
        },
        pino({ level: 'silent' }),
      ),
    ])
    env = {
      DATABASE_URL: database.url ?? '',
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      TEMPORAL_IN_PROCESS_WORKER: 'false',
      WORKER_TOKEN: TOKEN,
    }
    workbench = await startTestWorkbench({ ...env, AUTH_JWT_SECRET: TEST_SIGNING_KEY })
    worker = spawnWorker({ ...env, WORKBENCH_INTERNAL_URL: workbench.url })
    await waitFor(() => worker.output().includes('worker polling'), 'the worker to poll', 60_000)
  }, 180_000)

  afterAll(async () => {
    worker?.child.kill('SIGTERM')
    await worker?.exited
    await workbench?.dispose()
    await Promise.all([temporal?.stop(), database?.dispose()])
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs sql, quality, notebook and catalog.refresh steps on the workspace DuckDB the API server owns', async () => {
    expect(workbench.worker).toBeUndefined()
    const members = createMembers(workbench.db)
    const ws = await members.workspace()
    const { token } = await members.member(ws, 'editor')
    const call = workspaceCaller(workbench.app, ws, token)
    const imported = await call('POST', '/notebooks/import?name=report', JSON.stringify(ORDERS_REPORT_NOTEBOOK))
    expect(imported.status, JSON.stringify(imported.body)).toBe(201)
    const yaml = [
      `${header('separate-worker')}steps:`,
      "  - { id: load, type: sql, with: { sql: 'CREATE OR REPLACE TABLE orders AS SELECT range AS id FROM range(7)' } }",
      '  - id: check',
      '    type: quality',
      '    depends_on: [load]',
      '    with: { table: orders, checks: [{ row_count: { min: 7, max: 7 } }, { unique: id }] }',
      '  - id: report',
      '    type: notebook',
      '    depends_on: [check]',
      `    with: { notebook: '${imported.body.id}', parameters: { factor: 3 } }`,
      '  - { id: catalogue, type: catalog.refresh, depends_on: [report] }',
      '',
    ].join('\n')
    const created = await call('POST', '/pipelines', { yaml })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await call('POST', `/pipelines/${created.body.id}/runs`, {})
    expect(started.status).toBe(201)
    let detail: any
    await waitFor(
      async () => {
        detail = (await call('GET', `/pipeline-runs/${started.body.id}`)).body
        if (detail.status === 'failed') return true
        return detail.status === 'succeeded' && detail.steps.every((s: any) => s.status === 'succeeded')
      },
      'the run to finish',
      150_000,
    )
    expect(detail.status, JSON.stringify(detail)).toBe('succeeded')
    expect(detail.steps.map((s: any) => [s.stepId, s.status])).toEqual([
      ['load', 'succeeded'],
      ['check', 'succeeded'],
      ['report', 'succeeded'],
      ['catalogue', 'succeeded'],
    ])
    // catalog.refresh ran on the API too: the workspace DuckDB's tables are catalogued.
    const catalogue = detail.steps.find((s: any) => s.stepId === 'catalogue')
    expect(catalogue.output.sources).toEqual([
      expect.objectContaining({ source: 'Workspace DuckDB', status: 'succeeded' }),
    ])
    expect((await call('GET', '/catalog/search?q=orders')).body.items[0]).toMatchObject({ name: 'orders' })
    const report = detail.steps.find((s: any) => s.stepId === 'report')
    // The executed notebook the API saved is downloadable as the step's artifact.
    const artifact = await workbench.app.request(
      `/api/workspaces/${ws}/pipeline-runs/${started.body.id}/steps/report/artifacts/${encodeURIComponent(report.artifacts[0].name)}`,
      { headers: { Authorization: `Bearer ${token}` } },
    )
    expect(artifact.status).toBe(200)
    expect(await artifact.text()).toMatch(/total 21/)

    // The table is in the workspace database held by the API process (the worker never opened it).
    const duckdb = await workbench.workspaceDatabases.get(ws)
    expect(JSON.stringify(await duckdb.query('SELECT count(*) AS n FROM orders'))).toContain('7')
    // The worker reported each attempt into the run's log; its token reaches no log.
    const logs = (await call('GET', `/pipeline-runs/${started.body.id}/logs?limit=500`)).body.items
    expect(logs.some((l: any) => l.stepId === 'check' && /attempt 1 succeeded/.test(l.message))).toBe(true)
    expect(worker.output()).not.toContain(TOKEN)
  })

  it('cancels a step delegated to the API mid-query; the workspace database keeps serving runs', async () => {
    const members = createMembers(workbench.db)
    const ws = await members.workspace()
    const { token } = await members.member(ws, 'editor')
    const call = workspaceCaller(workbench.app, ws, token)
    const yaml = [
      `${header('long-query')}steps:`,
      "  - { id: slow, type: sql, with: { sql: 'SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(1000000) b' } }",
      "  - { id: after, type: sql, depends_on: [slow], with: { sql: 'SELECT 1 AS one' } }",
      '',
    ].join('\n')
    const created = await call('POST', '/pipelines', { yaml })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await call('POST', `/pipelines/${created.body.id}/runs`, {})
    // The attempt has started on the worker, which then hands the query to the API.
    await waitFor(
      async () =>
        (await call('GET', `/pipeline-runs/${started.body.id}/logs`)).body.items.some(
          (l: any) => l.stepId === 'slow' && l.message === 'attempt 1 started',
        ),
      'the slow step to start',
      60_000,
    )
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect((await call('POST', `/pipeline-runs/${started.body.id}/cancel`)).status).toBe(202)
    let detail: any
    await waitFor(
      async () => {
        detail = (await call('GET', `/pipeline-runs/${started.body.id}`)).body
        return detail.status !== 'running' && detail.status !== 'queued'
      },
      'the run to end',
      60_000,
    )
    expect(detail.status).toBe('cancelled')
    expect(detail.steps.map((s: any) => [s.stepId, s.status])).toEqual([
      ['slow', 'cancelled'],
      ['after', 'not_run'],
    ])
    // The workspace database still serves the next run.
    const again = await call('POST', '/pipelines', {
      yaml: `${header('after-cancel')}steps:\n  - { id: one, type: sql, with: { sql: 'SELECT 42 AS answer' } }\n`,
    })
    const next = await call('POST', `/pipelines/${again.body.id}/runs`, {})
    await waitFor(
      async () => (await call('GET', `/pipeline-runs/${next.body.id}`)).body.status === 'succeeded',
      'a run after the cancelled one',
      60_000,
    )
  })

  it('refuses the internal step endpoint without the worker token', async () => {
    const res = await workbench.app.request(STEP_RUN_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer not-the-token' },
      body: '{}',
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { code: string }).code).toBe('invalid_worker_token')
  })

  it('exits with a stable code when the worker is misconfigured', async () => {
    const unset = spawnWorker(env)
    expect(await unset.exited).toBe(2)
    expect(unset.output()).toContain('worker_misconfigured')
    expect(unset.output()).toContain('WORKBENCH_INTERNAL_URL')

    const wrong = spawnWorker({ ...env, WORKBENCH_INTERNAL_URL: workbench.url, WORKER_TOKEN: 'x'.repeat(40) })
    expect(await wrong.exited).toBe(2)
    expect(wrong.output()).toContain('worker_unauthorized')
    expect(wrong.output()).not.toContain('x'.repeat(40))
  })
})
