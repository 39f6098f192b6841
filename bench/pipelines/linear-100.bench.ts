import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Worker } from '@temporalio/worker'
import { createActivities, STEP_WORKER_OPTIONS } from '@workbench/orchestrator/activities'
import { OrchestratorClient } from '@workbench/orchestrator/client'
import { BUILTIN_STEP_TYPES, defineStepType, stepTypeRegistry, validatePipeline } from '@workbench/orchestrator/spec'
import pino from 'pino'
import { z } from 'zod'
import { quietRuntime, startPipelineEnv, workflowBundle } from '../../orchestrator/test/support/pipeline-env.ts'
import { openDatabase } from '../../workbench/src/db/database.ts'
import { migrateToLatest } from '../../workbench/src/db/migrate.ts'
import { Pipelines } from '../../workbench/src/pipelines/pipelines-module.ts'
import { DEV_SERVER_SQLITE, DEV_SERVER_TUNING } from '../../workbench/src/services/temporal-server.ts'
import { type BenchResult, percentile } from '../harness.ts'

const STEPS = 100
const RUNS = 5

/**
 * A 100-step linear pipeline of no-op steps through the whole product path (API run service, the
 * interpreter workflow, step activities, progress reported into a PGlite metadata DB) against the
 * same 100 no-op activities in a bare workflow, on the Temporal dev server: time per step.
 * Target: ours ≤ 50 ms per step (median of runs).
 */
export default async function linear100(): Promise<BenchResult[]> {
  quietRuntime()
  // As the embedded dev server runs (workbench/src/services/temporal-server.ts): its state in a SQLite
  // file with the same settings. BENCH_TEMPORAL_DB=memory keeps it in memory instead.
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'bench-temporal-'))
  const inMemory = process.env.BENCH_TEMPORAL_DB === 'memory'
  const env = await startPipelineEnv({
    extraArgs: [
      ...DEV_SERVER_TUNING,
      ...(inMemory ? [] : ['--db-filename', path.join(stateDir, 'temporal.db'), ...DEV_SERVER_SQLITE]),
    ],
  })
  const metadata = await openDatabase({ kind: 'pglite', dataDir: 'memory://' })
  await migrateToLatest(metadata.db)
  const noop = defineStepType({ type: 'noop', description: 'does nothing', with: z.object({}).passthrough() })
  const registry = stepTypeRegistry([...BUILTIN_STEP_TYPES, noop])
  const client = new OrchestratorClient({
    connection: env.env.connection,
    namespace: env.env.namespace ?? 'default',
    taskQueue: env.taskQueue,
  })
  const pipelines = new Pipelines({
    db: metadata.db,
    logger: pino({ level: 'silent' }),
    orchestrator: () => client,
    registry,
    backgroundEveryMs: 0,
  })
  const worker = await Worker.create({
    ...STEP_WORKER_OPTIONS,
    connection: env.env.nativeConnection,
    namespace: env.env.namespace ?? 'default',
    taskQueue: env.taskQueue,
    workflowBundle: await workflowBundle(path.join(import.meta.dirname, 'workflows.ts')),
    activities: {
      ...createActivities({
        workerIdentity: 'bench',
        handlers: { noop: async () => null },
        registry,
        reporter: pipelines.reporter,
      }),
      benchNoop: async (i: number) => i,
    },
  })
  const running = worker.run()
  try {
    const workspace = await metadata.db
      .insertInto('workspaces')
      .values({ name: 'bench' })
      .returning('id')
      .executeTakeFirstOrThrow()
    const lines = Array.from({ length: STEPS }, (_, i) =>
      i === 0 ? '  - { id: s0, type: noop }' : `  - { id: s${i}, type: noop, depends_on: [s${i - 1}] }`,
    )
    const yaml = `apiVersion: workbench/v1\nkind: Pipeline\nmetadata: { name: linear }\nsteps:\n${lines.join('\n')}\n`
    if (!validatePipeline(yaml, { registry }).ok) throw new Error('bench pipeline does not validate')
    const pipeline = await pipelines.pipelines.create(workspace.id, yaml, {}, null)

    const ours: number[] = []
    const gaps: number[] = []
    for (let i = 0; i <= RUNS; i++) {
      const started = performance.now()
      const run = await pipelines.runs.trigger(workspace.id, pipeline.id, {}, null)
      await client.pipelineRun(run.workflowId).result()
      const elapsed = performance.now() - started
      if (i === 0) continue // warm-up
      ours.push(elapsed / STEPS)
      const detail = await waitRecorded(pipelines, workspace.id, run.id)
      const ends = detail.steps.map((s) => Date.parse(s.endedAt ?? '')).sort((a, b) => a - b)
      for (let k = 1; k < ends.length; k++) gaps.push((ends[k] as number) - (ends[k - 1] as number))
    }

    const baseline: number[] = []
    for (let i = 0; i <= RUNS; i++) {
      const started = performance.now()
      await env.env.client.workflow.execute('baselineLinear', {
        taskQueue: env.taskQueue,
        workflowId: `baseline-${randomUUID()}`,
        args: [STEPS],
      })
      if (i > 0) baseline.push((performance.now() - started) / STEPS)
    }
    return [
      {
        name: 'pipelines/linear-100 time per step (median of runs)',
        ours: percentile(ours, 50),
        baseline: percentile(baseline, 50),
        unit: 'ms',
        notes: {
          target: '<=50ms',
          step_gap_p50: `${percentile(gaps, 50).toFixed(1)}ms`,
          step_gap_p95: `${percentile(gaps, 95).toFixed(1)}ms`,
          runs: RUNS,
          baseline_is: 'bare workflow, 100 sequential no-op activities',
          temporal_state: inMemory ? 'memory' : 'sqlite file (as embedded)',
        },
      },
    ]
  } finally {
    worker.shutdown()
    await running.catch(() => {})
    await pipelines.stop()
    await metadata.close()
    await env.dispose()
    rmSync(stateDir, { recursive: true, force: true })
  }
}

/** Reports land through local activities just before the result: wait until every step is recorded. */
async function waitRecorded(pipelines: Pipelines, workspaceId: string, runId: string) {
  for (let i = 0; i < 200; i++) {
    const detail = await pipelines.runs.get(workspaceId, runId)
    if (detail.status === 'succeeded' && detail.steps.every((s) => s.endedAt)) return detail
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`run ${runId} was not fully recorded`)
}
