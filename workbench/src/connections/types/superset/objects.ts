import type { IntrospectedTable } from '../../introspection.ts'
import type { SupersetClient } from './client.ts'

export interface SupersetDatabase {
  id: number
  name: string
  backend: string | null
  /** Where the database points (from its SQLAlchemy URI), for matching it with a workbench connection. */
  target: { host: string; port: number | null; database: string } | null
}

export interface SupersetColumn {
  id?: number
  column_name: string
  type: string | null
  is_dttm: boolean | null
  verbose_name: string | null
  description: string | null
  expression?: string | null
}

export interface SupersetDataset {
  id: number
  tableName: string
  schema: string | null
  /** Virtual datasets have their SQL; physical ones null. */
  sql: string | null
  kind: 'physical' | 'virtual'
  databaseId: number
  mainDttmCol: string | null
  columns: SupersetColumn[]
}

export interface SupersetChart {
  id: number
  name: string
  vizType: string | null
  datasetId: number | null
  dashboardIds: number[]
  /** The columns the chart uses as its time axis (`granularity_sqla`, a string `x_axis`). */
  timeColumns: string[]
}

export interface SupersetDashboard {
  id: number
  title: string
}

/** What a Superset holds, read in one pass: the catalog and lineage are built from it. */
export interface SupersetSnapshot {
  databases: SupersetDatabase[]
  datasets: SupersetDataset[]
  charts: SupersetChart[]
  dashboards: SupersetDashboard[]
  /** Objects that could not be read (the rest of the snapshot stands). */
  errors: { object: string; error: string }[]
}

/** Reads databases, datasets (with their columns), charts and dashboards through the list and show endpoints. */
export async function readSnapshot(client: SupersetClient): Promise<SupersetSnapshot> {
  const errors: SupersetSnapshot['errors'] = []
  const dbRows = await client.list<{ id: number; database_name: string; backend?: string }>('database', {
    columns: ['id', 'database_name', 'backend'],
  })
  const databases: SupersetDatabase[] = []
  for (const row of dbRows) {
    const connection = await client
      .get<{ result: { sqlalchemy_uri?: string } }>(`/api/v1/database/${row.id}/connection`)
      .catch((err: Error) => {
        errors.push({ object: `database ${row.id}`, error: err.message })
        return undefined
      })
    databases.push({
      id: row.id,
      name: row.database_name,
      backend: row.backend ?? null,
      target: parseSqlalchemyUri(connection?.result.sqlalchemy_uri),
    })
  }
  const dsRows = await client.list<{ id: number }>('dataset', { columns: ['id'] })
  const datasets: SupersetDataset[] = []
  for (const row of dsRows) {
    try {
      datasets.push(await readDataset(client, row.id))
    } catch (err) {
      errors.push({ object: `dataset ${row.id}`, error: (err as Error).message })
    }
  }
  const chartRows = await client.list<ChartRow>('chart', {
    columns: ['id', 'slice_name', 'viz_type', 'datasource_id', 'datasource_type', 'params', 'dashboards.id'],
  })
  const charts = chartRows.map(chartOf)
  const dashRows = await client.list<{ id: number; dashboard_title: string }>('dashboard', {
    columns: ['id', 'dashboard_title'],
  })
  const dashboards = dashRows.map((d) => ({ id: d.id, title: d.dashboard_title }))
  return { databases, datasets, charts, dashboards, errors }
}

interface ChartRow {
  id: number
  slice_name: string
  viz_type: string | null
  datasource_id: number | null
  datasource_type: string | null
  params: string | null
  dashboards?: { id: number }[]
}

function chartOf(row: ChartRow): SupersetChart {
  return {
    id: row.id,
    name: row.slice_name,
    vizType: row.viz_type,
    datasetId: row.datasource_type === 'table' ? row.datasource_id : null,
    dashboardIds: (row.dashboards ?? []).map((d) => d.id),
    timeColumns: timeColumnsOf(row.params),
  }
}

/** The columns a chart filters or groups by time: legacy `granularity_sqla`, and `x_axis` when it names a column. */
export function timeColumnsOf(params: string | null | undefined): string[] {
  if (!params) return []
  let p: Record<string, unknown>
  try {
    p = JSON.parse(params) as Record<string, unknown>
  } catch {
    return []
  }
  const found = new Set<string>()
  if (typeof p.granularity_sqla === 'string' && p.granularity_sqla) found.add(p.granularity_sqla)
  if (typeof p.x_axis === 'string' && p.x_axis) found.add(p.x_axis)
  return [...found]
}

