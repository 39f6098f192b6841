/** Shapes of the catalog API (mirrors `@workbench/catalog`; web imports no server code). */
export type Facet = 'source' | 'kind' | 'schema' | 'tag' | 'owner'
export const FACETS: Facet[] = ['source', 'kind', 'schema', 'tag', 'owner']

export interface SearchHit {
  id: string
  sourceName: string
  schema: string
  name: string
  kind: 'table' | 'view'
  description: string | null
  tags: string[]
  owners: string[]
  rowEstimate: number | null
  usageCount: number
}

export interface SearchResult {
  items: SearchHit[]
  total: number
  totalIsLowerBound: boolean
  facets: Record<Facet, { value: string; label: string; count: number }[]>
}

export interface AssetDetail {
  id: string
  sourceName: string
  schema: string
  name: string
  kind: 'table' | 'view'
  description: string | null
  sourceComment: string | null
  owners: string[]
  /** `pending`: a high-confidence finding, masked until someone accepts or rejects it. */
  tags: { column: string; tag: string; status: TagStatus; reason: string | null }[]
  rowEstimate: number | null
  discoveredAt: string
  goneAt: string | null
  syncedAt?: string | null
  columns: {
    name: string
    type: string
    nullable: boolean
    description: string | null
    sourceComment: string | null
    /** Accepted tags. */
    tags: string[]
    /** Tags that mask the column now: accepted ones and findings pending review. */
    maskedBy: string[]
  }[]
}

export type TagStatus = 'accepted' | 'pending' | 'proposed' | 'rejected'

/** A notebook or pipeline that read or wrote an asset (`name: null` once deleted). */
export interface AssetUsage {
  kind: string
  id: string
  name: string | null
  mode: string
  count: number
}

/** A catalog source: the workspace DuckDB or a connection, with its latest discovery run. */
export interface CatalogSource {
  id: string
  kind: string
  name: string
  connectionId: string | null
  lastRun: { status: string; seen: number; finishedAt: string | null } | null
}

export interface Preview {
  columns: { name: string; type: string; tags: string[] }[]
  rows: unknown[][]
  masked: string[]
  unmasked: boolean
}

export interface LineageGraph {
  /** `assetId`: the node's catalog asset (null when the catalog does not know the table). */
  nodes: { id: string; table: string; column: string | null; depth: number; assetId: string | null }[]
  edges: { from: string; to: string; producers: { kind: string; id: string; version: string | null }[] }[]
}

export interface ColumnProfile {
  name: string
  nullShare: number
  distinct: number
  min: string | null
  max: string | null
  mean: number | null
  topValues: { value: string | null; count: number }[]
}

/** Query string for a search: text, facet filters (repeatable), page. */
export function searchPath(
  workspaceId: string,
  q: string,
  filters: Partial<Record<Facet, string[]>>,
  offset: number,
): string {
  const params = new URLSearchParams({ q, limit: '20', offset: String(offset) })
  for (const [facet, values] of Object.entries(filters)) for (const v of values ?? []) params.append(facet, v)
  return `/api/workspaces/${workspaceId}/catalog/search?${params}`
}

/** The SQL a notebook cell would run to look at an asset. */
export function assetSql(asset: { schema: string; name: string }): string {
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`
  return `SELECT * FROM ${q(asset.schema)}.${q(asset.name)} LIMIT 100`
}
