import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import type { WorkspaceDuckdb } from './import-service.ts'

/**
 * Stand-in for the kernels branch's `WorkspaceDatabases` (contract H) so the files API runs on its own:
 * one DuckDB file per workspace at `<dataDir>/workspaces/<id>/data/workspace.duckdb`, opened once, sandboxed
 * to that folder. The integrator replaces this with `WorkspaceDatabases.get` (DuckDB cannot open one file twice).
 */
export class WorkspaceDuckdbs {
  readonly #open = new Map<string, Promise<DuckdbDatabase>>()

  constructor(private readonly options: { dataDir: string; memoryLimit?: string }) {}

  readonly get: WorkspaceDuckdb = (workspaceId) => {
    let db = this.#open.get(workspaceId)
    if (!db) {
      const dir = path.join(this.options.dataDir, 'workspaces', workspaceId, 'data')
      mkdirSync(dir, { recursive: true })
      db = DuckdbDatabase.open({
        path: path.join(dir, 'workspace.duckdb'),
        dataDir: dir,
        memoryLimit: this.options.memoryLimit,
      })
      db.catch(() => this.#open.delete(workspaceId))
      this.#open.set(workspaceId, db)
    }
    return db
  }

  async close(): Promise<void> {
    for (const db of this.#open.values()) (await db.catch(() => undefined))?.close()
    this.#open.clear()
  }
}
