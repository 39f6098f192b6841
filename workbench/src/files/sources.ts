import { quoteIdentifier, quoteLiteral } from '@workbench/kernels/duckdb'
import { inexactSql } from './column-types.ts'
import type { CsvDialect } from './dialect.ts'

/** Types the text profile infers when DuckDB's sniffer cannot read a file. */
export type ProfiledType = 'VARCHAR' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'DATE' | 'TIMESTAMP'

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
  if (dialect.decimal !== '.') parts.push(`decimal_separator = ${quoteLiteral(dialect.decimal)}`)
  if (!options.strict) parts.push('max_line_size = 10000000')
  if (rejects)
    parts.push(
      'store_rejects = true',
      `rejects_table = ${quoteLiteral(rejects.table)}`,
      `rejects_scan = ${quoteLiteral(rejects.scan)}`,
    )
  return `read_csv(${parts.join(', ')})`
}

/**
 * The reader of a self-describing file, with its own column names. JSON is read with DuckDB's own detection
 * (not with the described types handed back as `columns`): detection also finds the date and timestamp
 * formats, which the bare types would lose, and it samples only the file's first records.
 */
export function readRawSql(kind: 'parquet' | 'json', path: string): string {
  return kind === 'parquet'
    ? `read_parquet(${quoteLiteral(path)})`
    : `read_json(${quoteLiteral(path)}, format = 'auto')`
}

/** One way a row fails a column's type change: the value does not convert, or would not convert exactly. */
export interface CastCheck {
  column: SourceColumn
  kind: 'cast' | 'inexact'
  /** True for a row this check rejects. */
  failed: string
  /** SQL text expression of the reason, for the rejects table. */
  reason: string
}

/**
 * For Parquet and JSON: a SELECT list that renames and casts each column, and a condition that is true when
 * every changed cast succeeds exactly. Rows failing it are rejected (never silently nulled, rounded or shifted).
 */
export function castSelect(columns: SourceColumn[], sourceTypes: Map<string, string>, alias = 'src') {
  const select: string[] = []
  const checks: CastCheck[] = []
  for (const c of columns) {
    const ref = `${alias}.${quoteIdentifier(c.source)}`
    const sourceType = sourceTypes.get(c.source) ?? ''
    const changed = sourceType.toUpperCase() !== c.type.toUpperCase()
    if (!changed) select.push(`${ref} AS ${quoteIdentifier(c.name)}`)
    else {
      select.push(`TRY_CAST(${ref} AS ${c.type}) AS ${quoteIdentifier(c.name)}`)
      const asText = `CAST(${ref} AS VARCHAR)`
      checks.push({
        column: c,
        kind: 'cast',
        failed: `(${ref} IS NOT NULL AND TRY_CAST(${ref} AS ${c.type}) IS NULL)`,
        reason: `'Could not convert ' || ${asText} || ' to ${c.type}'`,
      })
      const inexact = inexactSql(ref, sourceType, c.type)
      if (inexact)
        checks.push({
          column: c,
          kind: 'inexact',
          failed: `(TRY_CAST(${ref} AS ${c.type}) IS NOT NULL AND ${inexact.sql})`,
          reason: `${asText} || ' ${inexact.why}; it would become ' || CAST(TRY_CAST(${ref} AS ${c.type}) AS VARCHAR)`,
        })
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
export function typeProfileSql(table: string, columns: string[], decimal: '.' | ',' = '.'): string {
  const parts = columns.flatMap((name, i) => {
    const c = quoteIdentifier(name)
    const number = decimal === ',' ? `replace(${c}, ',', '.')` : c
    return [
      `count(${c}) AS n${i}`,
      `count(*) FILTER (regexp_full_match(trim(${c}), '[-+]?[0-9]+') AND TRY_CAST(${c} AS BIGINT) IS NOT NULL) AS bigint${i}`,
      `count(TRY_CAST(${number} AS DOUBLE)) AS double${i}`,
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
): { type: ProfiledType; mixed?: { type: ProfiledType; share: number } } {
  const n = profile[`n${i}`] ?? 0
  if (n === 0) return { type: 'VARCHAR' }
  for (const t of INFERRED_ORDER) if ((profile[`${t}${i}`] ?? 0) === n) return { type: t.toUpperCase() as ProfiledType }
  for (const t of INFERRED_ORDER) {
    const share = (profile[`${t}${i}`] ?? 0) / n
    if (share >= 0.5) return { type: 'VARCHAR', mixed: { type: t.toUpperCase() as ProfiledType, share } }
  }
  return { type: 'VARCHAR' }
}
