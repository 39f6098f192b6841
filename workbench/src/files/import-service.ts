import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { quoteIdentifier, quoteLiteral } from '@workbench/kernels/duckdb'
import type { Kysely, Selectable } from 'kysely'
import { isInternalTable } from '../catalog/workspace-tables.ts'
import type { Database, FileImportsTable } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'
import { redactServerPaths } from '../http/server-paths.ts'
import type { WorkspaceDuckdb } from '../kernels/workspace-databases.ts'
import { COLUMN_TYPES } from './column-types.ts'
import { csvProblems } from './csv-problems.ts'
import { CsvStager } from './csv-stager.ts'
import { inexactCsvValues } from './exactness.ts'
import { castProblems, duckdbMessage, type Problem, type ReadOptions, resolveSource } from './inspector.ts'
import { countLines } from './line-count.ts'
import { commitStaged, type LoadOutcome, loadIntoTable, REJECTS_SCHEMA, tableExists } from './loader.ts'
import { castSelect, readCsvSql, readRawSql } from './sources.ts'
import type { UploadService } from './upload-service.ts'

/** Where rejected rows go (re-exported for callers of the service). */
export { REJECTS_SCHEMA }

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/
const PREVIEW_ROWS = 50

export interface Preview {
  fileId: string
  format: string
  encoding: string | null
  delimiter: string | null
  quote: string | null
  escape: string | null
  decimal: '.' | ',' | null
  header: boolean | null
  sheet: number | null
  sheets: { index: number; name: string; rows: number; hidden: boolean }[] | null
  /** Workbooks: rows skipped above the header, and the header row the sheet suggests (1-based; 0: none). */
  skipRows: number | null
  detectedHeaderRow: number | null
  columns: { source: string; name: string; type: string }[]
  /** Types a column may be given, besides the one detected for it. */
  columnTypes: string[]
  rows: unknown[][]
  problems: Problem[]
  /** Problems were looked for in the whole file, or only in its first megabytes. */
  wholeFileChecked: boolean
}

export interface RejectedRow {
  line: number | null
  /** Lines of the file the rejected row covers. */
  lines: number
  column: string | null
  kind: Problem['kind']
  reason: string
  raw: string | null
}

export interface ImportRecord {
  id: string
  fileId: string | null
  fileName: string
  table: string
  mode: 'replace' | 'append'
  status: 'running' | 'succeeded' | 'failed'
  rowsLoaded: number
  rowsRejected: number
  rejectsTable: string | null
  error: string | null
  createdBy: string | null
  startedAt: string
  finishedAt: string | null
}

/** Previews files, imports them into the workspace DuckDB, and lists and drops the tables made. */
export class ImportService {
  /** Delimited uploads are read into DuckDB while they stream in; an import with the same read adopts the rows. */
  readonly #stager: CsvStager

