import { ApplicationFailure } from '@temporalio/client'
import type { StepHandler } from '@workbench/orchestrator/activities'
import { defineStepType } from '@workbench/orchestrator/spec'
import type { Kysely } from 'kysely'
import { z } from 'zod'
import type { Database } from '../db/schema.ts'
import { AppError } from '../http/errors.ts'
import { refreshDatasets, SupersetRefreshFailure } from './superset-refresh.ts'
import { asAppError, type SupersetService } from './superset-service.ts'

/**
 * `superset.refresh`: makes Superset follow a table the pipeline changed. Datasets are named by id, by the workbench
 * tables they read, or taken from the tables this run's SQL steps wrote (`from_run`).
 */
export const supersetRefreshStep = defineStepType({
  type: 'superset.refresh',
  description:
    "Refreshes Superset datasets (by id, by the tables they read, or the tables this run wrote) and reports their column changes; a time column's type change is a breaking change.",
  with: z.strictObject({
    connection: z.string().min(1).describe('Name of the Superset connection.'),
    datasets: z.array(z.int().min(1)).min(1).optional().describe('Superset dataset ids.'),
    tables: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Workbench tables ('schema.table', or 'connection:schema.table'): every dataset reading them."),
    from_run: z
      .boolean()
      .optional()
      .describe('Also refresh the datasets reading the tables the earlier SQL steps of this run wrote.'),
    on_breaking: z
      .enum(['warn', 'fail'])
      .optional()
      .describe("A chart's time column changed type or disappeared: warn (default) or fail the step."),
    on_missing: z
      .enum(['mark_gone', 'fail'])
      .optional()
      .describe('A dataset Superset no longer has: mark it gone in the catalog (default) or fail the step.'),
  }),
  references: (withBlock) =>
    typeof withBlock.connection === 'string'
      ? [{ kind: 'connection', name: withBlock.connection, path: ['connection'] }]
      : [],
})

/** The worker side of `superset.refresh`: its output lists every dataset with its column diff. */
export function supersetRefreshHandler(superset: () => SupersetService | undefined): StepHandler {
  return async (withBlock, context, input) => {
    const service = superset()
    if (!service) throw new Error('the Superset connector is not available yet')
    if (!input.workspaceId)
      throw ApplicationFailure.nonRetryable('superset.refresh needs the run of a workspace pipeline', 'NoWorkspace')
    const tables = [...((withBlock.tables as string[] | undefined) ?? [])]
    if (withBlock.from_run === true && input.workflowId)
      tables.push(...(await tablesWrittenByRun(service.db, input.workflowId, input.stepId)))
    const datasets = withBlock.datasets as number[] | undefined
    if (!datasets?.length && tables.length === 0) {
      context.log('no dataset to refresh (no ids, no tables, and the run wrote none)', 'warn')
      return { datasets: [], warnings: [] }
    }
    const heartbeat = setInterval(() => context.heartbeat(), 1000)
    try {
      return await refreshDatasets(
        service,
        input.workspaceId,
        String(withBlock.connection),
        {
          datasets,
          tables,
          onBreaking: withBlock.on_breaking as 'warn' | 'fail' | undefined,
          onMissing: withBlock.on_missing as 'mark_gone' | 'fail' | undefined,
        },
        (message, level) => context.log(message, level),
      )
    } catch (err) {
      if (err instanceof SupersetRefreshFailure)
        throw ApplicationFailure.nonRetryable(err.message, err.code, err.output)
      const app = asAppError(err)
      // Refused or invalid requests do not get better on retry; an unreachable Superset may.
      if (app instanceof AppError && app.status < 500) throw ApplicationFailure.nonRetryable(app.message, app.code)
      throw app
    } finally {
      clearInterval(heartbeat)
    }
  }
}

const WRITE_TARGET =
  /^\s*(?:create\s+(?:or\s+replace\s+)?(?:unlogged\s+)?table(?:\s+if\s+not\s+exists)?|insert\s+into|update|delete\s+from|alter\s+table(?:\s+if\s+exists)?(?:\s+only)?|truncate(?:\s+table)?|merge\s+into|copy)\s+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)/i

/** `connection:schema.table` of every table the run's SQL steps on connections wrote before this step. */
export async function tablesWrittenByRun(db: Kysely<Database>, workflowId: string, stepId: string): Promise<string[]> {
  const run = await db
    .selectFrom('pipeline_runs as r')
    .innerJoin('pipeline_versions as v', (j) =>
      j.onRef('v.pipeline_id', '=', 'r.pipeline_id').onRef('v.version', '=', 'r.version'),
    )
    .select(['r.id', 'v.spec'])
    .where('r.workflow_id', '=', workflowId)
    .executeTakeFirst()
  if (!run) return []
  const spec = (typeof run.spec === 'string' ? JSON.parse(run.spec) : run.spec) as {
    steps?: { id: string; type: string; with?: Record<string, unknown> }[]
  }
  const done = new Set(
    (
      await db
        .selectFrom('pipeline_step_runs')
        .select('step_id')
        .where('run_id', '=', run.id)
        .where('status', 'in', ['succeeded', 'reused'])
        .execute()
    ).map((s) => s.step_id),
  )
  const out = new Set<string>()
  for (const step of spec.steps ?? []) {
    if (step.id === stepId || step.type !== 'sql' || !done.has(step.id)) continue
    const connection = step.with?.connection
    const sql = step.with?.sql
    if (typeof connection !== 'string' || connection === 'duckdb' || typeof sql !== 'string') continue
    for (const statement of sql.split(';')) {
      const m = WRITE_TARGET.exec(statement)
      if (m?.[1]) out.add(`${connection}:${m[1].replaceAll('"', '').toLowerCase()}`)
    }
  }
  return [...out]
}
