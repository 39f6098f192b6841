import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { type DuckDBConnection, DuckDBInstance, type DuckDBResultReader, StatementType } from '@duckdb/node-api'
import { splitStatements } from '../sql/split-statements.ts'
import { refusedStatement } from './statement-guard.ts'

export interface DuckdbDatabaseOptions {
  /** A database file, or `:memory:`. */
  path: string
  /** DuckDB `memory_limit`, e.g. `2GB`. */
  memoryLimit?: string
  threads?: number
  /**
   * No file or network access, no extension loading, and settings locked so SQL cannot undo any of it.
   * For databases that run SQL from users without a workspace folder (the scratch database).
   */
  sandboxed?: boolean
  /**
   * A workspace's data folder: the only place user SQL may read or write files (implies `sandboxed`).
   * DuckDB's spill files go to a `.tmp` folder inside it.
   */
  dataDir?: string
}

/** How {@link DuckdbDatabase.query} runs a statement. */
export interface QueryOptions {
  /** Rows in the page returned (default 1,000). */
  limit?: number
  /** A statement still running after this long is interrupted; the query rejects with a {@link QueryStoppedError}. */
  timeoutMs?: number
  /** Aborting (e.g. the HTTP client went away) interrupts the running statement. */
  signal?: AbortSignal
  /**
   * Check every statement before it runs (kind and output settings, see `statement-guard.ts`) and run them one by
   * one; for SQL from users. Rejects with a {@link StatementRefusedError}.
   */
  guarded?: boolean
}

/** The statement was interrupted: by the timeout or by the caller's signal. */
export class QueryStoppedError extends Error {
  readonly reason: 'timeout' | 'aborted'
  constructor(reason: 'timeout' | 'aborted', timeoutMs?: number) {
    super(
      reason === 'timeout'
        ? `Statement cancelled after ${timeoutMs} ms (the statement timeout)`
        : 'Statement cancelled',
    )
    this.name = 'QueryStoppedError'
    this.reason = reason
  }
}

/** A guarded query named a statement kind or setting that user SQL may not use. */
export class StatementRefusedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StatementRefusedError'
  }
}

const NO_EXTENSION_SETTINGS: Record<string, string> = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
  allow_unsigned_extensions: 'false',
}

export const defaultDuckdbDatabaseOptions = {
  path: ':memory:',
  memoryLimit: '2GB',
} satisfies DuckdbDatabaseOptions

/** A page of a query result: column names and types, and rows as JSON-safe values. */
export interface QueryPage {
  columns: { name: string; type: string }[]
  rows: unknown[][]
  /** True when the statement produced more rows than the page holds. */
  truncated: boolean
}

/**
 * One DuckDB database (in-process) and the connections opened on it.
 *
 * @example
 * const db = await DuckdbDatabase.open({ path: ':memory:' })
 * const page = await db.query('SELECT 42 AS answer')
 * db.close()
 */
export class DuckdbDatabase {
  readonly #instance: DuckDBInstance
  readonly #probe: DuckDBConnection

  /** The workspace data folder user SQL is confined to, if any. */
  readonly dataDir: string | undefined

  private constructor(instance: DuckDBInstance, probe: DuckDBConnection, dataDir?: string) {
    this.#instance = instance
    this.#probe = probe
    this.dataDir = dataDir
  }

  static async open(options: Partial<DuckdbDatabaseOptions> = {}): Promise<DuckdbDatabase> {
    const merged = { ...defaultDuckdbDatabaseOptions, ...options }
    const settings: Record<string, string> = { memory_limit: merged.memoryLimit }
    if (merged.threads !== undefined) settings.threads = String(merged.threads)
    const sandboxed = merged.sandboxed || merged.dataDir !== undefined
    if (sandboxed) Object.assign(settings, NO_EXTENSION_SETTINGS)
    // An in-memory sandbox never spills to disk: its memory limit is the whole bound of what it may hold.
    if (merged.sandboxed && merged.dataDir === undefined && merged.path === ':memory:') settings.temp_directory = ''
    if (merged.dataDir !== undefined) {
      mkdirSync(path.join(merged.dataDir, '.tmp'), { recursive: true })
      settings.temp_directory = path.join(merged.dataDir, '.tmp')
    }
    const instance = await DuckDBInstance.create(merged.path, settings)
    const probe = await instance.connect()
    if (sandboxed) {
      // Order matters: the allow-list must be set while external access is still on, and the lock comes last,
      // after which no SQL can change any setting (memory limit included).
      if (merged.dataDir !== undefined) {
        const dir = `${path.resolve(merged.dataDir)}/`
        await probe.run(`SET allowed_directories = [${quoteLiteral(dir)}]`)
      }
      await probe.run('SET enable_external_access = false')
      await probe.run('SET lock_configuration = true')
    }
    return new DuckdbDatabase(instance, probe, merged.dataDir)
  }

  connect(): Promise<DuckDBConnection> {
    return this.#instance.connect()
  }

