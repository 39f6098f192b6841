import path from 'node:path'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import type { WorkspaceDuckdb } from './catalog-service.ts'

/**
 * Stand-in for kernels-api's `WorkspaceDatabases` (contract H) until that branch is merged: opens each
 * workspace's DuckDB file once per process. The integrator replaces this with `WorkspaceDatabases.get`, since
 * DuckDB cannot open one file twice.
 */
export function workspaceDuckdbOpener(dataDir: string, memoryLimit = '1GB'): { get: WorkspaceDuckdb; close(): void } {
  const open = new Map<string, Promise<DuckdbDatabase>>()
  return {
    get: (workspaceId) => {
      let db = open.get(workspaceId)
      if (!db) {
        const dir = path.join(dataDir, 'workspaces', workspaceId, 'data')
        db = DuckdbDatabase.open({ path: path.join(dir, 'workspace.duckdb'), dataDir: dir, memoryLimit })
        db.catch(() => open.delete(workspaceId))
        open.set(workspaceId, db)
      }
      return db
    },
    close: () => {
      for (const db of open.values()) void db.then((d) => d.close()).catch(() => {})
      open.clear()
    },
  }
}
