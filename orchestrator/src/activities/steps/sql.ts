import { ApplicationFailure } from '@temporalio/activity'
import type { SqlRunner, StepHandler } from '../types.ts'

/** Rows of a query's result kept as the step's output: enough for `when` conditions, small for history. */
export const OUTPUT_ROWS = 100

export function requireSql(sql: SqlRunner | undefined, type: string): SqlRunner {
  if (sql) return sql
  throw ApplicationFailure.nonRetryable(`no SQL runner is configured for '${type}' steps`, 'StepTypeUnavailable')
}

/** `sql` steps: one idempotent statement batch on DuckDB or a connection. */
export function sqlHandler(runner: SqlRunner | undefined): StepHandler {
  return async (withBlock, context, input) => {
    const connection = (withBlock.connection as string | undefined) ?? 'duckdb'
    const started = Date.now()
    context.log(`running SQL on ${connection}`)
    const result = await requireSql(runner, 'sql').run({
      connection,
      workspaceId: input.workspaceId,
      sql: withBlock.sql as string,
      parameters: withBlock.parameters as Record<string, string | number | boolean | null> | undefined,
      idempotencyKey: context.idempotencyKey,
      signal: context.signal,
      maxRows: OUTPUT_ROWS,
    })
    const rows = `${result.rowCount.toLocaleString('en-US')}${result.truncated ? '+' : ''} row${result.rowCount === 1 ? '' : 's'}`
    context.log(
      result.replayed
        ? `already applied (same idempotency key): ${rows} from the stored result`
        : `${rows} × ${result.columns.length} column${result.columns.length === 1 ? '' : 's'} in ${Date.now() - started} ms`,
    )
    return result
  }
}
