import { DuckdbDatabase, type QueryPage } from '@workbench/kernels/duckdb'

/**
 * The private SQL planner: a sandboxed in-memory DuckDB that only the server's own parsing reaches (lineage,
 * PII masking, pipeline compile). No user SQL ever runs on it, so no user can `CREATE MACRO json_serialize_sql`
 * there; the parse call also names `system.main` explicitly, as every server query on a database users can
 * write to must.
 *
 * @example
 * const planner = await Planner.open()
 * const tree = await planner.serialize('SELECT email FROM users')
 */
export class Planner {
  readonly #database: DuckdbDatabase

  private constructor(database: DuckdbDatabase) {
    this.#database = database
  }

  static async open(): Promise<Planner> {
    return new Planner(
      await DuckdbDatabase.open({ path: ':memory:', sandboxed: true, memoryLimit: '128MB', threads: 1 }),
    )
  }

  /** Runs the server's own parsing SQL (e.g. `duckdbParser`'s); never user SQL. */
  query(sql: string, options: { limit?: number } = {}): Promise<QueryPage> {
    return this.#database.query(sql, { ...options, timeoutMs: 10_000 })
  }

  ping(): Promise<void> {
    return this.#database.ping()
  }

  close(): void {
    this.#database.close()
  }
}
