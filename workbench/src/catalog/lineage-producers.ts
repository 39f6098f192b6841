import { splitStatements, stripComments } from '@workbench/catalog'
import type { ExpressionScope } from '@workbench/orchestrator/spec'
import { render } from '@workbench/orchestrator/spec'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Database } from '../db/schema.ts'
import type { SqlCellExecuted } from '../kernels/notebook-execution.ts'
import type { StepSucceededListener } from '../pipelines/run-reporter.ts'
import type { CatalogService } from './catalog-service.ts'

/**
 * Lineage (and so usage) of notebook SQL cells: the `onSqlExecuted` hook of notebook execution. Only cells on the
 * workspace DuckDB are recorded: the catalog names their tables `schema.table` of that database, and a connection's
 * `public.orders` is another table. The producer is the notebook, versioned by the document's update seq
 * (`seq:<n>`) at the time the cell's source was read. SQL that cannot be analysed gives notes (logged), never errors.
 */
export function notebookLineage(
  catalog: () => CatalogService | undefined,
  logger: Logger,
): (event: SqlCellExecuted) => Promise<void> {
  return async (event) => {
    const service = catalog()
    if (!service || event.connection !== 'duckdb' || !event.sql.trim()) return
    // New or changed tables reach the catalog now, not at the next hourly discovery (not awaited: it is a scan).
    if (writesTables(event.sql)) void service.tablesChanged(event.workspaceId)
    const lineage = await service.recordLineage({
      workspaceId: event.workspaceId,
      sql: event.sql,
      producer: { kind: 'notebook', id: event.notebookId, version: `seq:${event.documentSeq}` },
    })
    if (lineage.notes.length > 0)
      logger.debug({ notebookId: event.notebookId, cellId: event.cellId, notes: lineage.notes }, 'lineage notes')
  }
}

/**
 * Lineage of pipeline `sql` steps on the workspace DuckDB, recorded in the API process when the step's success is
 * reported: the SQL comes from the run's pipeline version (its `{{ … }}` placeholders rendered with the run's
 * parameters and recorded step outputs, as the workflow rendered them). The producer is the pipeline, versioned by
 * the run id, so each run replaces the edges of the previous ones. Never fails the run: errors are logged.
 */
export function pipelineStepLineage(
  db: Kysely<Database>,
  catalog: () => CatalogService | undefined,
  logger: Logger,
): StepSucceededListener {
  return ({ runId, stepId }) => {
    const service = catalog()
    if (!service) return
    void recordStep(db, service, runId, stepId)
      .then((notes) => {
        if (notes.length > 0) logger.debug({ runId, stepId, notes }, 'lineage notes')
      })
      .catch((err: unknown) => logger.warn({ err, runId, stepId }, 'could not record the lineage of a pipeline step'))
  }
}

async function recordStep(db: Kysely<Database>, catalog: CatalogService, runId: string, stepId: string) {
  const run = await db
    .selectFrom('pipeline_runs as r')
    .innerJoin('pipeline_versions as v', (j) =>
      j.onRef('v.pipeline_id', '=', 'r.pipeline_id').onRef('v.version', '=', 'r.version'),
    )
    .select(['r.pipeline_id', 'r.workspace_id', 'r.params', 'v.spec'])
    .where('r.id', '=', runId)
    .executeTakeFirst()
  const spec = parsed(run?.spec) as { steps?: { id: string; type: string; with?: Record<string, unknown> }[] }
  const step = spec?.steps?.find((s) => s.id === stepId)
  if (!run || step?.type !== 'sql') return []
  const connection = step.with?.connection ?? 'duckdb'
  const template = step.with?.sql
  if (connection !== 'duckdb' || typeof template !== 'string') return []
  const sql = template.includes('{{') ? String(render(template, await scopeOf(db, runId, run.params))) : template
  if (writesTables(sql)) void catalog.tablesChanged(run.workspace_id)
  const lineage = await catalog.recordLineage({
    workspaceId: run.workspace_id,
    sql,
    producer: { kind: 'pipeline', id: run.pipeline_id, version: runId },
  })
  return lineage.notes
}

/** Statements that can create, change or drop tables (what discovery would see differently afterwards). */
const WRITES = /^(create|insert|drop|alter|copy|import|attach|detach|replace|merge|update|delete|truncate|comment)\b/i

/** Whether SQL may have changed the database's tables (anything but reads). */
export function writesTables(sql: string): boolean {
  return splitStatements(sql).some((statement) => WRITES.test(stripComments(statement)))
}

/** The scope the workflow rendered `with` blocks in: run parameters and the steps' recorded states. */
async function scopeOf(db: Kysely<Database>, runId: string, params: unknown): Promise<ExpressionScope> {
  const steps = await db
    .selectFrom('pipeline_step_runs')
    .select(['step_id', 'status', 'output'])
    .where('run_id', '=', runId)
    .execute()
  return {
    params: (parsed(params) as Record<string, unknown> | null) ?? {},
    steps: Object.fromEntries(steps.map((s) => [s.step_id, { status: s.status, output: parsed(s.output) }])),
  }
}

/** JSON columns come back parsed from PostgreSQL and PGlite; a string is parsed for safety. */
function parsed(value: unknown): unknown {
  if (typeof value !== 'string') return value
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}
