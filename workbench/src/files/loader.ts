import type { DuckDBConnection } from '@duckdb/node-api'
import { quoteIdentifier, quoteLiteral } from '@workbench/kernels/duckdb'
import { exactCsvSelect, isInexactSignal, refuseInexactCsv } from './exactness.ts'
import type { Resolved } from './inspector.ts'
import { castSelect, readCsvSql, readRawSql, type SourceSpec } from './sources.ts'

/** Imported tables go to `main`; rows an import rejected go to a table of the same name in this schema. */
export const REJECTS_SCHEMA = 'import_rejects'

/** One import into the workspace DuckDB: where the rows go and how the file is read. */
export interface LoadRequest {
  importId: string
  fileName: string
  table: string
  mode: 'replace' | 'append'
  resolved: Resolved
}

/** How a load went: rows loaded and rejected, and whether the strict fast path did it. */
export interface LoadOutcome {
  loaded: number
  rejected: number
  /** `strict`: read in one pass with no rejects bookkeeping; `tolerant`: bad rows recorded and skipped. */
  path: 'strict' | 'tolerant'
}

/**
 * Loads a resolved file as `table` (replace or append) in one DuckDB transaction: the table and its rejected
 * rows (with line numbers and reasons, in `import_rejects.<table>`) change together or not at all.
 *
 * Delimited text is first read strictly: no rejects table and DuckDB's default line-size limit, which keeps the
 * reader fully parallel, and every value checked for exactness as it is read. Most files are clean, and a clean file gives the same table either way. Any error
 * (a bad row, an over-long line, anything) rolls that attempt back and the file is read again tolerantly, with
 * every bad row stored with its line and reason, exactly as if the fast path had not been tried.
 */
export async function loadIntoTable(con: DuckDBConnection, request: LoadRequest): Promise<LoadOutcome> {
  const { spec } = request.resolved
  if (spec.kind === 'csv') {
    try {
      return await inTransaction(con, () => loadCsv(con, request, spec, 'strict'))
    } catch (err) {
      // Rolled back: nothing of the strict attempt remains. A value that would change is refused with its row
      // and value; for anything else the tolerant read decides what the error was.
      if (isInexactSignal(err)) await refuseInexactCsv(con, spec)
    }
    // The tolerant read converts with DuckDB's reader, which changes inexact values silently: look first.
    await refuseInexactCsv(con, spec)
    return inTransaction(con, () => loadCsv(con, request, spec, 'tolerant'))
  }
  return inTransaction(con, () => loadSelfDescribing(con, request, spec))
}

/**
 * Makes the rows staged while the upload streamed in (see `CsvStager`) the import's table, in one transaction
 * with the rejects bookkeeping: renamed into place (replace, or a new table), or appended by column name.
 */
export async function commitStaged(
  con: DuckDBConnection,
  request: LoadRequest,
  staged: { table: string; rows: number },
): Promise<LoadOutcome> {
  return inTransaction(con, async () => {
    const { head } = await prepare(con, request)
    const stage = `main.${quoteIdentifier(staged.table)}`
    if (head.startsWith('INSERT')) {
      await con.run(`${head} SELECT * FROM ${stage}`)
      await con.run(`DROP TABLE ${stage}`)
    } else {
      await con.run(`DROP TABLE IF EXISTS main.${quoteIdentifier(request.table)}`)
      await con.run(`ALTER TABLE ${stage} RENAME TO ${quoteIdentifier(request.table)}`)
    }
    return { loaded: staged.rows, rejected: 0, path: 'strict' as const }
  })
}

async function inTransaction<T>(con: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await con.run('BEGIN TRANSACTION')
  try {
    const result = await fn()
    await con.run('COMMIT')
    return result
  } catch (err) {
    await con.run('ROLLBACK').catch(() => {})
    throw err
  }
}

/**
 * Prepares the target and rejects tables; answers the statement head that fills the target from a SELECT
 * (a new table, a replaced one, or rows appended by column name).
 */
async function prepare(con: DuckDBConnection, request: LoadRequest): Promise<{ head: string; rejects: string }> {
  const target = `main.${quoteIdentifier(request.table)}`
  const rejects = `${REJECTS_SCHEMA}.${quoteIdentifier(request.table)}`
  const exists = await tableExists(con, 'main', request.table)
  await con.run(`CREATE SCHEMA IF NOT EXISTS ${REJECTS_SCHEMA}`)
  if (request.mode === 'replace') await con.run(`DROP TABLE IF EXISTS ${rejects}`)
  await con.run(
    `CREATE TABLE IF NOT EXISTS ${rejects} (import_id VARCHAR, file_name VARCHAR, line BIGINT, column_name VARCHAR, kind VARCHAR, reason VARCHAR, raw VARCHAR, lines BIGINT)`,
  )
  // Rejects tables made before rejects counted their lines.
  await con.run(`ALTER TABLE ${rejects} ADD COLUMN IF NOT EXISTS lines BIGINT`)
  const head =
    request.mode === 'append' && exists ? `INSERT INTO ${target} BY NAME` : `CREATE OR REPLACE TABLE ${target} AS`
  return { head, rejects }
}

