import pg from 'pg'
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
import { positionOf, type SqlStatement } from '../sql/split-statements.ts'
import { sqlErrorOutput } from '../sql/sql-errors.ts'
import { runTransactionalCell } from '../sql/transactional-cell.ts'
import { defaultPostgresKernelOptions, type PostgresKernelOptions } from './options.ts'
import { jsonSafeTypes } from './values.ts'

/**
 * Transaction control and timeout changes would let a cell out of its READ ONLY transaction or its
 * statement_timeout; cells may not run them.
 */
const TRANSACTION_CONTROL =
  /^(commit|end|rollback|abort|begin|start|savepoint|release|prepare\s+transaction|reset|discard|set\s+(session\s+characteristics|transaction|(session\s+|local\s+)?(statement_timeout|default_transaction_read_only|transaction_read_only)))\b/i

/** pg runs a query through the extended protocol, one statement only, when asked (missing from its types). */
/** Cancellation is retried this often, this far apart, while the backend still runs a statement. */
const CANCEL_ATTEMPTS = 10
const CANCEL_RETRY_MS = 100

/** The cell was interrupted after one query of a statement and before the next was sent. */
class InterruptedBetweenQueries extends Error {}

function extended(config: pg.QueryArrayConfig): pg.QueryArrayConfig {
  return { ...config, queryMode: 'extended' } as pg.QueryArrayConfig
}

