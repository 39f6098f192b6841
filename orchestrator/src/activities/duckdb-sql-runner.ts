import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { ApplicationFailure } from '@temporalio/activity'
import type { SqlRequest, SqlResult, SqlRunner } from './types.ts'

/** Where applied idempotency keys live, in the same database as the effects they guard. */
const KEYS_TABLE = '_workbench_step_runs'

/** DuckDB's deterministic errors: retrying the same SQL cannot succeed. */
const USER_ERRORS = /^(Parser|Binder|Catalog|Conversion|Constraint|Invalid Input|Not implemented|Syntax) Error/

/**
 * `SqlRunner` on a DuckDB database for the 'duckdb' connection. With an idempotency key the statements
 * and the key's record commit in one transaction, so a retried attempt (e.g. after a worker was killed
 * mid-step) either finds the key and returns the stored result, or runs on a database the failed
 * attempt left untouched: effects apply exactly once.
 */
export class DuckDbSqlRunner implements SqlRunner {
  #ready: Promise<void> | undefined

  /** `instance`: a DuckDB instance, or anything that hands out its connections (the kernels' `DuckdbDatabase`). */
  constructor(readonly instance: { connect(): Promise<DuckDBConnection> }) {}

  /** Opens (or creates) a database file; ':memory:' for a throwaway one. */
  static async open(path = ':memory:'): Promise<DuckDbSqlRunner> {
    return new DuckDbSqlRunner(await DuckDBInstance.create(path))
  }

  async #ensureKeysTable(): Promise<void> {
    this.#ready ??= this.instance.connect().then(async (connection) => {
      try {
        await connection.run(
          `create table if not exists ${KEYS_TABLE} (key varchar primary key, result json not null, applied_at timestamp default current_timestamp)`,
        )
      } finally {
        connection.closeSync()
      }
    })
    return this.#ready
  }

  async run(request: SqlRequest): Promise<SqlResult> {
    if (request.connection !== 'duckdb') {
      throw ApplicationFailure.nonRetryable(`unknown connection '${request.connection}'`, 'UnknownConnection')
    }
    const key = request.idempotencyKey
    if (key !== undefined) await this.#ensureKeysTable()
    const connection = await this.instance.connect()
    const onAbort = () => connection.interrupt()
    request.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      if (key !== undefined) {
        const stored = await connection.runAndReadAll(`select result from ${KEYS_TABLE} where key = $key`, { key })
        const previous = stored.getRowObjectsJson()[0]
        if (previous) return { ...(JSON.parse(String(previous.result)) as SqlResult), replayed: true }
        await connection.run('begin transaction')
      }
      try {
        const maxRows = request.maxRows ?? 100
        const reader = await connection.runAndReadUntil(request.sql, maxRows + 1, request.parameters ?? undefined)
        const rows = reader.getRowObjectsJson().slice(0, maxRows) as Record<string, unknown>[]
        const result: SqlResult = {
          columns: reader.columnNames(),
          rows,
          rowCount: rows.length,
          truncated: reader.currentRowCount > maxRows || !reader.done,
        }
        if (key !== undefined) {
          await connection.run(`insert into ${KEYS_TABLE} (key, result) values ($key, $result)`, {
            key,
            result: JSON.stringify(result),
          })
          await connection.run('commit')
        }
        return result
      } catch (err) {
        if (key !== undefined) await connection.run('rollback').catch(() => {})
        throw classify(err)
      }
    } finally {
      request.signal?.removeEventListener('abort', onAbort)
      connection.closeSync()
    }
  }

  /** Closes the instance when this runner owns one (`open`); a shared database stays open. */
  close(): void {
    if (this.instance instanceof DuckDBInstance) this.instance.closeSync()
  }
}

function classify(err: unknown): unknown {
  const message = err instanceof Error ? err.message : String(err)
  if (USER_ERRORS.test(message)) return ApplicationFailure.nonRetryable(message, 'SqlError')
  return err
}