async function loadCsv(
  con: DuckDBConnection,
  request: LoadRequest,
  spec: Extract<SourceSpec, { kind: 'csv' }>,
  path: LoadOutcome['path'],
): Promise<LoadOutcome> {
  const { head, rejects } = await prepare(con, request)
  if (path === 'strict') {
    // Every value is checked for exactness in the same pass that reads it.
    const result = await con.runAndReadAll(`${head} ${exactCsvSelect(spec)}`)
    return { loaded: Number(result.getRows()[0]?.[0] ?? 0), rejected: 0, path }
  }
  const tag = request.importId.replaceAll('-', '')
  const rj = `__wb_rj_${tag}`
  const result = await con.runAndReadAll(
    `${head} SELECT * FROM ${readCsvSql(spec, { table: rj, scan: `__wb_rs_${tag}` })}`,
  )
  // A rejected record may cover many lines of the file (an unterminated quote runs to the end of it): its
  // raw text tells how many, so the summary can say so.
  await con.run(
    `INSERT INTO ${rejects} (import_id, file_name, line, column_name, kind, reason, raw, lines)
     SELECT ${quoteLiteral(request.importId)}, ${quoteLiteral(request.fileName)}, line, column_name,
      CASE error_type WHEN 'CAST' THEN 'cast' WHEN 'MISSING COLUMNS' THEN 'ragged_row'
        WHEN 'TOO MANY COLUMNS' THEN 'ragged_row' WHEN 'UNQUOTED VALUE' THEN 'broken_quote'
        WHEN 'INVALID ENCODING' THEN 'invalid_encoding' WHEN 'INVALID UNICODE' THEN 'invalid_encoding'
        ELSE 'other' END,
      error_message, csv_line, ${LINES_OF('csv_line')} FROM ${rj} ORDER BY line`,
  )
  return {
    loaded: Number(result.getRows()[0]?.[0] ?? 0),
    rejected: await rejectedLines(con, rejects, request.importId),
    path,
  }
}

/** Lines of the file a raw record covers: its line breaks, plus one unless it ends with one. */
const LINES_OF = (raw: string) =>
  `CASE WHEN ${raw} IS NULL THEN 1 ELSE greatest(1, length(${raw}) - length(replace(${raw}, chr(10), '')) + CASE WHEN suffix(${raw}, chr(10)) THEN 0 ELSE 1 END) END`

async function loadSelfDescribing(
  con: DuckDBConnection,
  request: LoadRequest,
  spec: Extract<SourceSpec, { kind: 'parquet' | 'json' }>,
): Promise<LoadOutcome> {
  const { head, rejects } = await prepare(con, request)
  const { importId, fileName } = request
  // The types were read when the source was resolved; the file is not described twice.
  const { select, ok, checks } = castSelect(spec.columns, request.resolved.detected)
  const reader = readRawSql(spec.kind, spec.path)
  // With nothing to convert, the file's own types go straight in: no row numbers, no filter, so DuckDB's
  // reader runs as it does for a plain `CREATE TABLE AS SELECT * FROM read_parquet(...)`.
  const numbered =
    checks.length === 0 ? `${reader} src` : `(SELECT *, row_number() OVER () AS __row FROM ${reader}) src`
  const result = await con.runAndReadAll(
    checks.length === 0
      ? `${head} SELECT ${select} FROM ${numbered}`
      : `${head} SELECT ${select} FROM ${numbered} WHERE ${ok}`,
  )
  for (const check of checks)
    await con.run(
      `INSERT INTO ${rejects} (import_id, file_name, line, column_name, kind, reason, raw, lines)
       SELECT ${quoteLiteral(importId)}, ${quoteLiteral(fileName)}, __row,
        ${quoteLiteral(check.column.name)}, ${quoteLiteral(check.kind)}, ${check.reason},
        CAST(src.${quoteIdentifier(check.column.source)} AS VARCHAR), 1 FROM ${numbered} WHERE ${check.failed}`,
    )
  const invalid = request.resolved.invalidLines ?? []
  for (let i = 0; i < invalid.length; i += 500) {
    const values = invalid
      .slice(i, i + 500)
      .map(
        (l) =>
          `(${quoteLiteral(importId)}, ${quoteLiteral(fileName)}, ${l.line}, NULL, 'invalid_json', ${quoteLiteral(l.message)}, ${quoteLiteral(l.raw)}, 1)`,
      )
    await con.run(`INSERT INTO ${rejects} VALUES ${values.join(', ')}`)
  }
  return {
    loaded: Number(result.getRows()[0]?.[0] ?? 0),
    rejected: await rejectedLines(con, rejects, importId),
    path: 'tolerant',
  }
}

/** Lines of this import in its rejects table (a line may have several problems). */
async function rejectedLines(con: DuckDBConnection, rejects: string, importId: string): Promise<number> {
  const rows = await con.runAndReadAll(
    `SELECT count(DISTINCT line) FROM ${rejects} WHERE import_id = ${quoteLiteral(importId)}`,
  )
  return Number(rows.getRows()[0]?.[0] ?? 0)
}

/** Whether `schema.table` is a table of the workspace database. */
export async function tableExists(con: DuckDBConnection, schema: string, table: string): Promise<boolean> {
  const rows = (
    await con.runAndReadAll(
      `SELECT 1 FROM system.main.duckdb_tables() WHERE database_name = system.main.current_database() AND schema_name = ${quoteLiteral(schema)}
       AND table_name = ${quoteLiteral(table)} AND NOT temporary`,
    )
  ).getRows()
  return rows.length > 0
}
