import { StatementType } from '@duckdb/node-api'

const CREATE_TABLE_AS =
  /^\s*create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary)\s+)?table\s+(?:if\s+not\s+exists\s+)?((?:"(?:[^"]|"")*"|[^\s(]+))\s+as\b/i

const rows = (n: number) => `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`

/**
 * What a statement without a result set did, in words (`Created table t, 7 rows`, `Inserted 3 rows`), or
 * undefined when there is nothing worth saying (CREATE VIEW, SET...). Without it a cell that builds a table
 * shows nothing at all. `count` is DuckDB's `Count` column (CREATE TABLE AS reports its rows only there).
 */
export function statementSummary(sql: string, type: StatementType, count: number | undefined): string | undefined {
  if (count === undefined || !Number.isFinite(count)) return undefined
  switch (type) {
    case StatementType.CREATE: {
      const name = CREATE_TABLE_AS.exec(sql)?.[1]
      return name ? `Created table ${name}, ${rows(count)}` : undefined
    }
    case StatementType.INSERT:
      return `Inserted ${rows(count)}`
    case StatementType.UPDATE:
      return `Updated ${rows(count)}`
    case StatementType.DELETE:
      return `Deleted ${rows(count)}`
    default:
      return undefined
  }
}
