import type { Kysely } from 'kysely'
import { catalogNames, type SupersetSnapshot } from '../connections/types/superset/objects.ts'
import type { Database } from '../db/schema.ts'

/** A workbench connection a Superset database may point at (same host, port and database). */
export interface SqlTarget {
  connectionId: string
  host: string
  port: number
  database: string
}

export interface SupersetLineageEdge {
  source_table: string
  source_column: string
  target_table: string
  target_column: string
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1'])
const sameHost = (a: string, b: string) => a === b || (LOOPBACK.has(a) && LOOPBACK.has(b))

/** The workbench connection a Superset database reads, when one of the workspace's points at the same server. */
export function matchTarget(
  target: SupersetSnapshot['databases'][number]['target'],
  candidates: SqlTarget[],
): SqlTarget | undefined {
  if (!target) return undefined
  return candidates.find(
    (c) =>
      sameHost(c.host.toLowerCase(), target.host) &&
      (target.port ?? 5432) === c.port &&
      c.database.toLowerCase() === target.database.toLowerCase(),
  )
}

/** The workspace's PostgreSQL connections as match candidates (MySQL works alike, with its own default port). */
export async function sqlTargets(db: Kysely<Database>, workspaceId: string): Promise<SqlTarget[]> {
  const rows = await db
    .selectFrom('connections')
    .select(['id', 'params', 'type'])
    .where('workspace_id', '=', workspaceId)
    .where('type', 'in', ['postgres', 'mysql'])
    .execute()
  return rows.map((r) => ({
    connectionId: r.id,
    host: String(r.params.host ?? ''),
    port: Number(r.params.port ?? (r.type === 'mysql' ? 3306 : 5432)),
    database: String(r.params.database ?? ''),
  }))
}

/** Lower-case `schema.table` of a physical dataset's table, as the workbench catalogues it. */
export function datasetTableKey(d: { schema: string | null; tableName: string }, backend: string | null): string {
  const schema = d.schema ?? (backend === 'mysql' ? '' : 'public')
  return `${schema}.${d.tableName}`.toLowerCase()
}

/**
 * Lineage a Superset implies: workbench table (and its columns) → physical dataset (matched through the dataset's
 * database to a workbench connection), every dataset column → each chart built on the dataset (so impact analysis
 * from a column reaches its charts), chart → each dashboard showing it. Keys are the catalog's lineage keys.
 */
export function supersetLineage(
  snapshot: SupersetSnapshot,
  prefix: string,
  targets: SqlTarget[],
): { edges: SupersetLineageEdge[]; datasetTables: Map<number, { key: string; connectionId: string }> } {
  const names = catalogNames(prefix)
  const key = (schema: string, name: string) => `${schema}.${name}`.toLowerCase()
  const databases = new Map(snapshot.databases.map((d) => [d.id, d]))
  const edges: SupersetLineageEdge[] = []
  const datasetTables = new Map<number, { key: string; connectionId: string }>()
  const edge = (st: string, sc: string, tt: string, tc: string) =>
    edges.push({ source_table: st, source_column: sc.toLowerCase(), target_table: tt, target_column: tc.toLowerCase() })
  for (const d of snapshot.datasets) {
    const dsKey = key(names.datasets, names.dataset(d))
    const database = databases.get(d.databaseId)
    const match = d.kind === 'physical' ? matchTarget(database?.target ?? null, targets) : undefined
    if (match) {
      const tableKey = datasetTableKey(d, database?.backend ?? null)
      datasetTables.set(d.id, { key: tableKey, connectionId: match.connectionId })
      edge(tableKey, '', dsKey, '')
      // Physical columns keep their names; calculated columns (an expression) have no source column.
      for (const c of d.columns) if (!c.expression) edge(tableKey, c.column_name, dsKey, c.column_name)
    }
    for (const chart of snapshot.charts.filter((c) => c.datasetId === d.id)) {
      const chartKey = key(names.charts, names.chart(chart))
      edge(dsKey, '', chartKey, '')
      for (const c of d.columns) edge(dsKey, c.column_name, chartKey, '')
    }
  }
  const dashboards = new Map(snapshot.dashboards.map((d) => [d.id, d]))
  for (const chart of snapshot.charts) {
    const chartKey = key(names.charts, names.chart(chart))
    for (const id of chart.dashboardIds) {
      const dash = dashboards.get(id)
      if (dash) edge(chartKey, '', key(names.dashboards, names.dashboard(dash)), '')
    }
  }
  return { edges, datasetTables }
}

/** Replaces the lineage a Superset connection contributed (one transaction: readers see the old or the new). */
export async function replaceSupersetLineage(
  db: Kysely<Database>,
  workspaceId: string,
  connectionId: string,
  edges: SupersetLineageEdge[],
): Promise<void> {
  const unique = new Map(
    edges.map((e) => [`${e.source_table}|${e.source_column}|${e.target_table}|${e.target_column}`, e]),
  )
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('catalog_lineage_edges')
      .where('workspace_id', '=', workspaceId)
      .where('producer_kind', '=', 'superset')
      .where('producer_id', '=', connectionId)
      .execute()
    const rows = [...unique.values()].map((e) => ({
      workspace_id: workspaceId,
      ...e,
      producer_kind: 'superset' as const,
      producer_id: connectionId,
      producer_version: null,
      updated_at: new Date(),
    }))
    for (let i = 0; i < rows.length; i += 1_000)
      await trx
        .insertInto('catalog_lineage_edges')
        .values(rows.slice(i, i + 1_000))
        .execute()
  })
}
