import type { Kysely } from 'kysely'
import { type CatalogTables, MASKING_STATUSES } from '../types.ts'

export interface AssetWithColumns {
  id: string
  workspaceId: string
  sourceId: string
  schema: string
  name: string
  kind: 'table' | 'view'
  rowEstimate: number | null
  gone: boolean
  columns: { name: string; type: string; nullable: boolean; tags: string[] }[]
}

/** An asset with its columns (in order) and each column's masking-relevant tags (accepted or pending review); undefined when it does not exist. */
export async function loadAssetColumns(
  db: Kysely<CatalogTables>,
  workspaceId: string,
  assetId: string,
): Promise<AssetWithColumns | undefined> {
  const asset = await db
    .selectFrom('catalog_assets')
    .select(['id', 'workspace_id', 'source_id', 'schema_name', 'name', 'kind', 'row_estimate', 'gone_at'])
    .where('id', '=', assetId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst()
  if (!asset) return undefined
  const [columns, tags] = await Promise.all([
    db.selectFrom('catalog_columns').selectAll().where('asset_id', '=', assetId).orderBy('ordinal').execute(),
    db
      .selectFrom('catalog_tags')
      .select(['column_name', 'tag'])
      .where('asset_id', '=', assetId)
      .where('status', 'in', MASKING_STATUSES)
      .execute(),
  ])
  const assetTags = tags.filter((t) => t.column_name === '').map((t) => t.tag)
  return {
    id: asset.id,
    workspaceId: asset.workspace_id,
    sourceId: asset.source_id,
    schema: asset.schema_name,
    name: asset.name,
    kind: asset.kind,
    rowEstimate: asset.row_estimate === null ? null : Number(asset.row_estimate),
    gone: asset.gone_at !== null,
    columns: columns.map((c) => ({
      name: c.name,
      type: c.type,
      nullable: c.nullable,
      // A table tagged `sensitive` as a whole masks every column.
      tags: [
        ...tags.filter((t) => t.column_name === c.name).map((t) => t.tag),
        ...assetTags.filter((t) => t === 'sensitive'),
      ],
    })),
  }
}
