import { mkdirSync } from 'node:fs'
import path from 'node:path'
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
  /**
   * A workspace's data folder: the only place user SQL may read or write files (implies `sandboxed`).
   * DuckDB's spill files go to a `.tmp` folder inside it.
   */
  dataDir?: string
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

/** A SQL string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/** A SQL identifier, always quoted so any column name (spaces, keywords, quotes) is safe. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
