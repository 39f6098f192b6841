import { type Kysely, sql } from 'kysely'
import type { Database } from '../db/schema.ts'

/** A producer of usage or lineage: a notebook or a pipeline, by id. */
interface Producer {
  kind: string
  id: string
}

/**
 * Names of the notebooks and pipelines behind usage rows (`name: null` when the producer was deleted or is not
 * a notebook or pipeline of the workspace), so pages show "Weekly revenue" and link to it instead of a UUID.
 */
export async function withProducerNames<T extends Producer>(
  db: Kysely<Database>,
  workspaceId: string,
  rows: readonly T[],
): Promise<(T & { name: string | null })[]> {
  const ids = (kind: string) => [...new Set(rows.filter((r) => r.kind === kind).map((r) => r.id))]
  const notebookIds = ids('notebook')
  const pipelineIds = ids('pipeline')
  const [notebooks, pipelines] = await Promise.all([
    notebookIds.length === 0
      ? []
      : db
          .selectFrom('notebooks')
          .select(['id', 'name'])
          .where('workspace_id', '=', workspaceId)
          .where('deleted_at', 'is', null)
          .where('id', 'in', notebookIds)
          .execute(),
    pipelineIds.length === 0
      ? []
      : db
          .selectFrom('pipelines')
          .select(['id', 'name'])
          .where('workspace_id', '=', workspaceId)
          .where('id', 'in', pipelineIds)
          .execute(),
  ])
  const names = new Map<string, string>([
    ...notebooks.map((n) => [`notebook:${n.id}`, n.name] as const),
    ...pipelines.map((p) => [`pipeline:${p.id}`, p.name] as const),
  ])
  return rows.map((r) => ({ ...r, name: names.get(`${r.kind}:${r.id}`) ?? null }))
}

/**
 * The catalog asset of each lineage node (`table` is lower-case `schema.table`), so the graph links to asset
 * pages; `assetId: null` for tables the catalog does not know (not discovered yet, or dropped).
 */
export async function withNodeAssets<T extends { table: string }>(
  db: Kysely<Database>,
  workspaceId: string,
  nodes: readonly T[],
): Promise<(T & { assetId: string | null })[]> {
  const tables = [...new Set(nodes.map((n) => n.table))]
  const rows =
    tables.length === 0
      ? []
      : await db
          .selectFrom('catalog_assets as a')
          .innerJoin('catalog_sources as s', 's.id', 'a.source_id')
          .select(['a.id', 'a.schema_name', 'a.name'])
          .where('a.workspace_id', '=', workspaceId)
          // Lineage names the workspace DuckDB's tables.
          .where('s.connection_id', 'is', null)
          .where('a.gone_at', 'is', null)
          .where(sql<string>`lower(a.schema_name || '.' || a.name)`, 'in', tables)
          .execute()
  const ids = new Map(rows.map((r) => [`${r.schema_name}.${r.name}`.toLowerCase(), r.id]))
  return nodes.map((n) => ({ ...n, assetId: ids.get(n.table) ?? null }))
}
