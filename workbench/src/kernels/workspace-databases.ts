import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'

/** Opens (once) and returns the DuckDB database of a workspace. */
export type WorkspaceDuckdb = (workspaceId: string) => Promise<DuckdbDatabase>

const WORKSPACE_ID = /^[A-Za-z0-9_-]{1,64}$/

/**
 * The DuckDB database of each workspace: `<dataDir>/workspaces/<id>/data/workspace.duckdb`, sandboxed to
 * that folder (user SQL cannot read or write files elsewhere). DuckDB cannot open one file twice in a
 * process, so every consumer (kernel sessions, file imports, catalog, pipelines) goes through `get`.
 *
 * @example
 * const databases = new WorkspaceDatabases({ dataDir: config.dataDir, memoryLimit: '2GB' })
 * const db = await databases.get(workspaceId)
 */
export class WorkspaceDatabases {
  readonly #options: { dataDir: string; memoryLimit: string }
  readonly #databases = new Map<string, Promise<DuckdbDatabase>>()
  #closed = false

  constructor(options: { dataDir: string; memoryLimit: string }) {
    this.#options = options
  }

  /** The workspace's database, opened on first use (concurrent first calls share one open). */
  get: WorkspaceDuckdb = (workspaceId) => {
    if (this.#closed) return Promise.reject(new Error('The workspace databases are closed'))
    let db = this.#databases.get(workspaceId)
    if (!db) {
      const dataDir = this.dataDirOf(workspaceId)
      mkdirSync(dataDir, { recursive: true })
      // Leftover hand-over files of a previous run are garbage. The folder itself stays: a sandboxed kernel
      // created it as the workspace's uid and writes its DataFrames there.
      const exchange = path.join(dataDir, '.exchange')
      for (const name of existsSync(exchange) ? readdirSync(exchange) : [])
        rmSync(path.join(exchange, name), { recursive: true, force: true })
      db = DuckdbDatabase.open({
        path: path.join(dataDir, 'workspace.duckdb'),
        dataDir,
        memoryLimit: this.#options.memoryLimit,
      })
      db.catch(() => this.#databases.delete(workspaceId))
      this.#databases.set(workspaceId, db)
    }
    return db
  }

  /** The folder user SQL of this workspace is confined to. Throws for an id that is not a safe folder name. */
  dataDirOf(workspaceId: string): string {
    if (!WORKSPACE_ID.test(workspaceId)) throw new Error(`"${workspaceId}" is not a valid workspace id`)
    return path.join(this.#options.dataDir, 'workspaces', workspaceId, 'data')
  }

  async close(): Promise<void> {
    this.#closed = true
    const open = [...this.#databases.values()]
    this.#databases.clear()
    for (const db of open) (await db.catch(() => undefined))?.close()
  }
}
