import mysql, { type Connection, type FieldPacket, type QueryError } from 'mysql2'
import { BaseKernel } from '../base-kernel.ts'
import {
  type ExecuteOptions,
  errorOutput,
  type Output,
  type PageRequest,
  PageRequestError,
  ResultNotFoundError,
  type SqlKernel,
  type TableColumn,
  type TableData,
} from '../kernel.ts'
import type { SqlStatement } from '../sql/split-statements.ts'
import { sqlErrorOutput } from '../sql/sql-errors.ts'
import { runTransactionalCell } from '../sql/transactional-cell.ts'
import { defaultMysqlKernelOptions, type MysqlKernelOptions } from './options.ts'
import { columnsOf, jsonSafeRow, kernelConnectionDefaults } from './values.ts'

/**
 * Transaction control, access-mode and timeout changes would let a cell out of its read-only session or
 * its statement timeout; cells may not run them.
 */
const MANAGED =
  /^\s*(commit|rollback|begin|start|savepoint|release|xa|lock|unlock|set\s+(session\s+|global\s+|local\s+)?transaction)\b|\b(max_statement_time|max_execution_time|transaction_read_only|tx_read_only|autocommit)\b/i

/** Statements whose result is kept for paging (re-read by streaming the statement again). */
const RESULT_STATEMENT = /^\s*(\(|select\b|with\b|values\b|table\b)/i

interface KeptResult {
  statement: string
  columns: TableColumn[]
  totalRows: number
}

/**
 * SQL on MySQL or MariaDB (mysql2): the session is READ ONLY by default (so even DDL's implicit commit
 * cannot write), each cell runs in one transaction, with `max_statement_time` (MariaDB) or
 * `max_execution_time` (MySQL). Results are streamed: the first page is kept in memory and the rest
 * only counted; pages stream the statement again and keep the requested window. Cancel is
 * `KILL QUERY` on a second connection.
 *
 * @example
 * const kernel = await MysqlKernel.start({ connection: { host, user, password, database } })
 */
export class MysqlKernel extends BaseKernel implements SqlKernel {
  readonly kind = 'mysql' as const
  readonly #options: MysqlKernelOptions
  #conn: Connection
  readonly #results = new Map<string, KeptResult>()
  #sequence = 0
  #interrupted = false

  private constructor(options: MysqlKernelOptions, conn: Connection) {
    super(options.limits)
    this.#options = options
    this.#conn = conn
  }

  static async start(
    options: Partial<MysqlKernelOptions> & Pick<MysqlKernelOptions, 'connection'>,
  ): Promise<MysqlKernel> {
    const merged = { ...defaultMysqlKernelOptions, ...options }
    const kernel = new MysqlKernel(merged, await kernelConnection(merged))
    kernel.#watch(kernel.#conn)
    kernel.setStatus('idle')
    return kernel
  }

  #watch(conn: Connection): void {
    this.watchConnection(conn, () => conn === this.#conn)
  }

  protected async runCell(code: string, emit: (output: Output) => void, options: ExecuteOptions): Promise<void> {
    this.#interrupted = false
    const conn = this.#conn.promise()
    await runTransactionalCell(
      code,
      {
        managed: MANAGED,
        managedMessage:
          'Transaction control, access mode and timeout settings are managed by the workbench in SQL cells',
        begin: async () => {
          await conn.query(this.#options.readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION')
        },
        run: (statement) => this.#run(statement),
        commit: async () => {
          await conn.query('COMMIT')
        },
        rollback: async () => {
          await conn.query('ROLLBACK')
        },
        interrupted: () => this.#interrupted,
        forget: (resultId) => this.#results.delete(resultId),
        errorOutput: (statement, err) => this.#errorOutput(statement, err),
      },
      emit,
      options.executionCount,
    )
    this.#evict()
  }

  async #run(statement: SqlStatement): Promise<TableData | undefined> {
    const pageSize = this.#options.pageSize
    const { columns, rows, totalRows } = await this.#stream(statement.text, 0, pageSize)
    if (!columns) return undefined
    if (!RESULT_STATEMENT.test(statement.text) || totalRows <= rows.length)
      return { columns, rows, offset: 0, totalRows }
    const id = `m${++this.#sequence}`
    this.#results.set(id, { statement: statement.text, columns, totalRows })
    return { resultId: id, columns, rows, offset: 0, totalRows }
  }

  /** Streams a statement's rows, keeping only those in [offset, offset + limit); counts them all. */
  #stream(
    sql: string,
    offset: number,
    limit: number,
  ): Promise<{ columns: TableColumn[] | undefined; rows: unknown[][]; totalRows: number }> {
    return new Promise((resolve, reject) => {
      let columns: TableColumn[] | undefined
      const rows: unknown[][] = []
      let totalRows = 0
      const query = this.#conn.query({ sql, rowsAsArray: true })
      query.on('fields', (fields: FieldPacket[]) => {
        columns = columnsOf(fields)
      })
      query.on('result', (row: unknown) => {
        if (!Array.isArray(row)) return // an OK packet (INSERT, SET...): no rows
        if (totalRows >= offset && rows.length < limit) rows.push(jsonSafeRow(row))
        totalRows++
      })
      query.on('error', reject)
      query.on('end', () => resolve({ columns, rows, totalRows }))
    })
  }

  async page(resultId: string, request: PageRequest): Promise<TableData> {
    const kept = this.#results.get(resultId)
    if (!kept) throw new ResultNotFoundError(resultId)
    if (request.sort?.length || request.filter?.length)
      throw new PageRequestError(
        'Sorting and filtering are available on DuckDB results; MySQL results page by position',
      )
    const offset = request.offset ?? 0
    const limit = request.limit ?? this.#options.pageSize
    if (!Number.isInteger(offset) || offset < 0) throw new PageRequestError('offset must be a non-negative integer')
    if (!Number.isInteger(limit) || limit < 0 || limit > 100_000)
      throw new PageRequestError('limit must be an integer between 0 and 100000')
    const { rows } = await this.#stream(kept.statement, offset, limit)
    return { resultId, columns: kept.columns, rows, offset, totalRows: kept.totalRows }
  }

  /**
   * The kept statement streamed once more, `batchSize` rows at a time: the connection is paused while a batch
   * is written (mysql2 streams apply backpressure), so memory stays bounded whatever the result's size.
   */
  async *exportRows(resultId: string, batchSize: number): AsyncIterable<unknown[][]> {
    const kept = this.#results.get(resultId)
    if (!kept) throw new ResultNotFoundError(resultId)
    const stream = this.#conn.query({ sql: kept.statement, rowsAsArray: true }).stream({ highWaterMark: batchSize })
    let batch: unknown[][] = []
    let ended = false
    try {
      for await (const row of stream) {
        if (!Array.isArray(row)) continue // an OK packet: no rows
        batch.push(jsonSafeRow(row))
        if (batch.length >= batchSize) {
          yield batch
          batch = []
        }
      }
      ended = true
      if (batch.length > 0) yield batch
    } finally {
      // A download given up half-way: the rest of the result is still on the wire, and the connection serves the
      // next cell only once it is read, so drain it (discarding rows) rather than cut the protocol short.
      if (!ended) {
        stream.on('data', () => {})
        stream.on('error', () => {})
        stream.resume()
      }
    }
  }

  #evict(): void {
    while (this.#results.size > this.#options.keepResults) {
      const [oldest] = this.#results.keys()
      if (oldest === undefined) return
      this.#results.delete(oldest)
    }
  }

  #errorOutput(statement: SqlStatement, err: unknown): Output {
    const e = err as QueryError
    if (typeof e?.errno !== 'number') return errorOutput('ConnectionError', e instanceof Error ? e.message : String(e))
    if (e.errno === 1969 || e.errno === 3024)
      return errorOutput(
        'StatementTimeout',
        `Statement cancelled after ${this.#options.statementTimeoutMs} ms (the statement timeout)`,
      )
    if (e.errno === 1317) return errorOutput('Interrupted', 'Interrupted by the user')
    const ename =
      e.errno === 1064 ? 'SyntaxError' : e.errno === 1792 || e.errno === 1836 ? 'ReadOnlyError' : 'MysqlError'
    return sqlErrorOutput(statement, ename, `${e.message} (${e.code} ${e.errno})`)
  }

  protected async interruptCell(): Promise<void> {
    this.#interrupted = true
    const threadId = this.#conn.threadId
    if (!threadId) return
    const killer = mysql.createConnection({ ...this.#options.connection, ...kernelConnectionDefaults })
    try {
      await killer.promise().query(`KILL QUERY ${Number(threadId)}`)
    } finally {
      await killer
        .promise()
        .end()
        .catch(() => {})
    }
  }

  protected async doRestart(): Promise<void> {
    this.#results.clear()
    const old = this.#conn
    this.#conn = await kernelConnection(this.#options)
    this.#watch(this.#conn)
    old.destroy()
  }

  protected async doShutdown(): Promise<void> {
    this.#results.clear()
    await this.#conn
      .promise()
      .end()
      .catch(() => this.#conn.destroy())
  }
}

/** A session connection: read-only and time-limited as the options say, on whichever server it is. */
async function kernelConnection(options: MysqlKernelOptions): Promise<Connection> {
  const conn = mysql.createConnection({ ...options.connection, ...kernelConnectionDefaults })
  const p = conn.promise()
  try {
    await p.connect()
    const [rows] = await p.query({ sql: 'SELECT VERSION()', rowsAsArray: true })
    const version = String((rows as unknown[][])[0]?.[0] ?? '')
    const ms = Math.max(1, Math.floor(options.statementTimeoutMs))
    // MariaDB counts seconds (fractions allowed) for every statement; MySQL counts milliseconds for SELECTs.
    if (/mariadb/i.test(version)) await p.query(`SET SESSION max_statement_time = ${ms / 1000}`)
    else await p.query(`SET SESSION max_execution_time = ${ms}`)
    if (options.readOnly) await p.query('SET SESSION TRANSACTION READ ONLY')
    return conn
  } catch (err) {
    conn.destroy()
    throw err
  }
}
