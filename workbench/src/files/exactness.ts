import type { DuckDBConnection } from '@duckdb/node-api'
import { quoteIdentifier } from '@workbench/kernels/duckdb'
import { AppError } from '../http/errors.ts'
import { inexactSql } from './column-types.ts'
import type { Problem } from './inspector.ts'
import { readCsvSql, type SourceSpec } from './sources.ts'

type CsvSpec = Extract<SourceSpec, { kind: 'csv' }>

const NUMERIC = /^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/

/** The text `ref` as DuckDB converts it to `type`, with a decimal comma read as DuckDB's reader reads it. */
function textCast(ref: string, type: string, decimal: string): string {
  const value = decimal === ',' && NUMERIC.test(type) ? `replace(${ref}, ',', '.')` : ref
  return `TRY_CAST(${value} AS ${type})`
}

/**
 * Values of a delimited file that DuckDB's reader would change on the way into their column's type (round
 * `1.5` into an integer, drop a UTC offset, cut a time off a date), looked for in `columns` over the file (or
 * sample) at `path`, with their data row. DuckDB's CSV reader does these conversions without a word, so they
 * are found here on the text.
 */
export async function inexactCsvValues(
  con: DuckDBConnection,
  spec: CsvSpec,
  columns: CsvSpec['columns'],
  path: string,
  limitPerColumn = 5,
): Promise<Problem[]> {
  const ruled = ruledColumns(spec, columns)
  if (ruled.length === 0) return []
  const text = readCsvSql(
    { ...spec, columns: spec.columns.map((c) => ({ ...c, name: c.source })) },
    { table: '__wb_exact_rj', scan: '__wb_exact_rs' },
    { allText: true, path },
  )
  await con.run('DROP TABLE IF EXISTS __wb_exact')
  await con.run(
    `CREATE TEMP TABLE __wb_exact AS SELECT row_number() OVER () AS __row, ${ruled.map(({ column }) => quoteIdentifier(column.source)).join(', ')} FROM ${text}`,
  )
  const problems: Problem[] = []
  try {
    for (const { column, rule } of ruled) {
      const ref = `t.${quoteIdentifier(column.source)}`
      const rows = (
        await con.runAndReadAll(
          `SELECT __row, ${ref} AS value, CAST(${textCast(ref, column.type, spec.dialect.decimal)} AS VARCHAR) AS becomes
           FROM __wb_exact t WHERE ${textCast(ref, column.type, spec.dialect.decimal)} IS NOT NULL AND ${rule.sql}
           ORDER BY __row LIMIT ${limitPerColumn}`,
        )
      ).getRowObjectsJson()
      for (const r of rows)
        problems.push({
          kind: 'inexact',
          row: Number(r.__row),
          column: column.name,
          message: `${JSON.stringify(r.value)} ${rule.why}; it would become ${String(r.becomes)}`,
          raw: String(r.value),
        })
    }
  } finally {
    await con.run('DROP TABLE IF EXISTS __wb_exact')
  }
  return problems.sort((a, b) => (a.row ?? 0) - (b.row ?? 0))
}

/** The columns of `spec` whose conversion from text can change a value (integers, decimals, dates, times). */
function ruledColumns(spec: CsvSpec, columns: CsvSpec['columns'] = spec.columns) {
  return columns.flatMap((column) => {
    const rule = inexactSql(`t.${quoteIdentifier(column.source)}`, 'VARCHAR', column.type, spec.dialect.decimal)
    return rule ? [{ column, rule }] : []
  })
}

/**
 * Whether any value of the delimited file at `path` would be changed by DuckDB's reader on the way into its
 * column's type, in any column: one streaming pass over the text of those columns only, nothing materialised.
 */
export async function anyInexactCsv(con: DuckDBConnection, spec: CsvSpec, path: string): Promise<boolean> {
  const ruled = ruledColumns(spec)
  if (ruled.length === 0) return false
  const text = readCsvSql(
    { ...spec, columns: spec.columns.map((c) => ({ ...c, name: c.source })) },
    { table: '__wb_any_exact_rj', scan: '__wb_any_exact_rs' },
    { allText: true, path },
  )
  const failed = ruled.map(
    ({ column, rule }) =>
      `(${textCast(`t.${quoteIdentifier(column.source)}`, column.type, spec.dialect.decimal)} IS NOT NULL AND ${rule.sql})`,
  )
  const rows = await con.runAndReadAll(`SELECT 1 FROM ${text} t WHERE ${failed.join(' OR ')} LIMIT 1`)
  return rows.getRows().length > 0
}

/**
 * Refuses an import in which any value of the file would change on the way into its column's type, whether
 * the user picked that type or it is the one DuckDB detected from the first rows (a UTC offset far down a
 * column detected as TIMESTAMP): the whole file is checked, and the answer says which column, which row,
 * which value and what it would become.
 */
export async function refuseInexactCsv(con: DuckDBConnection, spec: CsvSpec): Promise<void> {
  if (!(await anyInexactCsv(con, spec, spec.path))) return
  const problems = await inexactCsvValues(con, spec, spec.columns, spec.path, 3)
  const first = problems[0]
  if (!first) return
  throw new AppError(
    400,
    'inexact_conversion',
    `Column ${first.column}, row ${first.row}: ${first.message}. Choose another type for it, or correct the file; nothing was imported`,
    { problems },
  )
}

/** Raised (by DuckDB's `error()`) inside an exact read: a value would change on the way into its type. */
export const INEXACT_SIGNAL = 'workbench: inexact value'
/** Raised inside an exact read: a value does not convert to its column's type at all (a reject). */
export const CAST_SIGNAL = 'workbench: value does not convert'

/** Whether a DuckDB error is the exact read's signal that some value would change. */
export function isInexactSignal(err: unknown): boolean {
  return err instanceof Error && err.message.includes(INEXACT_SIGNAL)
}

/**
 * `SELECT ... FROM read_csv(...)` giving the table `spec` describes, in which every value is checked for
 * exactness as it is read, in the same single pass: columns whose conversion from text can change a value are
 * read as text and converted in SQL (as DuckDB's reader converts them), and a value that would not convert
 * exactly stops the statement with {@link INEXACT_SIGNAL} (one that does not convert at all, with
 * {@link CAST_SIGNAL}). `path` reads another file with the same spec (a piece of it, say).
 */
export function exactCsvSelect(spec: CsvSpec, options: { path?: string; header?: boolean } = {}): string {
  const ruled = new Set(ruledColumns(spec).map(({ column }) => column.name))
  const read = readCsvSql(
    {
      ...spec,
      dialect: { ...spec.dialect, header: options.header ?? spec.dialect.header },
      columns: spec.columns.map((c) => (ruled.has(c.name) ? { ...c, type: 'VARCHAR' } : c)),
    },
    undefined,
    { strict: true, path: options.path },
  )
  const select = spec.columns.map((c) => {
    const ref = `t.${quoteIdentifier(c.name)}`
    const name = quoteIdentifier(c.name)
    const rule = ruled.has(c.name) ? inexactSql(ref, 'VARCHAR', c.type, spec.dialect.decimal) : undefined
    if (!rule) return `${ref} AS ${name}`
    const cast = textCast(ref, c.type, spec.dialect.decimal)
    return `CASE WHEN ${ref} IS NULL THEN NULL WHEN ${cast} IS NULL THEN error('${CAST_SIGNAL}') WHEN ${rule.sql} THEN error('${INEXACT_SIGNAL}') ELSE ${cast} END AS ${name}`
  })
  return `SELECT ${select.join(', ')} FROM ${read} t`
}
