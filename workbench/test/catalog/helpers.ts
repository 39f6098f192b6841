import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.ts'

/** A workspace row for catalog tests (catalog tables reference workspaces). */
export async function createWorkspace(db: Kysely<Database>, name = 'Data team'): Promise<string> {
  const row = await db.insertInto('workspaces').values({ name }).returning('id').executeTakeFirstOrThrow()
  return row.id
}

/** A workspace DuckDB opened as the runtime opens it (contract H): a file in a sandboxed data folder. */
export async function openWorkspaceDuckdb(): Promise<{ duckdb: DuckdbDatabase; dispose(): void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'catalog-duckdb-'))
  const duckdb = await DuckdbDatabase.open({ path: path.join(dir, 'workspace.duckdb'), dataDir: dir })
  return {
    duckdb,
    dispose: () => {
      duckdb.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Runs each statement on the DuckDB (setup helper). */
export async function exec(duckdb: DuckdbDatabase, ...statements: string[]): Promise<void> {
  for (const s of statements) await duckdb.query(s)
}
