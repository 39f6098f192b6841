import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'

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
}

const SANDBOX_SETTINGS: Record<string, string> = {
  enable_external_access: 'false',
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
  lock_configuration: 'true',
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

  private constructor(instance: DuckDBInstance, probe: DuckDBConnection) {
    this.#instance = instance
    this.#probe = probe
  }

  static async open(options: Partial<DuckdbDatabaseOptions> = {}): Promise<DuckdbDatabase> {
    const merged = { ...defaultDuckdbDatabaseOptions, ...options }
    const settings: Record<string, string> = { memory_limit: merged.memoryLimit }
    if (merged.threads !== undefined) settings.threads = String(merged.threads)
    if (merged.sandboxed) Object.assign(settings, SANDBOX_SETTINGS)
    const instance = await DuckDBInstance.create(merged.path, settings)
    return new DuckdbDatabase(instance, await instance.connect())
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
   * only for the rows returned, never for the whole result.
   */
  async query(sql: string, options: { limit?: number } = {}): Promise<QueryPage> {
    const limit = options.limit ?? 1_000
    const connection = await this.#instance.connect()
    try {
      const reader = await connection.runAndReadUntil(sql, limit + 1)
      const names = reader.columnNames()
      const types = reader.columnTypes()
      const available = reader.currentRowCount
      const json = reader.getRowsJson()
      return {
        columns: names.map((name, i) => ({ name, type: String(types[i]) })),
        rows: json.slice(0, limit),
        truncated: available > limit || !reader.done,
      }
    } finally {
      connection.closeSync()
    }
  }

  close(): void {
    this.#probe.closeSync()
    this.#instance.closeSync()
  }
}
