import type { Kysely } from 'kysely'
import { catalogDb } from '../catalog/catalog-db.ts'
import { WORKSPACE_DUCKDB_SOURCE } from '../catalog/catalog-service.ts'
import type { Database } from '../db/schema.ts'

/** What exists in a workspace for steps to reference; a kind left undefined is not checked. */
export interface KnownReferences {
  notebooks?: Iterable<string>
  connections?: Iterable<string>
  catalogSources?: Iterable<string>
  mcpServers?: Iterable<string>
}

/**
 * Lists the notebooks, connections, catalog sources and MCP servers a workspace has, so a pipeline naming a deleted one fails when
 * it is saved or scheduled rather than when it runs.
 */
export type ReferenceChecker = (workspaceId: string) => Promise<KnownReferences>

/**
 * Notebooks (deleted ones excluded) and connections of the workspace, each by id or name, and its catalog
 * sources by name (the workspace DuckDB's always: it is created on first use).
 */
export function metadataReferences(db: Kysely<Database>): ReferenceChecker {
  return async (workspaceId) => {
    const notebooks = await db
      .selectFrom('notebooks')
      .select(['id', 'name'])
      .where('workspace_id', '=', workspaceId)
      .where('deleted_at', 'is', null)
      .execute()
    const connections = await db
      .selectFrom('connections')
      .select(['id', 'name'])
      .where('workspace_id', '=', workspaceId)
      .execute()
    const mcpServers = await db
      .selectFrom('mcp_servers')
      .select(['id', 'name'])
      .where('workspace_id', '=', workspaceId)
      .execute()
    const catalogSources = await catalogDb(db)
      .selectFrom('catalog_sources')
      .select('name')
      .where('workspace_id', '=', workspaceId)
      .execute()
    return {
      notebooks: notebooks.flatMap((n) => [n.id, n.name]),
      connections: connections.flatMap((c) => [c.id, c.name]),
      catalogSources: [WORKSPACE_DUCKDB_SOURCE, ...catalogSources.map((s) => s.name)],
      mcpServers: mcpServers.flatMap((s) => [s.id, s.name]),
    }
  }
}
