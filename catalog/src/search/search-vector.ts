import { type Kysely, sql } from 'kysely'
import type { CatalogTables } from '../types.ts'

/**
 * Recomputes the search document of assets from their names, descriptions, source comments, accepted tags and
 * column names, plus their usage count. Names are indexed as written and with `_` as a word break, so
 * `customer_orders` is found by `customer orders` as well as by its full name.
 */
export async function refreshSearchDocuments(db: Kysely<CatalogTables>, assetIds: readonly string[]): Promise<void> {
  if (assetIds.length === 0) return
  await sql`
    UPDATE catalog_assets a SET
      search_vector =
        setweight(to_tsvector('simple', a.name || ' ' || translate(a.name, '_.-', '   ')), 'A') ||
        setweight(to_tsvector('simple', coalesce(a.description, '') || ' ' || coalesce(a.source_comment, '') || ' ' ||
          translate(array_to_string(a.tags, ' '), '._-', '   ') || ' ' || a.schema_name), 'B') ||
        setweight(to_tsvector('simple', coalesce((
          SELECT string_agg(c.name || ' ' || translate(c.name, '_.-', '   ') || ' ' || coalesce(c.description, '') || ' ' ||
            coalesce(c.source_comment, ''), ' ')
          FROM catalog_columns c WHERE c.asset_id = a.id), '')), 'C'),
      usage_count = coalesce((
        SELECT sum(u.count)::int FROM catalog_usage u
        WHERE u.workspace_id = a.workspace_id AND u.table_name = lower(a.schema_name || '.' || a.name)), 0),
      updated_at = now()
    WHERE a.id IN (${sql.join(assetIds.map((id) => sql`${id}`))})
  `.execute(db)
}

/** Recomputes the denormalised `tags` array (accepted tags of the asset and its columns) of one asset. */
export async function refreshAssetTags(db: Kysely<CatalogTables>, assetId: string): Promise<void> {
  await sql`
    UPDATE catalog_assets SET tags = coalesce((
      SELECT array_agg(DISTINCT t.tag ORDER BY t.tag) FROM catalog_tags t WHERE t.asset_id = ${assetId} AND t.status = 'accepted'
    ), '{}'::text[])
    WHERE id = ${assetId}
  `.execute(db)
  await refreshSearchDocuments(db, [assetId])
}
