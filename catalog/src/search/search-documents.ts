import { type Kysely, sql } from 'kysely'
import type { CatalogTables } from '../types.ts'

/**
 * Starts a change of search documents in `workspaceId`: bumps the workspace's search version and returns it.
 * Call it FIRST in the transaction that writes (the row lock it takes is held to commit, so versions of one
 * workspace commit in order and every write path takes the lock before any asset row: no lock-order deadlock),
 * then stamp the written assets with the version (`refreshSearchDocuments`). Search indexes in every process
 * compare this version with the one they loaded.
 */
export async function beginSearchChange(db: Kysely<CatalogTables>, workspaceId: string): Promise<number> {
  const { rows } = await sql<{ version: string }>`
    INSERT INTO catalog_search_state (workspace_id, version) VALUES (${workspaceId}, 1)
    ON CONFLICT (workspace_id) DO UPDATE SET version = catalog_search_state.version + 1
    RETURNING version
  `.execute(db)
  return Number(rows[0]?.version)
}

/** `beginSearchChange` for the workspace an asset belongs to (user edits know the asset, not the workspace). */
export async function beginAssetSearchChange(db: Kysely<CatalogTables>, assetId: string): Promise<number> {
  const asset = await db
    .selectFrom('catalog_assets')
    .select('workspace_id')
    .where('id', '=', assetId)
    .executeTakeFirst()
  // An unknown asset changes nothing; version 0 stamps nothing either.
  return asset ? beginSearchChange(db, asset.workspace_id) : 0
}

/**
 * Marks assets as changed at `version` (from `beginSearchChange` in the same transaction) and recomputes their
 * usage count; search indexes then reload them with their columns and tags.
 */
export async function refreshSearchDocuments(
  db: Kysely<CatalogTables>,
  assetIds: readonly string[],
  version: number,
): Promise<void> {
  if (assetIds.length === 0) return
  await sql`
    UPDATE catalog_assets a SET
      usage_count = coalesce((
        SELECT sum(u.count)::int FROM catalog_usage u
        WHERE u.workspace_id = a.workspace_id AND u.table_name = lower(a.schema_name || '.' || a.name)), 0),
      search_version = ${version},
      updated_at = now()
    WHERE a.id IN (${sql.join(assetIds.map((id) => sql`${id}`))})
  `.execute(db)
}

/** Recomputes the denormalised `tags` array (accepted tags of the asset and its columns) of one asset. */
export async function refreshAssetTags(db: Kysely<CatalogTables>, assetId: string, version: number): Promise<void> {
  await sql`
    UPDATE catalog_assets SET tags = coalesce((
      SELECT array_agg(DISTINCT t.tag ORDER BY t.tag) FROM catalog_tags t WHERE t.asset_id = ${assetId} AND t.status = 'accepted'
    ), '{}'::text[])
    WHERE id = ${assetId}
  `.execute(db)
  await refreshSearchDocuments(db, [assetId], version)
}