/** One dataset with its columns (`GET /api/v1/dataset/{pk}`). */
export async function readDataset(client: SupersetClient, id: number): Promise<SupersetDataset> {
  const { result: r } = await client.get<{ result: DatasetShow }>(`/api/v1/dataset/${id}`)
  return {
    id: r.id,
    tableName: r.table_name,
    schema: r.schema ?? null,
    sql: r.sql ?? null,
    kind: r.sql?.trim() ? 'virtual' : 'physical',
    databaseId: r.database.id,
    mainDttmCol: r.main_dttm_col ?? null,
    columns: (r.columns ?? []).map((c) => ({
      id: c.id,
      column_name: c.column_name,
      type: c.type ?? null,
      is_dttm: c.is_dttm ?? null,
      verbose_name: c.verbose_name ?? null,
      description: c.description ?? null,
      expression: c.expression ?? null,
    })),
  }
}

interface DatasetShow {
  id: number
  table_name: string
  schema?: string | null
  sql?: string | null
  main_dttm_col?: string | null
  database: { id: number }
  columns?: (SupersetColumn & { id: number })[]
}

/** `dialect+driver://user:pass@host:port/database?…` → host, port, database (nothing else is kept). */
export function parseSqlalchemyUri(uri: string | undefined): SupersetDatabase['target'] {
  if (!uri) return null
  const m = /^[a-z0-9+_-]+:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/?#]+)(?::(\d+))?\/([^?#]*)/i.exec(uri)
  if (!m) return null
  return {
    host: (m[1] ?? '').replace(/^\[|\]$/g, '').toLowerCase(),
    port: m[2] ? Number(m[2]) : null,
    database: decodeURIComponent(m[3] ?? ''),
  }
}

/** How Superset objects are named in the catalog: one schema per kind under the connection's prefix. */
export function catalogNames(prefix: string) {
  return {
    datasets: `${prefix}.datasets`,
    charts: `${prefix}.charts`,
    dashboards: `${prefix}.dashboards`,
    databases: `${prefix}.databases`,
    dataset: (d: { id: number; tableName: string }) => `${d.tableName} #${d.id}`,
    chart: (c: { id: number; name: string }) => `${c.name} #${c.id}`,
    dashboard: (d: { id: number; title: string }) => `${d.title} #${d.id}`,
    database: (d: { id: number; name: string }) => `${d.name} #${d.id}`,
  }
}

/**
 * The snapshot as catalog objects: datasets with their columns (physical as tables, virtual as views), charts and
 * dashboards as views without columns, databases as tables without columns. Comments say what each is.
 */
export function* catalogItems(snapshot: SupersetSnapshot, prefix: string): Generator<IntrospectedTable> {
  const names = catalogNames(prefix)
  const dbName = new Map(snapshot.databases.map((d) => [d.id, d.name]))
  for (const d of snapshot.databases)
    yield {
      schema: names.databases,
      name: names.database(d),
      kind: 'table',
      comment: `Superset database ${d.name} (${d.backend ?? 'unknown backend'})`,
      rowEstimate: null,
      columns: [],
    }
  for (const d of snapshot.datasets)
    yield {
      schema: names.datasets,
      name: names.dataset(d),
      kind: d.kind === 'virtual' ? 'view' : 'table',
      comment: `Superset ${d.kind} dataset ${d.schema ? `${d.schema}.` : ''}${d.tableName} on ${dbName.get(d.databaseId) ?? `database ${d.databaseId}`}`,
      rowEstimate: null,
      columns: d.columns.map((c, i) => ({
        name: c.column_name,
        type: c.type ?? 'unknown',
        nullable: true,
        comment: c.description ?? c.verbose_name ?? null,
        ordinal: i + 1,
      })),
    }
  for (const c of snapshot.charts)
    yield {
      schema: names.charts,
      name: names.chart(c),
      kind: 'view',
      comment: `Superset chart ${c.name} (${c.vizType ?? 'chart'})`,
      rowEstimate: null,
      columns: [],
    }
  for (const d of snapshot.dashboards)
    yield {
      schema: names.dashboards,
      name: names.dashboard(d),
      kind: 'view',
      comment: `Superset dashboard ${d.title}`,
      rowEstimate: null,
      columns: [],
    }
}
