import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api'
import {
  type ColumnStats,
  type PageRequest,
  PageRequestError,
  ResultNotFoundError,
  type TableColumn,
  type TableData,
} from '../kernel.ts'
import { WrappedStatementError } from '../sql/sql-errors.ts'
import { quoteIdentifier } from './database.ts'
import { rowsJson, typeName } from './json-values.ts'

interface KeptResult {
  table: string
  columns: TableColumn[]
  /** The kept table's column per result column: the result's own name, unless it had to be renamed (`rowid`). */
  stored: string[]
  /** The engine's types of the columns, for conversions that need more than the type name (the hand-over). */
  types: DuckDBType[]
  totalRows: number
}

export interface ResultSource {
  sql: string
  table: string
  columns: TableColumn[]
  stored: string[]
  types: DuckDBType[]
}

/**
 * A column named `rowid` (in any case) hides DuckDB's row id, which paging orders by to keep result order: such
 * columns are stored under an internal name and shown under their own.
 */
const SHADOWS_ROWID = /^rowid$/i

/** Types min/max make no sense for (or cost too much on): nested values and blobs. */
const NO_MIN_MAX = /\[\]$|^(STRUCT|MAP|UNION|BLOB|BIT|JSON)|\[\d+\]$/
const MAX_STATS_COLUMNS = 200
/** Up to this many rows distinct values are counted exactly (a hash of each column: cheap at this size). */
const EXACT_DISTINCT_ROWS = 100_000
/** Up to this many, approximately (HyperLogLog, a few % off, marked as such); above it, not at all. */
const MAX_DISTINCT_ROWS = 10_000_000

/**
 * Results of one session, materialised as temp tables on its connection, so paging, sorting and filtering
 * read from DuckDB again instead of re-running the query or holding rows in JS. Only the newest `keep`
 * results are kept; older tables are dropped.
 */
export class ResultStore {
  readonly #connection: DuckDBConnection
  readonly #keep: number
  readonly #results = new Map<string, KeptResult>()
  #sequence = 0
  /** The session's `TimeZone`, read once: TIMESTAMPTZ values are shown in it, as DuckDB shows them. */
  #timeZone: Promise<string | undefined> | undefined

  constructor(connection: DuckDBConnection, keep: number) {
    this.#connection = connection
    this.#keep = keep
  }

  /**
   * Runs `sql` (one SELECT-like statement) into a new temp table and returns its first page and stats.
   * Four engine calls in all: prepare and run CREATE TABLE AS (which reports the row count), first page, and
   * stats for results larger than the page.
   */
  async materialise(sql: string, pageSize: number): Promise<TableData> {
    const id = `r${++this.#sequence}`
    const table = `__workbench_result_${id}`
    // Prepared, not run: a prepared statement is exactly one statement, so SQL that our splitter took for
    // one statement but DuckDB would read as two (an ATTACH smuggled behind a quoting trick) fails here.
    // The user's SQL starts on a line of its own, so DuckDB's `LINE n:` excerpts show the user's own lines
    // (one line down) and their caret columns are the user's columns.
    let totalRows: number
    try {
      const prepared = await this.#connection.prepare(`CREATE TEMP TABLE ${quoteIdentifier(table)} AS\n${sql}`)
      try {
        totalRows = Number((await prepared.runAndReadAll()).getRows()[0]?.[0] ?? 0)
      } finally {
        prepared.destroySync()
      }
    } catch (err) {
      throw new WrappedStatementError(err, 1)
    }
    // A fresh table scans in insertion order (DuckDB preserves it by default): no ORDER BY needed here.
    const first = await this.#connection.runAndReadUntil(`FROM ${quoteIdentifier(table)} LIMIT ${pageSize}`, pageSize)
    const names = first.columnNames()
    const types = first.columnTypes()
    const columns = names.map((name, i) => ({ name, type: typeName(types[i] as DuckDBType) }))
    const stored = await this.#unshadowRowid(table, names)
    const kept = { table, columns, stored, types: types as DuckDBType[], totalRows }
    this.#results.set(id, kept)
    // When the first page is the whole result the client has every value; stats would only cost a scan.
    const stats = totalRows > pageSize ? await this.#stats(kept) : undefined
    const rows = rowsJson(first, await this.timeZone())
    return { resultId: id, columns, rows, offset: 0, totalRows, stats }
  }

