// The notebook side of the compiler: nbformat cells, what kind each is, and what each reads and writes.

import { scanPython } from './notebook-python.ts'
import { analyzeSql, queriesOf, type SerializedSql } from './notebook-sql.ts'

/** An nbformat 4 cell, as much of it as the compiler and the notebook step use. */
export interface NotebookCell {
  id?: string
  cell_type: 'code' | 'markdown' | 'raw' | (string & {})
  source: string | string[]
  metadata?: Record<string, unknown>
  outputs?: unknown[]
  execution_count?: number | null
  attachments?: unknown
}

/** An nbformat 4 notebook (the JSON of an .ipynb file). */
export interface NotebookModel {
  cells: NotebookCell[]
  metadata?: Record<string, unknown>
  nbformat?: number
  nbformat_minor?: number
}

export const STEP_TAG_PREFIX = 'step:'
export const PARAMETERS_TAG = 'parameters'
export const INJECTED_PARAMETERS_TAG = 'injected-parameters'

/** A cell's source as one string (nbformat allows a list of lines). */
export function sourceOf(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source
}

export function tagsOf(cell: NotebookCell): string[] {
  const tags = cell.metadata?.tags
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : []
}

function workbenchMeta(cell: NotebookCell): Record<string, unknown> {
  const meta = cell.metadata?.workbench
  return meta !== null && typeof meta === 'object' && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {}
}

/** A SQL cell (ARCHITECTURE.md §4): `%%sql` first line, connection and output variable in metadata. */
export interface SqlCellParts {
  /** The SQL without the magic line. */
  sql: string
  connection: string
  /** Python variable the result is bound to. */
  output?: string
}

/** The SQL parts of a code cell, or undefined for a Python cell. */
export function sqlCellParts(cell: NotebookCell): SqlCellParts | undefined {
  if (cell.cell_type !== 'code') return undefined
  const meta = workbenchMeta(cell)
  const source = sourceOf(cell)
  const magic = /^%%sql\b([^\n]*)(?:\n|$)/.exec(source)
  if (meta.type !== 'sql' && !magic) return undefined
  const sql = magic ? source.slice(magic[0].length) : source
  const magicOutput = magic ? /^\s*([A-Za-z_]\w*)\s*<</.exec(magic[1] as string)?.[1] : undefined
  const output = typeof meta.output === 'string' && meta.output !== '' ? meta.output : magicOutput
  const connection = typeof meta.connection === 'string' && meta.connection !== '' ? meta.connection : 'duckdb'
  return { sql, connection, ...(output ? { output } : {}) }
}

/** Everything the compiler knows about one cell. */
export interface CellFacts {
  index: number
  /** The nbformat cell id; `#<index>` for a cell without one (nbformat < 4.5). */
  ref: string
  kind: 'sql' | 'python' | 'markdown' | 'raw'
  /** Its `step:<id>` tag, if any. */
  stepTag?: string
  parameters: boolean
  /** A Python cell made only of imports: repeated in every step that uses its names, not a step itself. */
  setup: boolean
  sql?: SqlCellParts
  reads: Set<string>
  writes: Set<string>
  /** The subset of `writes` that are database tables (they outlive a step); the rest are kernel variables. */
  tableWrites: Set<string>
  problems: { code: 'sql_parse' | 'sql_unrecognised' | 'sql_not_parsed'; message: string }[]
}

function declared(meta: Record<string, unknown>, key: 'reads' | 'writes'): string[] {
  const value = meta[key]
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item !== '') : []
}

const IMPORT_LINE = /^\s*(import\s|from\s+\S+\s+import\s)/

/** Analyses every cell: kinds, tags, reads and writes (SQL from DuckDB's parse trees in `parsed`). */
export function cellFacts(notebook: NotebookModel, parsed: ReadonlyMap<string, SerializedSql>): CellFacts[] {
  return notebook.cells.map((cell, index) => {
    const tags = tagsOf(cell)
    const stepTag = tags.find((tag) => tag.startsWith(STEP_TAG_PREFIX))?.slice(STEP_TAG_PREFIX.length)
    const meta = workbenchMeta(cell)
    const sql = sqlCellParts(cell)
    const kind = cell.cell_type === 'code' ? (sql ? 'sql' : 'python') : cell.cell_type === 'raw' ? 'raw' : 'markdown'
    const facts: CellFacts = {
      index,
      ref: typeof cell.id === 'string' && cell.id !== '' ? cell.id : `#${index}`,
      kind,
      ...(stepTag !== undefined ? { stepTag } : {}),
      parameters: kind === 'python' && tags.includes(PARAMETERS_TAG),
      setup: false,
      ...(sql ? { sql } : {}),
      reads: new Set(declared(meta, 'reads')),
      writes: new Set(declared(meta, 'writes')),
      tableWrites: new Set(),
      problems: [],
    }
    const scan = meta.scan !== false
    if (sql && scan) {
      const analysis = analyzeSql(sql.sql, parsed)
      const table = tableKey(sql.connection)
      for (const name of analysis.reads) facts.reads.add(table(name))
      for (const name of analysis.writes) {
        facts.writes.add(table(name))
        facts.tableWrites.add(table(name))
      }
      facts.problems.push(...analysis.problems)
    }
    if (sql?.output) facts.writes.add(sql.output)
    if (kind === 'python' && scan) {
      const source = sourceOf(cell)
      const names = scanPython(source)
      for (const name of names.reads) facts.reads.add(name)
      for (const name of names.writes) facts.writes.add(name)
      const lines = source.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
      facts.setup =
        !facts.parameters && stepTag === undefined && lines.length > 0 && lines.every((l) => IMPORT_LINE.test(l))
    }
    // A name the cell writes before reading is not read from elsewhere (scans already order this).
    return facts
  })
}

/**
 * How the compiler names a table a SQL cell reads or writes: bare for the workspace DuckDB (which also sees the
 * notebook's variables as tables), `<connection>:<table>` elsewhere, so a PostgreSQL `orders` and the DuckDB
 * `orders` are different tables and no step waits on the other's writer.
 */
export function tableKey(connection: string): (table: string) => string {
  return connection === DUCKDB_CONNECTION ? (table) => table : (table) => `${connection}:${table}`
}

/** The connection id of the workspace's own DuckDB, the default of a SQL cell. */
export const DUCKDB_CONNECTION = 'duckdb'

/** The queries of every SQL cell that the caller must parse with `json_serialize_sql`. */
export function sqlToParse(notebook: NotebookModel): string[] {
  const queries = new Set<string>()
  for (const cell of notebook.cells) {
    const sql = sqlCellParts(cell)
    if (sql) for (const query of queriesOf(sql.sql)) queries.add(query)
  }
  return [...queries]
}
