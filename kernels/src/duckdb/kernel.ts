import { type DuckDBConnection, type DuckDBType, ResultReturnType, StatementType } from '@duckdb/node-api'
import { BaseKernel } from '../base-kernel.ts'
import { type ChartData, type ChartRequest, ChartRequestError } from '../chart.ts'
import {
  type ExecuteOptions,
  errorOutput,
  type Output,
  type PageRequest,
  ResultExportError,
  type SqlKernel,
  type TableData,
} from '../kernel.ts'
import { type SqlStatement, splitStatements } from '../sql/split-statements.ts'
import { parseDuckdbError, sqlErrorOutput, WrappedStatementError } from '../sql/sql-errors.ts'
import { tableOutput } from '../table-output.ts'
import { chartQuery } from './chart-query.ts'
import { quoteIdentifier, quoteLiteral } from './database.ts'
import { rowsJson, typeName } from './json-values.ts'
import { type DuckdbKernelOptions, defaultDuckdbKernelOptions } from './options.ts'
import { type ResultSource, ResultStore } from './result-store.ts'
import { refusedStatement } from './statement-guard.ts'
import { statementSummary } from './statement-summary.ts'

/**
 * Statements that are almost surely plain queries: tried as `CREATE TABLE AS` straight away, saving a prepare.
 * Anything else, and any of these that fails to parse that way, goes through prepare and the checks.
 */
const LOOKS_LIKE_QUERY = /^(select|from|with|values|table)\b/i
const MISSING_TABLE = /Table with name ([A-Za-z_][A-Za-z0-9_]*) does not exist/

type StatementOutcome = 'ok' | 'stop'

/**
 * SQL on DuckDB: one connection per notebook session on the workspace database. Several statements per
 * cell run in order and stop at the first error; each result is kept as a temp table and its output carries
 * only the first page (see {@link ResultStore}).
 *
 * @example
 * const kernel = await DuckdbKernel.start({ database })
 * const outputs = await collectOutputs(kernel.execute('SELECT 42 AS answer'))
 */
export class DuckdbKernel extends BaseKernel implements SqlKernel {
  readonly kind = 'duckdb' as const
  readonly #options: DuckdbKernelOptions
  #connection: DuckDBConnection
  #results: ResultStore
  #interrupted = false
  #timedOut = false
  /** Views created for Python DataFrames during the running cell; dropped when it ends so data is never stale. */
  readonly #borrowedViews = new Set<string>()

  private constructor(options: DuckdbKernelOptions, connection: DuckDBConnection) {
    super(options.limits)
    this.#options = options
    this.#connection = connection
    this.#results = new ResultStore(connection, options.keepResults)
  }

  static async start(
    options: Partial<DuckdbKernelOptions> & Pick<DuckdbKernelOptions, 'database'>,
  ): Promise<DuckdbKernel> {
    const merged = { ...defaultDuckdbKernelOptions, ...options }
    const kernel = new DuckdbKernel(merged, await merged.database.connect())
    kernel.setStatus('idle')
    return kernel
  }

  page(resultId: string, request: PageRequest): Promise<TableData> {
    return this.#results.page(resultId, request)
  }

  /**
   * Writes a whole kept result to a file (inside the workspace data folder) as Parquet or CSV with a header.
   * Values the format cannot hold (a negative INTERVAL in Parquet) reject with a {@link ResultExportError}.
   */
  async exportResult(resultId: string, file: string, format: 'parquet' | 'csv'): Promise<void> {
    const { sql } = this.#results.sourceOf(resultId)
    await this.#copy(sql, file, format)
  }

