import { type AssetWithColumns, type CatalogTables, type ParseSql, planResultMasking } from '@workbench/catalog'
import type { Kysely } from 'kysely'

/** Masking tags of result columns, in order (`[]` leaves a column clear). */
export type ColumnTags = (columns: readonly string[]) => string[][]

/**
 * Which columns of an asset are masked, by the rule SQL results follow: `planResultMasking` on
 * `SELECT * FROM` the asset, as a notebook cell reading it would be planned. That is its own accepted or pending
 * tags and, on the workspace DuckDB, the tags its columns inherit through recorded lineage (a table computed
 * from a tagged column), so catalog previews, profiles and notebook results agree.
 */
export async function planAssetMasking(
  db: Kysely<CatalogTables>,
  parse: ParseSql,
  asset: Pick<AssetWithColumns, 'workspaceId' | 'sourceId' | 'schema' | 'name'>,
): Promise<ColumnTags> {
  const source = await db
    .selectFrom('catalog_sources')
    .select(['kind', 'connection_id'])
    .where('id', '=', asset.sourceId)
    .executeTakeFirstOrThrow()
  const workspaceDuckdb = source.kind === 'duckdb' && !source.connection_id
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`
  const plan = await planResultMasking(db, parse, {
    workspaceId: asset.workspaceId,
    sourceIds: [asset.sourceId],
    sql: `SELECT * FROM ${quote(asset.schema)}.${quote(asset.name)}`,
    defaultSchema: workspaceDuckdb ? 'main' : undefined,
    // Recorded lineage names the workspace DuckDB's tables.
    followLineage: workspaceDuckdb,
  })
  return (columns) => plan.tagsFor(columns)
}
