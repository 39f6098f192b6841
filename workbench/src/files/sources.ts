import { quoteIdentifier, quoteLiteral } from '@workbench/kernels/duckdb'
import type { CsvDialect } from './dialect.ts'

/** Column types a user may give an imported column (DuckDB type names). */
export const COLUMN_TYPES = ['VARCHAR', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP'] as const
export type ColumnType = (typeof COLUMN_TYPES)[number]

export interface SourceColumn {
  /** Name in the file (header value, or `column<N>` without a header). */
  source: string
  /** Name in the imported table. */
  name: string
  type: string
}

/** How DuckDB reads one file: a delimited text file with a known dialect, or a self-describing format. */
export type SourceSpec =
  | { kind: 'csv'; path: string; dialect: CsvDialect; columns: SourceColumn[] }
  | { kind: 'parquet' | 'json'; path: string; columns: SourceColumn[] }

/**
 * `read_csv(...)` with every option spelled out (auto detection off), so what the user saw in the preview is
 * exactly what is imported, and with rejected rows stored in `rejects` (temp tables of the connection).
 * `columns` gives names and types; all VARCHAR when `allText`. `strict` keeps DuckDB's default line-size limit,
 * under which its reader stays fully parallel (a longer line then fails the read instead).
 */
export function readCsvSql(
  spec: Extract<SourceSpec, { kind: 'csv' }>,
  rejects: { table: string; scan: string } | undefined,
  options: { allText?: boolean; path?: string; strict?: boolean } = {},
): string {
  const { dialect } = spec
  const columns = spec.columns
    .map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(options.allText ? 'VARCHAR' : c.type)}`)
    .join(', ')
  const parts = [
    quoteLiteral(options.path ?? spec.path),
    'auto_detect = false',
    `header = ${dialect.header}`,
    `delim = ${quoteLiteral(dialect.delimiter)}`,
    `quote = ${quoteLiteral(dialect.quote)}`,
    `escape = ${quoteLiteral(dialect.escape)}`,
    `columns = {${columns}}`,
    'null_padding = false',
  ]
  if (!options.strict) parts.push('max_line_size = 10000000')
  if (rejects)
    parts.push(
      'store_rejects = true',
      `rejects_table = ${quoteLiteral(rejects.table)}`,
      `rejects_scan = ${quoteLiteral(rejects.scan)}`,
    )
  return `read_csv(${parts.join(', ')})`
}

/** The reader of a self-describing file, with its own column names. */
export function readRawSql(kind: 'parquet' | 'json', path: string): string {
  return kind === 'parquet'
    ? `read_parquet(${quoteLiteral(path)})`
    : `read_json(${quoteLiteral(path)}, format = 'auto')`
}

/**
 * For Parquet and JSON: a SELECT list that renames and casts each column, and a condition that is true when
 * every changed cast succeeds. Rows failing it are rejected (never silently nulled).
 */
export function castSelect(columns: SourceColumn[], sourceTypes: Map<string, string>, alias = 'src') {
  const select: string[] = []
  const checks: { column: SourceColumn; failed: string }[] = []
  for (const c of columns) {
    const ref = `${alias}.${quoteIdentifier(c.source)}`
    const changed = (sourceTypes.get(c.source) ?? '').toUpperCase() !== c.type.toUpperCase()
    if (!changed) select.push(`${ref} AS ${quoteIdentifier(c.name)}`)
    else {
      select.push(`TRY_CAST(${ref} AS ${c.type}) AS ${quoteIdentifier(c.name)}`)
      checks.push({ column: c, failed: `(${ref} IS NOT NULL AND TRY_CAST(${ref} AS ${c.type}) IS NULL)` })
    }
  }
  const ok = checks.length === 0 ? 'true' : `NOT (${checks.map((c) => c.failed).join(' OR ')})`
  return { select: select.join(', '), ok, checks }
}

/**
 * SQL computing, per column of a text sample, how many non-null values there are and how many parse as each
 * type, for type inference and mixed-type warnings. Integers and dates are matched by pattern too, because
 * DuckDB's casts round `1.5` to an integer and truncate timestamps to dates.
 */
export function typeProfileSql(table: string, columns: string[]): string {
  const parts = columns.flatMap((name, i) => {
    const c = quoteIdentifier(name)
    return [
      `count(${c}) AS n${i}`,
      `count(*) FILTER (regexp_full_match(trim(${c}), '[-+]?[0-9]+') AND TRY_CAST(${c} AS BIGINT) IS NOT NULL) AS bigint${i}`,
      `count(TRY_CAST(${c} AS DOUBLE)) AS double${i}`,
      `count(*) FILTER (regexp_full_match(trim(${c}), '[0-9]{4}-[0-9]{2}-[0-9]{2}') AND TRY_CAST(${c} AS DATE) IS NOT NULL) AS date${i}`,
      `count(TRY_CAST(${c} AS TIMESTAMP)) AS timestamp${i}`,
      `count(*) FILTER (lower(trim(${c})) IN ('true', 'false')) AS boolean${i}`,
    ]
  })
  return `SELECT ${parts.join(', ')} FROM ${table}`
}

/** Type candidates in order of preference (the most specific first). */
export const INFERRED_ORDER = ['bigint', 'double', 'date', 'timestamp', 'boolean'] as const

/**
 * The inferred type of a column from its profile, and a mixed-type warning when most (but not all) values
 * fit a more specific type than text.
 */
export function inferType(
  profile: Record<string, number>,
  i: number,
): { type: ColumnType; mixed?: { type: ColumnType; share: number } } {
  const n = profile[`n${i}`] ?? 0
  if (n === 0) return { type: 'VARCHAR' }
  for (const t of INFERRED_ORDER) if ((profile[`${t}${i}`] ?? 0) === n) return { type: t.toUpperCase() as ColumnType }
  for (const t of INFERRED_ORDER) {
    const share = (profile[`${t}${i}`] ?? 0) / n
    if (share >= 0.5) return { type: 'VARCHAR', mixed: { type: t.toUpperCase() as ColumnType, share } }
  }
  return { type: 'VARCHAR' }
}
