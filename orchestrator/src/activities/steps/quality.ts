import { ApplicationFailure } from '@temporalio/activity'
import { parseDuration } from '../../spec/duration.ts'
import type { QualityCheck } from '../../spec/step-types.ts'
import type { SqlRunner, StepHandler } from '../types.ts'
import { requireSql } from './sql.ts'

/** Quotes a validated identifier (`schema.table`) part by part. */
function quote(identifier: string): string {
  return identifier
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.')
}

function literal(value: string | number | boolean): string {
  return typeof value === 'string' ? `'${value.replaceAll("'", "''")}'` : String(value)
}

const list = (columns: string | string[]) => (Array.isArray(columns) ? columns : [columns])

/**
 * One query per check returning `failing`: the number of failing rows (or 1 for a table-level
 * failure such as a row count out of range). Portable SQL, so checks run on DuckDB and PostgreSQL alike.
 */
export function checkQuery(check: QualityCheck, table: string | undefined): { kind: string; sql: string } {
  const from = table ? quote(table) : undefined
  const needTable = (kind: string) => {
    if (!from) throw ApplicationFailure.nonRetryable(`a '${kind}' check needs 'table'`, 'InvalidStepInput')
    return from
  }
  if (check.not_null !== undefined) {
    const where = list(check.not_null)
      .map((c) => `${quote(c)} is null`)
      .join(' or ')
    return { kind: 'not_null', sql: `select count(*) as failing from ${needTable('not_null')} where ${where}` }
  }
  if (check.unique !== undefined) {
    const cols = list(check.unique).map(quote).join(', ')
    const sql = `select count(*) as failing from (select ${cols} from ${needTable('unique')} group by ${cols} having count(*) > 1) d`
    return { kind: 'unique', sql }
  }
  if (check.accepted_values !== undefined) {
    const { column, values } = check.accepted_values
    const sql = `select count(*) as failing from ${needTable('accepted_values')} where ${quote(column)} is not null and ${quote(column)} not in (${values.map(literal).join(', ')})`
    return { kind: 'accepted_values', sql }
  }
  if (check.row_count !== undefined) {
    const { min, max } = check.row_count
    const bounds = [min !== undefined ? `n < ${min}` : undefined, max !== undefined ? `n > ${max}` : undefined]
    const condition = bounds.filter(Boolean).join(' or ') || 'false'
    const sql = `select count(*) as failing from (select count(*) as n from ${needTable('row_count')}) c where ${condition}`
    return { kind: 'row_count', sql }
  }
  if (check.freshness !== undefined) {
    const seconds = Math.floor((parseDuration(check.freshness.max_age) ?? 0) / 1000)
    const column = quote(check.freshness.column)
    const sql = `select count(*) as failing from (select max(${column}) as newest from ${needTable('freshness')}) f where newest is null or newest < localtimestamp - interval '${seconds} seconds'`
    return { kind: 'freshness', sql }
  }
  return { kind: 'sql', sql: `select count(*) as failing from (${check.sql}) f` }
}

export interface CheckResult {
  name: string
  kind: string
  passed: boolean
  failing: number
}

/** `quality` steps: runs every check, then fails (not retried) listing all failing ones. */
export function qualityHandler(runner: SqlRunner | undefined): StepHandler {
  return async (withBlock, context, input) => {
    const sql = requireSql(runner, 'quality')
    const table = withBlock.table as string | undefined
    const results: CheckResult[] = []
    for (const [i, check] of (withBlock.checks as QualityCheck[]).entries()) {
      const query = checkQuery(check, table)
      const result = await sql.run({
        connection: (withBlock.connection as string | undefined) ?? 'duckdb',
        workspaceId: input.workspaceId,
        sql: query.sql,
        signal: context.signal,
        maxRows: 1,
      })
      const failing = Number(result.rows[0]?.failing ?? 0)
      results.push({ name: check.name ?? `${query.kind} #${i + 1}`, kind: query.kind, passed: failing === 0, failing })
      context.heartbeat({ checked: i + 1 })
    }
    const failed = results.filter((r) => !r.passed)
    if (failed.length > 0) {
      const summary = failed.map((r) => `${r.name} (${r.failing} failing)`).join(', ')
      throw ApplicationFailure.nonRetryable(`quality checks failed: ${summary}`, 'QualityCheckFailed', results)
    }
    return { checks: results }
  }
}