  /** `onTablesChanged`: an import or a drop changed the workspace DuckDB's tables (the catalog rediscovers it). */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly uploads: UploadService,
    private readonly duckdb: WorkspaceDuckdb,
    private readonly onTablesChanged: (workspaceId: string) => void = () => {},
  ) {
    this.#stager = new CsvStager(duckdb, (ws) => path.dirname(uploads.storage.partialPath(ws, 'x')))
    uploads.observe(this.#stager)
  }

  async preview(workspaceId: string, fileId: string, options: ReadOptions): Promise<Preview> {
    const file = await this.uploads.getOrThrow(workspaceId, fileId)
    return this.#withConnection(workspaceId, async (con) => {
      const resolved = await resolveSource(
        con,
        file,
        this.uploads.storage.fileDir(workspaceId, fileId),
        options,
        'preview',
      )
      const { spec } = resolved
      let rows: unknown[][]
      let problems: Problem[]
      if (spec.kind === 'csv') {
        // The sample is read whole with the final types, so every problem in it is found with its line.
        await con.run('DROP TABLE IF EXISTS __wb_typed')
        await con.run(
          `CREATE TEMP TABLE __wb_typed AS SELECT * FROM ${readCsvSql(spec, { table: '__wb_typed_rj', scan: '__wb_typed_rs' }, { path: resolved.sample.path })}`,
        )
        rows = (await con.runAndReadAll(`SELECT * FROM __wb_typed ORDER BY rowid LIMIT ${PREVIEW_ROWS}`)).getRowsJson()
        problems = [
          ...(await csvProblems(con, '__wb_typed_rj', resolved.sample.lines)),
          // Values DuckDB's reader would quietly round, shift or cut in their column's type.
          ...(await inexactCsvValues(con, spec, spec.columns, resolved.sample.path)),
          ...resolved.warnings,
        ]
      } else {
        const sourceTypes = resolved.detected
        const { select } = castSelect(spec.columns, sourceTypes)
        rows = (
          await con.runAndReadAll(`SELECT ${select} FROM ${readRawSql(spec.kind, spec.path)} src LIMIT ${PREVIEW_ROWS}`)
        ).getRowsJson()
        const invalid = (resolved.invalidLines ?? []).slice(0, 200).map((l) => ({
          kind: 'invalid_json' as const,
          line: l.line,
          message: l.message,
          raw: l.raw.slice(0, 500),
        }))
        problems = [...invalid, ...resolved.warnings, ...(await castProblems(con, spec, sourceTypes, 100_000))]
      }
      return {
        fileId,
        format: file.format ?? 'csv',
        encoding: resolved.encoding,
        delimiter: spec.kind === 'csv' ? spec.dialect.delimiter : null,
        quote: spec.kind === 'csv' ? spec.dialect.quote : null,
        escape: spec.kind === 'csv' ? spec.dialect.escape : null,
        decimal: spec.kind === 'csv' ? spec.dialect.decimal : null,
        header: spec.kind === 'csv' ? spec.dialect.header : (resolved.sheetRead?.header ?? null),
        sheet: resolved.sheet,
        sheets:
          file.sheets?.map(({ index, name, rows, hidden }) => ({ index, name, rows, hidden: hidden ?? false })) ?? null,
        skipRows: resolved.sheetRead?.skipRows ?? null,
        detectedHeaderRow: resolved.sheetRead?.detectedHeaderRow ?? null,
        columns: spec.columns.map(({ source, name, type }) => ({ source, name, type })),
        columnTypes: [...COLUMN_TYPES],
        rows,
        problems,
        wholeFileChecked: resolved.sample.wholeFile,
      }
    })
  }

  /**
   * Imports a file as `table` (replace or append) in one DuckDB transaction: the table and its rejected rows
   * (with line numbers and reasons, in `import_rejects.<table>`) change together or not at all. The import is
   * recorded in the metadata DB whatever happens; a failure is answered as a `failed` record, not thrown.
   */
  async import(
    workspaceId: string,
    fileId: string,
    input: { table: string; mode: 'replace' | 'append'; options: ReadOptions; createdBy: string | null },
  ): Promise<ImportRecord & { fileLines: number | null }> {
    if (!TABLE_NAME.test(input.table))
      throw new AppError(
        400,
        'invalid_table_name',
        'Table names start with a letter or _, then letters, digits or _ (at most 63)',
      )
    const file = await this.uploads.getOrThrow(workspaceId, fileId)
    if (file.status !== 'ready') throw new AppError(409, 'file_not_ready', 'The upload is not complete')
    const id = randomUUID()
    await this.db
      .insertInto('file_imports')
      .values({
        id,
        workspace_id: workspaceId,
        file_id: fileId,
        file_name: file.name,
        table_name: input.table,
        mode: input.mode,
        status: 'running',
        options: JSON.stringify(input.options),
        created_by: input.createdBy,
      })
      .execute()
    let outcome: LoadOutcome | { error: string }
    let fileLines: number | null = null
    try {
      outcome = await this.#withConnection(workspaceId, async (con) => {
        const resolved = await resolveSource(
          con,
          file,
          this.uploads.storage.fileDir(workspaceId, fileId),
          input.options,
          'import',
        )
        const { spec } = resolved
        const request = { importId: id, fileName: file.name, table: input.table, mode: input.mode, resolved }
        // Rows read while the upload streamed in, if they are exactly this read of the whole file.
        const staged = spec.kind === 'csv' ? await this.#stager.take(file, resolved) : undefined
        if (staged) {
          try {
            const loaded = await commitStaged(con, request, staged)
            fileLines = staged.lines
            return loaded
          } catch {
            await this.#stager.discard(workspaceId, staged.table).catch(() => {})
          }
        }
        // Counted while DuckDB reads: the file's lines, to set beside the rows read.
        // A count that fails (the file gone mid-import) only leaves the count out.
        const lines = spec.kind === 'csv' ? countLines(spec.path).catch(() => null) : Promise.resolve(null)
        const loaded = await loadIntoTable(con, request)
        fileLines = await lines
        return loaded
      })
    } catch (err) {
      // The file or the corrections are wrong: the caller gets the precise error, the history a failed import.
      if (err instanceof AppError && err.status !== 500) {
        await this.db
          .updateTable('file_imports')
          .set({ status: 'failed', error: redactServerPaths(err.message), finished_at: new Date() })
          .where('id', '=', id)
          .execute()
        throw err
      }
      outcome = { error: duckdbMessage(err) }
    }
    await this.db
      .updateTable('file_imports')
      .set(
        'error' in outcome
          ? { status: 'failed', error: outcome.error, finished_at: new Date() }
          : {
              status: 'succeeded',
              rows_loaded: outcome.loaded,
              rows_rejected: outcome.rejected,
              rejects_table: `${REJECTS_SCHEMA}.${input.table}`,
              finished_at: new Date(),
            },
      )
      .where('id', '=', id)
      .execute()
    if (!('error' in outcome)) this.onTablesChanged(workspaceId)
    return { ...(await this.getImportOrThrow(workspaceId, id)), fileLines }
  }

  /** Lines of the file an import's rejected rows cover (one rejected row may take many). */
  async linesRejected(workspaceId: string, importId: string): Promise<number> {
    const record = await this.getImportOrThrow(workspaceId, importId)
    if (record.rowsRejected === 0) return 0
    return this.#withConnection(workspaceId, async (con) => {
      if (!(await tableExists(con, REJECTS_SCHEMA, record.table))) return 0
      const rows = await con.runAndReadAll(
        `SELECT coalesce(sum(lines), 0) FROM (SELECT line, max(coalesce(lines, 1)) AS lines FROM ${REJECTS_SCHEMA}.${quoteIdentifier(record.table)}
         WHERE import_id = ${quoteLiteral(importId)} GROUP BY line)`,
      )
      return Number(rows.getRows()[0]?.[0] ?? 0)
    })
  }

  async listImports(workspaceId: string): Promise<ImportRecord[]> {
    const rows = await this.db
      .selectFrom('file_imports')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('started_at', 'desc')
      .limit(200)
      .execute()
    return rows.map(toImportRecord)
  }

  async getImportOrThrow(workspaceId: string, importId: string): Promise<ImportRecord> {
    const row = await this.db
      .selectFrom('file_imports')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', importId)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('import', importId)
    return toImportRecord(row)
  }

  /** The rows an import rejected, in line order (while its rejects table still holds them). */
  async rejects(workspaceId: string, importId: string, limit: number): Promise<RejectedRow[]> {
    const record = await this.getImportOrThrow(workspaceId, importId)
    return this.#withConnection(workspaceId, async (con) => {
      if (!(await tableExists(con, REJECTS_SCHEMA, record.table))) return []
      const rows = (
        await con.runAndReadAll(
          `SELECT line, coalesce(lines, 1) AS lines, column_name, kind, reason, raw FROM ${REJECTS_SCHEMA}.${quoteIdentifier(record.table)}
           WHERE import_id = ${quoteLiteral(importId)} ORDER BY line LIMIT ${Math.max(1, Math.min(limit, 10_000))}`,
        )
      ).getRowObjectsJson()
      return rows.map((r) => ({
        line: r.line === null ? null : Number(r.line),
        lines: Number(r.lines),
        column: r.column_name === null ? null : String(r.column_name),
        kind: String(r.kind) as Problem['kind'],
        reason: String(r.reason),
        raw: r.raw === null ? null : String(r.raw),
      }))
    })
  }

  /** The user's tables of the workspace DuckDB, with row counts (rejects and the workbench's own tables hidden). */
  async tables(workspaceId: string): Promise<{ schema: string; name: string; rows: number; columns: number }[]> {
    return this.#withConnection(workspaceId, async (con) => {
      const rows = (
        await con.runAndReadAll(
          `SELECT schema_name, table_name, estimated_size, column_count FROM system.main.duckdb_tables()
           WHERE database_name = system.main.current_database() AND schema_name = 'main' AND NOT temporary
           ORDER BY schema_name, table_name`,
        )
      ).getRowObjectsJson()
      return rows
        .filter((r) => !isInternalTable(String(r.schema_name), String(r.table_name)))
        .map((r) => ({
          schema: String(r.schema_name),
          name: String(r.table_name),
          rows: Number(r.estimated_size),
          columns: Number(r.column_count),
        }))
    })
  }

  /** The first rows of a table in `main` (or of its rejects). */
  async previewTable(workspaceId: string, table: string, options: { rejects: boolean; limit: number }) {
    const schema = options.rejects ? REJECTS_SCHEMA : 'main'
    return this.#withConnection(workspaceId, async (con) => {
      if (!(await tableExists(con, schema, table))) throw new NotFoundError('table', table)
      const name = `${schema}.${quoteIdentifier(table)}`
      const reader = await con.runAndReadAll(`SELECT * FROM ${name} LIMIT ${options.limit}`)
      const types = reader.columnTypes()
      const total = Number((await con.runAndReadAll(`SELECT count(*) FROM ${name}`)).getRows()[0]?.[0] ?? 0)
      return {
        schema,
        name: table,
        columns: reader.columnNames().map((n, i) => ({ name: n, type: String(types[i]) })),
        rows: reader.getRowsJson(),
        totalRows: total,
      }
    })
  }

  /** Drops a table of `main` and its rejects. */
  async dropTable(workspaceId: string, table: string): Promise<void> {
    await this.#withConnection(workspaceId, async (con) => {
      if (!(await tableExists(con, 'main', table))) throw new NotFoundError('table', table)
      await con.run(`DROP TABLE main.${quoteIdentifier(table)}`)
      await con.run(`DROP TABLE IF EXISTS ${REJECTS_SCHEMA}.${quoteIdentifier(table)}`)
    })
    this.onTablesChanged(workspaceId)
  }

  async #withConnection<T>(workspaceId: string, fn: (con: DuckDBConnection) => Promise<T>): Promise<T> {
    const database = await this.duckdb(workspaceId)
    const con = await database.connect()
    try {
      return await fn(con)
    } finally {
      con.closeSync()
    }
  }
}

function toImportRecord(row: Selectable<FileImportsTable>): ImportRecord {
  return {
    id: row.id,
    fileId: row.file_id,
    fileName: row.file_name,
    table: row.table_name,
    mode: row.mode,
    status: row.status,
    rowsLoaded: Number(row.rows_loaded),
    rowsRejected: Number(row.rows_rejected),
    rejectsTable: row.rejects_table,
    error: row.error === null ? null : redactServerPaths(row.error),
    createdBy: row.created_by,
    startedAt: new Date(row.started_at).toISOString(),
    finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
  }
}
