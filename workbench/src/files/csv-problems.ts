import type { DuckDBConnection } from '@duckdb/node-api'
import { redactServerPaths } from '../http/server-paths.ts'
import type { Problem } from './inspector.ts'

/** Problems found per preview at most. */
const MAX_PROBLEMS = 200

/** Problems DuckDB's CSV reader stored in a rejects table, mapped to the API's kinds. */
export async function csvProblems(con: DuckDBConnection, rejectsTable: string, maxLine?: number): Promise<Problem[]> {
  const rows = (
    await con.runAndReadAll(
      `SELECT line, column_name, error_type, error_message, csv_line FROM ${rejectsTable} ORDER BY line LIMIT ${MAX_PROBLEMS}`,
    )
  ).getRowObjectsJson()
  return rows
    .filter((r) => maxLine === undefined || Number(r.line) < maxLine)
    .map((r) => {
      const raw = r.csv_line === null ? '' : String(r.csv_line)
      const line = Number(r.line)
      const lines = linesOf(raw)
      const kind = problemKind(String(r.error_type))
      const message = redactServerPaths(String(r.error_message))
      return {
        kind,
        line,
        ...(lines > 1 ? { lines } : {}),
        column: r.column_name === null ? undefined : String(r.column_name),
        // The runaway quote: one opening quote without its closing one takes every line after it into one value.
        message:
          kind === 'broken_quote' && lines > 2
            ? `${message} The quote opened on line ${line} runs over ${lines} lines (to line ${line + lines - 1}): they would be one rejected row. Check the quote and escape settings (or choose no quote)`
            : message,
        raw: raw === '' ? undefined : raw.slice(0, 500),
      }
    })
}

/** Lines a raw record covers: its line feeds, plus one unless it ends with one. */
export function linesOf(raw: string): number {
  let breaks = 0
  for (let i = raw.indexOf('\n'); i !== -1; i = raw.indexOf('\n', i + 1)) breaks++
  return Math.max(1, breaks + (raw.endsWith('\n') ? 0 : 1))
}

export function problemKind(errorType: string): Problem['kind'] {
  switch (errorType) {
    case 'CAST':
      return 'cast'
    case 'MISSING COLUMNS':
    case 'TOO MANY COLUMNS':
      return 'ragged_row'
    case 'UNQUOTED VALUE':
      return 'broken_quote'
    case 'INVALID ENCODING':
    case 'INVALID UNICODE':
      return 'invalid_encoding'
    default:
      return 'other'
  }
}