/** Statements a cursor can be declared for; anything else (SHOW, EXPLAIN, SET...) runs as a plain query. */
const CURSOR_ABLE = /^(\(|select\b|with\b|values\b|table\b)/i

interface KeptCursor {
  name: string
  columns: TableColumn[]
  totalRows: number
}

/**
 * SQL on a PostgreSQL connection (pg): each cell is one transaction, READ ONLY by default, with
 * `statement_timeout`. Results stay on the server in a scrollable `WITH HOLD` cursor, which pages read by
 * position; cancel goes through `pg_cancel_backend` on a second connection.
 *
 * @example
 * const kernel = await PostgresKernel.start({ connection: { connectionString } })
 */
export class PostgresKernel extends BaseKernel implements SqlKernel {
  readonly kind = 'postgres' as const
  readonly #options: PostgresKernelOptions
  #client: pg.Client
  readonly #cursors = new Map<string, KeptCursor>()
  readonly #typeNames = new Map<number, string>()
  #sequence = 0
  #interrupted = false

  private constructor(options: PostgresKernelOptions, client: pg.Client) {
    super(options.limits)
    this.#options = options
    this.#client = client
  }

  static async start(
    options: Partial<PostgresKernelOptions> & Pick<PostgresKernelOptions, 'connection'>,
  ): Promise<PostgresKernel> {
    const merged = { ...defaultPostgresKernelOptions, ...options }
    const kernel = new PostgresKernel(merged, await kernelClient(merged))
    kernel.#watch(kernel.#client)
    kernel.setStatus('idle')
    return kernel
  }

  #watch(client: pg.Client): void {
    this.watchConnection(client, () => client === this.#client)
  }

  protected async runCell(code: string, emit: (output: Output) => void, options: ExecuteOptions): Promise<void> {
    this.#interrupted = false
    const client = this.#client
    const timeoutMs = Math.max(1, Math.floor(this.#options.statementTimeoutMs))
    const applyTimeout = async () => {
      await client.query(`SET LOCAL statement_timeout = ${timeoutMs}`)
    }
    await runTransactionalCell(
      code,
      {
        managed: TRANSACTION_CONTROL,
        managedMessage: 'Transaction control and timeout settings are managed by the workbench in SQL cells',
        begin: async () => {
          await client.query(this.#options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN')
          await applyTimeout()
        },
        // Again before each statement: a set_config() in an earlier statement must not lift the timeout.
        beforeStatement: applyTimeout,
        run: (statement) => this.#run(statement),
        // WITH HOLD cursors are materialised by COMMIT: only now are their results safe to show and page.
        commit: async () => {
          await client.query('COMMIT')
        },
        rollback: async () => {
          await client.query('ROLLBACK')
        },
        interrupted: () => this.#interrupted,
        forget: (resultId) => this.#cursors.delete(resultId),
        errorOutput: (statement, err) => this.#errorOutput(statement, err),
      },
      emit,
      options.executionCount,
    )
    await this.#evict()
  }

  async #run(statement: SqlStatement): Promise<TableData | undefined> {
    const pageSize = this.#options.pageSize
    if (!CURSOR_ABLE.test(statement.text)) {
      const result = await this.#client.query(
        extended({ text: statement.text, types: jsonSafeTypes, rowMode: 'array' }),
      )
      if (!result.fields?.length) return undefined
      const columns = await this.#columns(result.fields)
      const rows = (result.rows as unknown[][]).slice(0, pageSize)
      return { columns, rows, offset: 0, totalRows: result.rows.length }
    }
    const id = `c${++this.#sequence}`
    const name = `workbench_${id}`
    // Extended protocol: exactly one statement per query, so nothing can ride along behind the cursor
    // (say a COMMIT that would end the read-only transaction) if the splitter were fooled.
    await this.#client.query(
      extended({ text: `DECLARE ${name} SCROLL CURSOR WITH HOLD FOR ${statement.text}`, rowMode: 'array' }),
    )
    // An interrupt that landed between the DECLARE and the FETCH cancelled nothing on the server: the FETCH,
    // which does the work, must not start.
    if (this.#interrupted) throw new InterruptedBetweenQueries()
    const first = await this.#client.query({
      text: `FETCH FORWARD ${pageSize} FROM ${name}`,
      types: jsonSafeTypes,
      rowMode: 'array',
    })
    const rest = await this.#client.query(`MOVE FORWARD ALL IN ${name}`)
    const columns = await this.#columns(first.fields)
    const totalRows = first.rows.length + (rest.rowCount ?? 0)
    this.#cursors.set(id, { name, columns, totalRows })
    return { resultId: id, columns, rows: first.rows as unknown[][], offset: 0, totalRows }
  }

  async page(resultId: string, request: PageRequest): Promise<TableData> {
    const cursor = this.#cursors.get(resultId)
    if (!cursor) throw new ResultNotFoundError(resultId)
    if (request.sort?.length || request.filter?.length)
      throw new PageRequestError(
        'Sorting and filtering are available on DuckDB results; PostgreSQL results page by position',
      )
    const offset = request.offset ?? 0
    const limit = request.limit ?? this.#options.pageSize
    if (!Number.isInteger(offset) || offset < 0) throw new PageRequestError('offset must be a non-negative integer')
    if (!Number.isInteger(limit) || limit < 0 || limit > 100_000)
      throw new PageRequestError('limit must be an integer between 0 and 100000')
    // Pages share the session's connection with cells: run through the queue-free client, which pg serialises.
    await this.#client.query(`MOVE ABSOLUTE ${offset} IN ${cursor.name}`)
    const page = await this.#client.query({
      text: `FETCH FORWARD ${limit} FROM ${cursor.name}`,
      types: jsonSafeTypes,
      rowMode: 'array',
    })
    return { resultId, columns: cursor.columns, rows: page.rows as unknown[][], offset, totalRows: cursor.totalRows }
  }

  /** The kept cursor read from its first row, one FETCH per batch (the cursor is materialised: no re-run). */
  async *exportRows(resultId: string, batchSize: number): AsyncIterable<unknown[][]> {
    const cursor = this.#cursors.get(resultId)
    if (!cursor) throw new ResultNotFoundError(resultId)
    for (let offset = 0; offset < cursor.totalRows; offset += batchSize) {
      const page = await this.page(resultId, { offset, limit: batchSize })
      if (page.rows.length === 0) return
      yield page.rows
    }
  }

  async #columns(fields: pg.FieldDef[]): Promise<TableColumn[]> {
    const unknown = fields.map((f) => f.dataTypeID).filter((oid) => !this.#typeNames.has(oid))
    if (unknown.length > 0) {
      const res = await this.#client.query<{ oid: number; name: string }>(
        'SELECT oid::int AS oid, format_type(oid, NULL) AS name FROM pg_type WHERE oid = ANY($1::oid[])',
        [unknown],
      )
      for (const row of res.rows) this.#typeNames.set(row.oid, row.name)
    }
    return fields.map((f) => ({ name: f.name, type: this.#typeNames.get(f.dataTypeID) ?? String(f.dataTypeID) }))
  }

  async #evict(): Promise<void> {
    while (this.#cursors.size > this.#options.keepResults) {
      const [oldest] = this.#cursors.keys()
      if (oldest === undefined) return
      const cursor = this.#cursors.get(oldest)
      this.#cursors.delete(oldest)
      if (cursor) await this.#client.query(`CLOSE ${cursor.name}`).catch(() => {})
    }
  }

  #errorOutput(statement: SqlStatement, err: unknown): Output {
    if (err instanceof InterruptedBetweenQueries) return errorOutput('Interrupted', 'Interrupted by the user')
    if (!(err instanceof pg.DatabaseError))
      return errorOutput('ConnectionError', err instanceof Error ? err.message : String(err))
    if (err.code === '57014') {
      if (/statement timeout/.test(err.message))
        return errorOutput(
          'StatementTimeout',
          `Statement cancelled after ${this.#options.statementTimeoutMs} ms (the statement timeout)`,
        )
      return errorOutput('Interrupted', 'Interrupted by the user')
    }
    const ename = err.code === '42601' ? 'SyntaxError' : err.code === '25006' ? 'ReadOnlyError' : 'PostgresError'
    const message = `${err.message} (SQLSTATE ${err.code})`
    if (!err.position) return sqlErrorOutput(statement, ename, message)
    // Positions count from the start of what we sent, which for cursors begins with our DECLARE prefix.
    const prefix = CURSOR_ABLE.test(statement.text)
      ? `DECLARE workbench_c${this.#sequence} SCROLL CURSOR WITH HOLD FOR `.length
      : 0
    const offset = Math.max(0, Number(err.position) - 1 - prefix)
    return sqlErrorOutput(statement, ename, message, positionOf(statement.text, offset))
  }

  protected async interruptCell(): Promise<void> {
    this.#interrupted = true
    const pid = (this.#client as unknown as { processID?: number }).processID
    if (!pid) return
    const canceller = new pg.Client(this.#options.connection)
    try {
      await canceller.connect()
      // pg_cancel_backend stops only the query running at that instant: one the client sent just before it saw
      // the interrupt flag would run on. Cancel again while the backend still runs a statement of this cell.
      for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
        const res = await canceller.query<{ active: boolean }>(
          `SELECT state = 'active' AS active, pg_cancel_backend(pid) AS sent FROM pg_stat_activity WHERE pid = $1`,
          [pid],
        )
        if (!res.rows[0]?.active || !this.#interrupted) return
        await new Promise((resolve) => setTimeout(resolve, CANCEL_RETRY_MS))
      }
    } finally {
      await canceller.end().catch(() => {})
    }
  }

  protected async doRestart(): Promise<void> {
    this.#cursors.clear()
    const old = this.#client
    this.#client = await kernelClient(this.#options)
    this.#watch(this.#client)
    await old.end().catch(() => {})
  }

  protected async doShutdown(): Promise<void> {
    this.#cursors.clear()
    const client = this.#client
    await client.end().catch(() => {})
  }
}

async function kernelClient(options: PostgresKernelOptions): Promise<pg.Client> {
  const client = new pg.Client({ ...options.connection, application_name: 'workbench-kernel' })
  await client.connect()
  return client
}
