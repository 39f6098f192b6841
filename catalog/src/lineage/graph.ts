import type { Kysely } from 'kysely'
import type { CatalogTables } from '../types.ts'

export interface LineageNode {
  /** `schema.table` or `schema.table.column`. */
  id: string
  table: string
  column: string | null
  /** Distance from the starting node; negative upstream, positive downstream. */
  depth: number
}

export interface LineageGraphEdge {
  from: string
  to: string
  producers: { kind: string; id: string; version: string | null }[]
}

export interface LineageGraph {
  nodes: LineageNode[]
  edges: LineageGraphEdge[]
}

export interface LineageQuery {
  workspaceId: string
  /** Lower-case `schema.table`. */
  table: string
  /** A column for column-level lineage; omitted for table level. */
  column?: string
  direction: 'upstream' | 'downstream' | 'both'
  depth: number
}

const nodeId = (table: string, column: string) => (column ? `${table}.${column}` : table)

/**
 * The lineage graph around a table or column, level by level up to `depth` (one query per level and direction).
 */
export async function lineageGraph(db: Kysely<CatalogTables>, query: LineageQuery): Promise<LineageGraph> {
  const column = (query.column ?? '').toLowerCase()
  const start = { table: query.table.toLowerCase(), column }
  const nodes = new Map<string, LineageNode>([
    [
      nodeId(start.table, column),
      { id: nodeId(start.table, column), table: start.table, column: column || null, depth: 0 },
    ],
  ])
  const edges = new Map<string, LineageGraphEdge>()
  const depth = Math.min(Math.max(query.depth, 1), 20)
  for (const dir of ['upstream', 'downstream'] as const) {
    if (query.direction !== 'both' && query.direction !== dir) continue
    let frontier = [start]
    for (let level = 1; level <= depth && frontier.length > 0; level++) {
      const [near, far] = dir === 'upstream' ? (['target', 'source'] as const) : (['source', 'target'] as const)
      const rows = await db
        .selectFrom('catalog_lineage_edges')
        .select([
          'source_table',
          'source_column',
          'target_table',
          'target_column',
          'producer_kind',
          'producer_id',
          'producer_version',
        ])
        .where('workspace_id', '=', query.workspaceId)
        .where((eb) =>
          eb.or(frontier.map((n) => eb.and([eb(`${near}_table`, '=', n.table), eb(`${near}_column`, '=', n.column)]))),
        )
        .limit(5_000)
        .execute()
      const next: typeof frontier = []
      for (const r of rows) {
        const from = nodeId(r.source_table, r.source_column)
        const to = nodeId(r.target_table, r.target_column)
        const edge = edges.get(`${from}>${to}`) ?? { from, to, producers: [] }
        if (!edge.producers.some((p) => p.kind === r.producer_kind && p.id === r.producer_id))
          edge.producers.push({ kind: r.producer_kind, id: r.producer_id, version: r.producer_version })
        edges.set(`${from}>${to}`, edge)
        const table = r[`${far}_table`]
        const col = r[`${far}_column`]
        const id = nodeId(table, col)
        if (!nodes.has(id)) {
          nodes.set(id, { id, table, column: col || null, depth: dir === 'upstream' ? -level : level })
          next.push({ table, column: col })
        }
      }
      frontier = next
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] }
}

/** Impact analysis: every table/column computed (directly or not) from a column, and who computes them. */
export async function impactOf(
  db: Kysely<CatalogTables>,
  query: { workspaceId: string; table: string; column?: string; depth?: number },
): Promise<{ affected: LineageNode[]; producers: { kind: string; id: string }[] }> {
  const graph = await lineageGraph(db, { ...query, direction: 'downstream', depth: query.depth ?? 10 })
  const producers = new Map<string, { kind: string; id: string }>()
  for (const e of graph.edges)
    for (const p of e.producers) producers.set(`${p.kind}:${p.id}`, { kind: p.kind, id: p.id })
  return { affected: graph.nodes.filter((n) => n.depth > 0), producers: [...producers.values()] }
}

/** Which notebooks and pipelines read or write a table, most used first. */
export async function assetUsage(
  db: Kysely<CatalogTables>,
  workspaceId: string,
  table: string,
): Promise<{ kind: string; id: string; mode: 'read' | 'write'; count: number; lastAt: string }[]> {
  const rows = await db
    .selectFrom('catalog_usage')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('table_name', '=', table.toLowerCase())
    .orderBy('count', 'desc')
    .limit(200)
    .execute()
  return rows.map((r) => ({
    kind: r.producer_kind,
    id: r.producer_id,
    mode: r.mode,
    count: r.count,
    lastAt: new Date(r.last_at).toISOString(),
  }))
}
