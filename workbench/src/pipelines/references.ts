import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.ts'

/** What exists in a workspace for steps to reference; a kind left undefined is not checked. */
export interface KnownReferences {
  notebooks?: Iterable<string>
  connections?: Iterable<string>
}

/**
 * Lists the notebooks and connections a workspace has, so a pipeline naming a deleted one fails when
 * it is saved or scheduled rather than when it runs. The integrator may pass its own (e.g. from the
 * connections service).
 */
export type ReferenceChecker = (workspaceId: string) => Promise<KnownReferences>

/**
 * Notebooks from the metadata DB (by id or name, deleted ones excluded); connections from a
 * `connections` table when one exists (by id or name), unchecked otherwise.
 */
export function metadataReferences(db: Kysely<Database>): ReferenceChecker {
  return async (workspaceId) => {
    const notebooks = await db
      .selectFrom('notebooks')
      .select(['id', 'name'])
      .where('workspace_id', '=', workspaceId)
      .where('deleted_at', 'is', null)
      .execute()
    const known: KnownReferences = { notebooks: notebooks.flatMap((n) => [n.id, n.name]) }
    const table = await sql<{ name: string | null }>`select to_regclass('connections')::text as name`.execute(db)
    if (table.rows[0]?.name) {
      try {
        const rows = await sql<{ id: string; name: string }>`
          select id::text as id, name from connections where workspace_id::text = ${workspaceId}`.execute(db)
        known.connections = rows.rows.flatMap((r) => [r.id, r.name])
      } catch {
        // A connections table of another shape: leave connections unchecked rather than refuse every save.
      }
    }
    return known
  }
}