  /** The session's time zone (DuckDB's `TimeZone` setting), in which TIMESTAMPTZ values are rendered. */
  timeZone(): Promise<string | undefined> {
    this.#timeZone ??= this.#connection
      .runAndReadAll(`SELECT current_setting('TimeZone')`)
      .then((r) => String(r.getRows()[0]?.[0] ?? '') || undefined)
      .catch(() => undefined)
    return this.#timeZone
  }

  /**
   * A kept result: `sql` reads it whole, in result order and under its own column names (for exports); `table`
   * and `stored` are the kept table and its column names, for queries of their own (the hand-over).
   */
  sourceOf(resultId: string): ResultSource {
    const kept = this.#results.get(resultId)
    if (!kept) throw new ResultNotFoundError(resultId)
    const { table, columns, stored, types } = kept
    return { sql: `SELECT ${projection(kept)} FROM ${quoteIdentifier(table)}`, table, columns, stored, types }
  }

  /** Renames columns that would hide the row id (see {@link SHADOWS_ROWID}); answers the stored names. */
  async #unshadowRowid(table: string, names: string[]): Promise<string[]> {
    const stored = names.map((name, i) => (SHADOWS_ROWID.test(name) ? `__workbench_column_${i}` : name))
    for (const [i, name] of names.entries())
      if (stored[i] !== name)
        await this.#connection.run(
          `ALTER TABLE ${quoteIdentifier(table)} RENAME COLUMN ${quoteIdentifier(name)} TO ${quoteIdentifier(stored[i] as string)}`,
        )
    return stored
  }

  async page(resultId: string, request: PageRequest): Promise<TableData> {
    const kept = this.#results.get(resultId)
    if (!kept) throw new ResultNotFoundError(resultId)
    const table = quoteIdentifier(kept.table)
    const offset = request.offset ?? 0
    const limit = request.limit ?? 1_000
    if (!Number.isInteger(offset) || offset < 0) throw new PageRequestError('offset must be a non-negative integer')
    if (!Number.isInteger(limit) || limit < 0 || limit > 100_000)
      throw new PageRequestError('limit must be an integer between 0 and 100000')
    const column = (name: string) => {
      const index = kept.columns.findIndex((c) => c.name === name)
      const found = kept.columns[index]
      if (!found) throw new PageRequestError(`No column "${name}" in this result`)
      // Qualified: a bare name in ORDER BY would bind to a select-list alias first (a result column `rowid`).
      return { ...found, ref: `${table}.${quoteIdentifier(kept.stored[index] as string)}` }
    }
    const values: DuckDBValue[] = []
    const where: string[] = []
    for (const filter of request.filter ?? []) {
      const c = column(filter.column)
      const ref = c.ref
      if (filter.op === 'is_null') where.push(`${ref} IS NULL`)
      else if (filter.op === 'not_null') where.push(`${ref} IS NOT NULL`)
      else {
        if (filter.value === undefined || filter.value === null || typeof filter.value === 'object')
          throw new PageRequestError(`Filter on "${c.name}" needs a string, number or boolean value`)
        values.push(String(filter.value))
        const param = `$${values.length}`
        if (filter.op === 'contains') where.push(`CAST(${ref} AS VARCHAR) ILIKE '%' || ${param} || '%'`)
        // The value travels as text and is cast to the column's own type, so '42' compares as a number.
        else where.push(`${ref} ${filter.op} TRY_CAST(${param} AS ${c.type})`)
      }
    }
    const order = (request.sort ?? []).map((s) => `${column(s.column).ref} ${s.descending ? 'DESC' : 'ASC'}`)
    // The row id is the result's own order; no result column is called `rowid` in the kept table.
    order.push(`${table}.rowid`)
    const from = `FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`
    const reader = await this.#connection.runAndReadAll(
      `SELECT ${projection(kept)} ${from} ORDER BY ${order.join(', ')} LIMIT ${limit} OFFSET ${offset}`,
      values,
    )
    const totalRows = where.length
      ? Number((await this.#connection.runAndReadAll(`SELECT count(*)::DOUBLE ${from}`, values)).getRows()[0]?.[0] ?? 0)
      : kept.totalRows
    const rows = rowsJson(reader, await this.timeZone())
    return { resultId, columns: kept.columns, rows, offset, totalRows }
  }

  async clear(): Promise<void> {
    for (const { table } of this.#results.values()) await this.#drop(table)
    this.#results.clear()
  }

  /** Drops results beyond the newest `keep`; run between cells, off the path of the cell's first page. */
  async evict(): Promise<void> {
    while (this.#results.size > this.#keep) {
      const [oldest] = this.#results.keys()
      if (oldest === undefined) return
      const kept = this.#results.get(oldest)
      this.#results.delete(oldest)
      if (kept) await this.#drop(kept.table)
    }
  }

  async #drop(table: string): Promise<void> {
    await this.#connection.run(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`).catch(() => {})
  }

  /**
   * One pass over the kept table: nulls, min and max per column, and a distinct count: exact up to
   * {@link EXACT_DISTINCT_ROWS} rows, approximate (and flagged so) up to {@link MAX_DISTINCT_ROWS}, none above
   * (hashing every value of a huge result would cost more than the first page is worth).
   */
  async #stats({ table, columns, stored, totalRows }: KeptResult): Promise<ColumnStats[] | undefined> {
    if (columns.length === 0 || columns.length > MAX_STATS_COLUMNS) return undefined
    const select: string[] = []
    columns.forEach((c, i) => {
      const ref = quoteIdentifier(stored[i] as string)
      select.push(`count(*) - count(${ref}) AS n${i}`)
      if (!NO_MIN_MAX.test(c.type)) {
        select.push(`min(${ref}) AS lo${i}`, `max(${ref}) AS hi${i}`)
        if (totalRows <= EXACT_DISTINCT_ROWS) select.push(`count(DISTINCT ${ref}) AS d${i}`)
        else if (totalRows <= MAX_DISTINCT_ROWS) select.push(`approx_count_distinct(${ref}) AS d${i}`)
      }
    })
    try {
      const reader = await this.#connection.runAndReadAll(`SELECT ${select.join(', ')} FROM ${quoteIdentifier(table)}`)
      const names = reader.columnNames()
      const row = rowsJson(reader, await this.timeZone())[0] ?? []
      const value = (name: string) => row[names.indexOf(name)]
      return columns.map((c, i) => {
        const stats: ColumnStats = { name: c.name, nullCount: Number(value(`n${i}`)) }
        if (names.includes(`lo${i}`)) {
          stats.min = value(`lo${i}`)
          stats.max = value(`hi${i}`)
        }
        if (names.includes(`d${i}`)) {
          // HyperLogLog may overshoot: never claim more distinct values than there are non-null ones.
          stats.distinct = Math.min(Number(value(`d${i}`)), totalRows - stats.nullCount)
          if (totalRows > EXACT_DISTINCT_ROWS) stats.distinctApproximate = true
        }
        return stats
      })
    } catch {
      // Stats are a convenience: an exotic type must not fail the cell.
      return undefined
    }
  }
}

/** The select list showing a kept table under the result's column names. */
function projection(kept: KeptResult): string {
  if (kept.stored.every((name, i) => name === kept.columns[i]?.name)) return '*'
  return kept.stored
    .map((name, i) => `${quoteIdentifier(name)} AS ${quoteIdentifier(kept.columns[i]?.name as string)}`)
    .join(', ')
}