  /** Cheapest real round trip through the engine, for readiness probes. */
  async ping(): Promise<void> {
    await this.#probe.run('SELECT 1')
  }

  /**
   * Runs `sql` on a fresh connection and returns its first `limit` rows. Values are converted to JSON
   * only for the rows returned, never for the whole result. With `timeoutMs` or `signal`, the running
   * statement is interrupted (DuckDB stops executing it) and the query rejects with a {@link QueryStoppedError}.
   */
  async query(sql: string, options: QueryOptions = {}): Promise<QueryPage> {
    const limit = options.limit ?? 1_000
    return this.#onStoppableConnection(options, async (connection, stopped) => {
      const reader = options.guarded
        ? await runGuarded(connection, sql, limit + 1, stopped)
        : await connection.runAndReadUntil(sql, limit + 1)
      return pageOf(reader, 0, limit)
    })
  }

  /**
   * Runs one SELECT read-only: inside `BEGIN TRANSACTION READ ONLY` (DuckDB itself refuses any write, even one a
   * function would make, such as `nextval`), on its own connection, then rolled back. Anything but exactly one
   * SELECT statement is refused with a {@link StatementRefusedError}. Answers rows [offset, offset + limit).
   */
  async readOnlyQuery(
    sql: string,
    options: Omit<QueryOptions, 'guarded'> & { offset?: number } = {},
  ): Promise<QueryPage> {
    const limit = options.limit ?? 1_000
    const offset = options.offset ?? 0
    return this.#onStoppableConnection(options, async (connection) => {
      const extracted = await connection.extractStatements(sql)
      if (extracted.count !== 1)
        throw new StatementRefusedError(`Exactly one SELECT statement is needed (found ${extracted.count})`)
      await connection.run('BEGIN TRANSACTION READ ONLY')
      try {
        const prepared = await extracted.prepare(0)
        try {
          if (prepared.statementType !== StatementType.SELECT)
            throw new StatementRefusedError('Only a SELECT statement can run here: this query is read-only')
          return pageOf(await prepared.runAndReadUntil(offset + limit + 1), offset, limit)
        } finally {
          prepared.destroySync()
        }
      } finally {
        await connection.run('ROLLBACK').catch(() => {})
      }
    })
  }

  /**
   * Runs `body` on a fresh connection that `options.timeoutMs` or `options.signal` interrupts (DuckDB stops the
   * running statement); a stopped body rejects with the {@link QueryStoppedError}, whatever the statement threw.
   * The connection is closed afterwards.
   */
  async #onStoppableConnection<T>(
    options: Pick<QueryOptions, 'timeoutMs' | 'signal'>,
    body: (connection: DuckDBConnection, stopped: () => QueryStoppedError | undefined) => Promise<T>,
  ): Promise<T> {
    const connection = await this.#instance.connect()
    let stopped: QueryStoppedError | undefined
    const stop = (reason: 'timeout' | 'aborted') => {
      stopped ??= new QueryStoppedError(reason, options.timeoutMs)
      connection.interrupt()
    }
    const onAbort = () => stop('aborted')
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), options.timeoutMs)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      if (options.signal?.aborted) throw new QueryStoppedError('aborted')
      const result = await body(connection, () => stopped)
      if (stopped) throw stopped
      return result
    } catch (err) {
      throw stopped ?? err
    } finally {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      connection.closeSync()
    }
  }

  close(): void {
    this.#probe.closeSync()
    this.#instance.closeSync()
  }
}

/** Rows [offset, offset + limit) of what `reader` has read, converted to JSON; truncated when it holds more. */
function pageOf(reader: DuckDBResultReader, offset: number, limit: number): QueryPage {
  const names = reader.columnNames()
  const types = reader.columnTypes()
  return {
    columns: names.map((name, i) => ({ name, type: String(types[i]) })),
    rows: reader.getRowsJson().slice(offset, offset + limit),
    truncated: reader.currentRowCount > offset + limit || !reader.done,
  }
}

/** Runs the statements of `sql` one by one, each checked before it runs; answers the last one's reader. */
async function runGuarded(
  connection: DuckDBConnection,
  sql: string,
  rows: number,
  stopped: () => Error | undefined,
): Promise<DuckDBResultReader> {
  const statements = splitStatements(sql)
  if (statements.length === 0) throw new StatementRefusedError('No SQL statement to run')
  let reader: DuckDBResultReader | undefined
  for (const statement of statements) {
    const failure = stopped()
    if (failure) throw failure
    const prepared = await connection.prepare(statement.text)
    try {
      const refused = refusedStatement(prepared.statementType, statement.text)
      if (refused) throw new StatementRefusedError(refused)
      reader = await prepared.runAndReadUntil(rows)
    } finally {
      prepared.destroySync()
    }
  }
  return reader as DuckDBResultReader
}

/** A SQL string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/** A SQL identifier, always quoted so any column name (spaces, keywords, quotes) is safe. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