  /** A chart computed over the whole kept result (see {@link chartQuery}); engine errors become request errors. */
  async chart(resultId: string, request: ChartRequest): Promise<ChartData> {
    const { table } = this.#results.sourceOf(resultId)
    const { columns } = await this.#results.page(resultId, { limit: 0 })
    try {
      return await chartQuery(this.#connection, table, columns, request)
    } catch (err) {
      if (err instanceof ChartRequestError) throw err
      throw new ChartRequestError(`This chart cannot be computed: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  /** The kept result behind `resultId` (see {@link ResultSource}) and the session's time zone. */
  async resultSource(resultId: string): Promise<ResultSource & { timeZone?: string }> {
    return { ...this.#results.sourceOf(resultId), timeZone: await this.#results.timeZone() }
  }

  /** Writes the rows of `sql` to `file` (Parquet or CSV with a header), as {@link exportResult} does. */
  async exportQuery(sql: string, file: string, format: 'parquet' | 'csv'): Promise<void> {
    await this.#copy(sql, file, format)
  }

  async #copy(sql: string, file: string, format: 'parquet' | 'csv'): Promise<void> {
    const options = format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT parquet'
    try {
      await this.#connection.run(`COPY (${sql}) TO ${quoteLiteral(file)} (${options})`)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      // The engine refusing a value is the data's fault, not the server's: say which, and what to do.
      if (/^(Invalid Input|Conversion|Not implemented|Out of Range) Error|\bdo(es)? not support\b/i.test(message))
        throw new ResultExportError(format, message)
      throw err
    }
  }

  protected async runCell(code: string, emit: (output: Output) => void, options: ExecuteOptions): Promise<void> {
    this.#interrupted = false
    this.#timedOut = false
    const statements = splitStatements(code)
    try {
      for (const [i, statement] of statements.entries()) {
        const outcome = await this.#runStatement(statement, i === statements.length - 1, emit, options)
        if (outcome === 'stop') return
      }
    } finally {
      for (const view of this.#borrowedViews)
        await this.#connection.run(`DROP VIEW IF EXISTS ${quoteIdentifier(view)}`).catch(() => {})
      this.#borrowedViews.clear()
    }
  }

  async #runStatement(
    statement: SqlStatement,
    last: boolean,
    emit: (output: Output) => void,
    options: ExecuteOptions,
  ): Promise<StatementOutcome> {
    if (this.#interrupted) return this.#stopped(emit)
    if (LOOKS_LIKE_QUERY.test(statement.text)) {
      const fast = await this.#withTimeout(() =>
        this.#results.materialise(statement.text, this.#options.pageSize),
      ).then(
        (data) => ({ data }),
        (err: unknown) => ({ err }),
      )
      if ('data' in fast) {
        emit(tableOutput(fast.data, last ? (options.executionCount ?? null) : undefined))
        return 'ok'
      }
      // Not a plain query after all (or a DataFrame to resolve, or a real error): take the general path,
      // unless the query itself ran and failed, which must not run twice.
      const message = fast.err instanceof Error ? fast.err.message : String(fast.err)
      if (!/^(Parser Error|Catalog Error: Table with name)/.test(message)) {
        emit(this.#errorOutput(statement, fast.err))
        return 'stop'
      }
    }
    let type: StatementType
    try {
      type = await this.#classify(statement.text)
    } catch (err) {
      emit(this.#errorOutput(statement, err))
      return 'stop'
    }
    const refused = refusedStatement(type, statement.text)
    if (refused) {
      emit(errorOutput('PermissionError', refused))
      return 'stop'
    }
    if (this.#interrupted) return this.#stopped(emit)

    try {
      const data = await this.#withTimeout(() => this.#run(statement.text, type))
      if (typeof data === 'string') emit({ output_type: 'stream', name: 'stdout', text: `${data}\n` })
      else if (data) emit(tableOutput(data, last ? (options.executionCount ?? null) : undefined))
      return 'ok'
    } catch (err) {
      emit(this.#errorOutput(statement, err))
      return 'stop'
    }
  }

  async #withTimeout<T>(run: () => Promise<T>): Promise<T> {
    const timer = setTimeout(() => {
      this.#timedOut = true
      this.#connection.interrupt()
    }, this.#options.statementTimeoutMs)
    try {
      return await run()
    } finally {
      clearTimeout(timer)
    }
  }

  /** Prepares to learn the statement kind; a missing table may be a Python DataFrame, so ask for it once. */
  async #classify(sql: string): Promise<StatementType> {
    const attempted = new Set<string>()
    while (true) {
      try {
        const prepared = await this.#connection.prepare(sql)
        const type = prepared.statementType
        prepared.destroySync()
        return type
      } catch (err) {
        const missing = MISSING_TABLE.exec(err instanceof Error ? err.message : '')?.[1]
        if (!missing || attempted.has(missing) || !this.#options.resolveMissingTable) throw err
        attempted.add(missing)
        const file = await this.#options.resolveMissingTable(missing)
        if (!file) throw err
        await this.#connection.run(
          `CREATE OR REPLACE TEMP VIEW ${quoteIdentifier(missing)} AS SELECT * FROM read_parquet(${quoteLiteral(file)})`,
        )
        this.#borrowedViews.add(missing)
      }
    }
  }

  /** A result set, or for other statements what they changed in words ({@link statementSummary}). */
  async #run(sql: string, type: StatementType): Promise<TableData | string | undefined> {
    const pageSize = this.#options.pageSize
    if (type === StatementType.SELECT) {
      try {
        return await this.#results.materialise(sql, pageSize)
      } catch (err) {
        // DESCRIBE, SHOW, SUMMARIZE and friends are SELECTs to DuckDB but cannot follow `CREATE TABLE AS`:
        // only then (a parser error) run them directly, so a failing heavy query is never run twice.
        if (!(err instanceof Error) || !err.message.startsWith('Parser Error')) throw err
      }
    }
    const reader = await this.#connection.runAndReadUntil(sql, pageSize)
    if (reader.returnType !== ResultReturnType.QUERY_RESULT) {
      const count = reader.columnNames()[0] === 'Count' ? reader.getRowsJson()[0]?.[0] : undefined
      return statementSummary(sql, type, count === undefined || count === null ? undefined : Number(count))
    }
    const types = reader.columnTypes()
    const rows = rowsJson(reader, await this.#results.timeZone()).slice(0, pageSize)
    const columns = reader.columnNames().map((name, i) => ({ name, type: typeName(types[i] as DuckDBType) }))
    return { columns, rows, offset: 0, totalRows: reader.done ? reader.currentRowCount : rows.length }
  }

  #stopped(emit: (output: Output) => void): StatementOutcome {
    emit(errorOutput('Interrupted', 'Interrupted by the user'))
    return 'stop'
  }

  #errorOutput(statement: SqlStatement, err: unknown): Output {
    const raw = err instanceof Error ? err.message : String(err)
    if (/^INTERRUPT Error/i.test(raw)) {
      if (this.#timedOut)
        return errorOutput(
          'StatementTimeout',
          `Statement cancelled after ${this.#options.statementTimeoutMs} ms (the workspace's statement timeout)`,
        )
      return errorOutput('Interrupted', 'Interrupted by the user')
    }
    const lineOffset = err instanceof WrappedStatementError ? err.lineOffset : 0
    const { ename, message, at } = parseDuckdbError(raw, { text: statement.text, lineOffset })
    return sqlErrorOutput(statement, ename, message, at)
  }

  protected override async afterCell(): Promise<void> {
    await this.#results.evict()
  }

  protected async interruptCell(): Promise<void> {
    this.#interrupted = true
    this.#connection.interrupt()
  }

  protected async doRestart(): Promise<void> {
    await this.#results.clear()
    this.#connection.closeSync()
    this.#connection = await this.#options.database.connect()
    this.#results = new ResultStore(this.#connection, this.#options.keepResults)
  }

  protected async doShutdown(): Promise<void> {
    await this.#results.clear()
    this.#connection.closeSync()
  }
}
