import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { Client } from '@temporalio/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../../orchestrator/test/support/pipeline-env.ts'
import { writeAllowedNetworks } from '../../src/connections/network-settings.ts'
import { STEP_RUN_PATH } from '../../src/pipelines/remote-steps.ts'
import { header, workspaceCaller } from '../pipelines/support.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { TEST_SIGNING_KEY } from '../support/identity.ts'
import { createMembers } from '../support/members.ts'
import { startTestWorkbench, type TestWorkbench } from '../support/workbench.ts'

const WORKER_TOKEN = 'worker-token-for-the-temporal-escape-suite-0123456789'

/** Loopback ports the process `pid` listens on (from /proc: its socket inodes in the LISTEN table). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const link = (() => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`)
      } catch {
        return ''
      }
    })()
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1]
    if (inode) inodes.add(inode)
  }
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[3] === '0A' && inodes.has(f[9] ?? ''))
    .map((f) => Number.parseInt((f[1] ?? '').split(':')[1] ?? '0', 16))
}

/**
 * The dev server's HTTP API (`host:port`): as the runtime reports it, or else found the way an attacker
 * would, among the ports the Temporal process listens on, by which one serves the workflow list.
 */
async function temporalHttpApi(wb: TestWorkbench): Promise<string> {
  if (wb.temporal.internalEndpoints) return wb.temporal.internalEndpoints.http
  for (const port of listeningPorts(wb.temporal.process?.pid ?? 0)) {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/${wb.temporal.namespace}/workflows`, {
      signal: AbortSignal.timeout(2_000),
    }).catch(() => undefined)
    if (res?.status === 200) return `127.0.0.1:${port}`
  }
  throw new Error('the Temporal HTTP API was not found')
}

/** Every failure type and message down an error's cause chain. */
function causes(err: unknown): string {
  const parts: string[] = []
  let current: unknown = err
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    parts.push(`${(current as { type?: string }).type ?? current.name}: ${current.message}`)
    current = current.cause
  }
  return parts.join(' <- ')
}

/**
 * Finding 2 of issue 14: a pipeline http step read the embedded Temporal server's HTTP API (every
 * workspace's runs and histories) and POSTed a `pipelineWorkflow` with a foreign `workspaceId`, and
 * the worker ran arbitrary SQL on that workspace's database. Here the attacker talks to Temporal
 * directly, with its own client on the task queue, and from an http step.
 */
describe.each(DATABASE_KINDS)('Temporal is not a way in (%s)', (kind) => {
  let database: TestDatabase | undefined
  let wb: TestWorkbench
  let temporal: Client
  let victimWs: string
  let victim: ReturnType<typeof workspaceCaller>
  let seedPipeline: string
  let seedWorkflowId: string
  let scheduledPipeline: string

  const runToEnd = async (api: ReturnType<typeof workspaceCaller>, yaml: string) => {
    const created = await api('POST', '/pipelines', { yaml })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await api('POST', `/pipelines/${created.body.id}/runs`, {})
    expect(started.status, JSON.stringify(started.body)).toBe(201)
    let detail: any
    await waitFor(
      async () => {
        detail = (await api('GET', `/pipeline-runs/${started.body.id}`)).body
        return ['succeeded', 'failed', 'cancelled'].includes(detail.status)
      },
      'the run to finish',
      90_000,
    )
    return { pipelineId: created.body.id as string, detail }
  }
  const preciousRows = async () => {
    const { detail } = await runToEnd(
      victim,
      `${header(`count-${randomUUID().slice(0, 8)}`)}steps:\n  - { id: n, type: sql, with: { sql: 'SELECT count(*) AS n FROM precious' } }\n`,
    )
    expect(detail.status, JSON.stringify(detail)).toBe('succeeded')
    return Number(detail.steps[0].output.rows[0].n)
  }

  beforeAll(async () => {
    if (kind === 'postgres') database = await createTestDatabase('postgres')
    wb = await startTestWorkbench({
      AUTH_JWT_SECRET: TEST_SIGNING_KEY,
      WORKER_TOKEN,
      ...(database?.url ? { DATABASE_URL: database.url } : {}),
    })
    const members = createMembers(wb.db)
    victimWs = await members.workspace('victim')
    victim = workspaceCaller(wb.app, victimWs, (await members.member(victimWs, 'editor')).token)
    const seed = await runToEnd(
      victim,
      `${header('seed')}steps:\n  - { id: load, type: sql, with: { sql: 'CREATE OR REPLACE TABLE precious AS SELECT range AS id FROM range(5)' } }\n`,
    )
    expect(seed.detail.status, JSON.stringify(seed.detail)).toBe('succeeded')
    seedPipeline = seed.pipelineId
    seedWorkflowId = seed.detail.workflowId
    const scheduled = await victim('POST', '/pipelines', {
      yaml: `${header('nightly')}schedule: { cron: '0 3 1 1 *', paused: true }\nsteps:\n  - { id: load, type: sql, with: { sql: 'SELECT 1' } }\n`,
    })
    expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(201)
    scheduledPipeline = scheduled.body.id
    temporal = new Client({ connection: wb.temporal.connection, namespace: wb.temporal.namespace })
  }, 240_000)
  afterAll(async () => {
    await wb?.dispose()
    await database?.dispose()
  })

  it('pipelineWorkflow started on the task queue with a foreign workspace and destructive SQL fails, data untouched', async () => {
    const destructive = (id = 'load') => ({
      apiVersion: 'workbench/v1',
      kind: 'Pipeline',
      metadata: { name: 'seed' },
      steps: [{ id, type: 'sql', with: { sql: 'DROP TABLE precious' } }],
    })
    const context = (pipelineId: string, trigger: string) => ({
      pipelineId,
      workspaceId: victimWs,
      version: 1,
      trigger,
      params: {},
    })
    const attacks: { name: string; workflowId: string; input: Record<string, unknown> }[] = [
      // Claims a run of the victim's real pipeline (same step id) with other SQL.
      {
        name: 'foreign run',
        workflowId: `attack-${randomUUID()}`,
        input: { spec: destructive(), params: {}, report: context(seedPipeline, 'manual') },
      },
      // Reuses the id of the victim's finished run.
      {
        name: 'finished run id',
        workflowId: seedWorkflowId,
        input: { spec: destructive(), params: {}, report: context(seedPipeline, 'manual') },
      },
      // Poses as a scheduled run: of a pipeline with no schedule, and of one with a schedule.
      {
        name: 'fake schedule',
        workflowId: `pipeline-schedule-${seedPipeline}-attack`,
        input: { spec: destructive(), params: {}, report: context(seedPipeline, 'schedule') },
      },
      {
        name: 'schedule, other SQL',
        workflowId: `pipeline-schedule-${scheduledPipeline}-attack-${randomUUID()}`,
        input: { spec: destructive(), params: {}, report: context(scheduledPipeline, 'schedule') },
      },
      // No report at all: steps carry no run.
      { name: 'unreported', workflowId: `attack-${randomUUID()}`, input: { spec: destructive(), params: {} } },
    ]
    for (const attack of attacks) {
      const handle = await temporal.workflow.start('pipelineWorkflow', {
        taskQueue: wb.config.temporal.taskQueue,
        workflowId: attack.workflowId,
        args: [attack.input],
        workflowExecutionTimeout: '2 minutes',
      })
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err, attack.name).toBeInstanceOf(Error)
      expect(causes(err), attack.name).toContain('RunNotAuthorized')
    }
    expect(await preciousRows()).toBe(5)
    // Nothing was recorded for the forged runs in the victim's history (the scheduled pipeline's
    // lookalike is its schedule's id: recorded, then refused at its step, and left failed).
    const runs = await wb.db.db.selectFrom('pipeline_runs').select(['workflow_id', 'pipeline_id']).execute()
    for (const attack of attacks.filter((a) => a.name !== 'schedule, other SQL' && a.name !== 'finished run id'))
      expect(
        runs.map((r) => r.workflow_id),
        attack.name,
      ).not.toContain(attack.workflowId)
    expect(runs.filter((r) => r.workflow_id === seedWorkflowId)).toHaveLength(1)
  })

  it('the internal step endpoint separate workers use verifies the run too', async () => {
    const post = (input: Record<string, unknown>) =>
      wb.app.request(STEP_RUN_PATH, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${WORKER_TOKEN}` },
        body: JSON.stringify({
          type: 'sql',
          with: { sql: 'DROP TABLE precious' },
          input: {
            pipeline: 'seed',
            stepId: 'load',
            type: 'sql',
            with: { sql: 'DROP TABLE precious' },
            params: {},
            idempotencyKey: randomUUID(),
            ...input,
          },
          attempt: 1,
          idempotencyKey: randomUUID(),
        }),
      })
    for (const input of [
      {},
      { workflowId: `attack-${randomUUID()}`, workspaceId: victimWs },
      { workflowId: seedWorkflowId, workspaceId: victimWs },
    ]) {
      const res = await post(input)
      const last = (await res.text()).trim().split('\n').at(-1) ?? '{}'
      expect(JSON.parse(last)).toMatchObject({ type: 'error', errorType: 'RunNotAuthorized', nonRetryable: true })
    }
    expect(await preciousRows()).toBe(5)
  })

  it('the embedded Temporal HTTP API is not reachable from an http step, even with loopback allow-listed', async () => {
    const httpApi = await temporalHttpApi(wb)
    const httpPort = httpApi.split(':')[1]
    const list = `http://${httpApi}/api/v1/namespaces/${wb.temporal.namespace}/workflows`
    // The target is real: the test process itself (not user code) can read every workspace's runs there.
    expect((await fetch(list)).status).toBe(200)
    await writeAllowedNetworks(wb.db.db, ['127.0.0.0/8', '::1/128'])
    try {
      const urls = [
        list,
        `http://127.1:${httpPort}/api/v1/namespaces/${wb.temporal.namespace}/workflows`,
        `http://0.0.0.0:${httpPort}/api/v1/namespaces/${wb.temporal.namespace}/workflows`,
        `http://localhost:${httpPort}/api/v1/namespaces/${wb.temporal.namespace}/workflows`,
        `http://${wb.temporal.address}/`,
        ...(wb.temporal.internalEndpoints ? [`http://${wb.temporal.internalEndpoints.metrics}/metrics`] : []),
      ]
      const yaml = [
        `${header('peek')}concurrency: ${urls.length}`,
        'params:',
        ...urls.map((u, i) => `  t${i}: { type: string, default: '${u}' }`),
        'steps:',
        ...urls.map((_, i) => `  - { id: s${i}, type: http, with: { url: '{{ params.t${i} }}' } }`),
        '',
      ].join('\n')
      const { detail } = await runToEnd(victim, yaml)
      expect(detail.status).toBe('failed')
      for (const [i, url] of urls.entries()) {
        const step = detail.steps.find((s: any) => s.stepId === `s${i}`)
        expect(step?.status, url).toBe('failed')
        expect(step.error, url).toContain("not allowed by this instance's network policy")
        expect(JSON.stringify(step.output ?? null)).not.toContain('workflowExecutions')
      }
    } finally {
      await writeAllowedNetworks(wb.db.db, [])
    }
  })
})
