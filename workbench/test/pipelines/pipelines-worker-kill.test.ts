import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { Worker } from '@temporalio/worker'
import { OrchestratorClient } from '@workbench/orchestrator/client'
import { BUILTIN_STEP_TYPES, defineStepType, stepTypeRegistry } from '@workbench/orchestrator/spec'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  type PipelineEnv,
  startPipelineEnv,
  waitFor,
  workflowBundle,
} from '../../../orchestrator/test/support/pipeline-env.ts'
import { Pipelines } from '../../src/pipelines/pipelines-module.ts'
import { createTestDatabase, type TestDatabase } from '../support/databases.ts'
import { header } from './support.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const WORKER = path.join(import.meta.dirname, 'fixtures', 'activity-worker.ts')

/**
 * kill -9 of the process running a step, mid-attempt: Temporal notices through the missed heartbeat,
 * retries the attempt on a restarted worker, the run completes, and the step's keyed write exists once.
 */
describe('a worker process killed mid-step', () => {
  let env: PipelineEnv
  let database: TestDatabase
  let pipelines: Pipelines
  let workflowWorker: Worker
  let running: Promise<void>
  const children: ChildProcess[] = []
  const taskQueue = `killable-${randomUUID()}`

  const startActivityWorker = async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: env.env.address, TASK_QUEUE: taskQueue, DATABASE_URL: database.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.push(child)
    const lines: string[] = []
    child.stdout?.on('data', (chunk) => lines.push(...String(chunk).split('\n')))
    await waitFor(() => lines.includes('READY'), 'the activity worker to start', 60_000)
    return { child, lines }
  }

  beforeAll(async () => {
    env = await startPipelineEnv()
    database = await createTestDatabase('postgres', { migrate: true })
    await sql`create table side_effects (key text primary key, value text not null)`.execute(database.db)
    await sql`create table step_executions (key text not null, pid integer not null)`.execute(database.db)
    const client = new OrchestratorClient({
      connection: env.env.connection,
      namespace: env.env.namespace ?? 'default',
      taskQueue,
    })
    const registry = stepTypeRegistry([
      ...BUILTIN_STEP_TYPES,
      defineStepType({ type: 'count', description: 'keyed write', with: z.object({ value: z.unknown() }) }),
    ])
    pipelines = new Pipelines({
      db: database.db,
      logger: pino({ level: 'silent' }),
      orchestrator: () => client,
      registry,
      backgroundEveryMs: 0,
    })
    // Workflows (and their local reporting activity) here; step activities only in the child process.
    workflowWorker = await Worker.create({
      connection: env.env.nativeConnection,
      namespace: env.env.namespace ?? 'default',
      taskQueue,
      enableNonLocalActivities: false,
      workflowBundle: await workflowBundle(),
      activities: {
        reportRunEvent: (event: Parameters<typeof pipelines.reporter.report>[0]) => pipelines.reporter.report(event),
      },
    })
    running = workflowWorker.run()
  })
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    workflowWorker?.shutdown()
    await running?.catch(() => {})
    await pipelines?.stop()
    await env?.dispose()
    await database?.dispose()
  })

  it('completes the run, and the keyed write is applied once', async () => {
    const workspace = await database.db
      .insertInto('workspaces')
      .values({ name: 'kill' })
      .returning('id')
      .executeTakeFirstOrThrow()
    const pipeline = await pipelines.pipelines.create(
      workspace.id,
      `${header('killed')}steps:\n  - { id: write, type: count, retry: { attempts: 3, backoff: { initial: 100ms } }, with: { value: 9 } }\n`,
      {},
      null,
    )
    const first = await startActivityWorker()
    const run = await pipelines.runs.trigger(workspace.id, pipeline.id, {}, null)
    await waitFor(() => first.lines.some((l) => l.startsWith('HOLDING')), 'the first attempt to write and hang')
    first.child.kill('SIGKILL')
    await startActivityWorker()
    // The server gives up on the dead attempt after its heartbeat timeout (20 s), then retries it.
    let detail: Awaited<ReturnType<typeof pipelines.runs.get>> | undefined
    await waitFor(
      async () => {
        detail = await pipelines.runs.get(workspace.id, run.id)
        return detail.status === 'succeeded' && detail.steps[0]?.status === 'succeeded'
      },
      'the run to complete on the restarted worker',
      90_000,
    )
    expect(detail?.steps[0]).toMatchObject({ stepId: 'write', attempts: 2, output: { value: 9 } })
    const key = `${detail?.temporalRunId}/write`
    const effects = await sql<{ key: string }>`select key from side_effects`.execute(database.db)
    expect(effects.rows).toEqual([{ key }])
    const executions = await sql<{ pid: number }>`select pid from step_executions where key = ${key}`.execute(
      database.db,
    )
    expect(executions.rows.map((r) => r.pid)).toEqual([first.child.pid, children[1]?.pid])
  })
})
