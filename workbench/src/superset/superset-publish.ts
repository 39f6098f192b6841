import { catalogDb } from '../catalog/catalog-db.ts'
import type { SupersetClient } from '../connections/types/superset/client.ts'
import { parseSqlalchemyUri } from '../connections/types/superset/objects.ts'
import { AppError } from '../http/errors.ts'
import { matchTarget, sqlTargets } from './superset-lineage.ts'
import { type SupersetService, supersetCall } from './superset-service.ts'

export interface PublishInput {
  /** The workbench connection (name or id) whose table is published; Superset reaches the same database. */
  connection: string
  schema: string
  table: string
  /** Name of the Superset database entry when one has to be created (default: the connection's name). */
  databaseName?: string
  /**
   * The database password Superset connects with, when a database entry has to be created: a stored secret is
   * never sent to another system without being given again.
   */
  databasePassword?: string
}

export interface PublishResult {
  databaseId: number
  databaseCreated: boolean
  datasetId: number
  datasetCreated: boolean
  /** Columns whose verbose name or description came from the catalog. */
  described: string[]
}

/** Fields of a dataset column Superset's `PUT /api/v1/dataset/{pk}` accepts (DatasetColumnsPutSchema). */
const COLUMN_PUT_FIELDS = [
  'id',
  'column_name',
  'type',
  'advanced_data_type',
  'verbose_name',
  'description',
  'expression',
  'extra',
  'filterable',
  'groupby',
  'is_active',
  'is_dttm',
  'python_date_format',
  'uuid',
] as const

/**
 * Publishes a workbench table as a Superset dataset: finds the Superset database pointing at the same server (or
 * creates it), creates the dataset (or refreshes its columns), and writes the catalog's table and column
 * descriptions with readable column names into it. Idempotent: publishing again updates the same dataset.
 */
export async function publishTable(
  service: SupersetService,
  workspaceId: string,
  supersetConnection: string,
  input: PublishInput,
  userId: string | null,
): Promise<PublishResult> {
  const { handle, id: supersetId, name: supersetName } = await service.handle(workspaceId, supersetConnection)
  const connections = service.deps.connections()
  if (!connections) throw new AppError(503, 'connections_unavailable', 'Connections are not available yet')
  const source = (await connections.list(workspaceId)).find(
    (c) => c.id === input.connection || c.name === input.connection,
  )
  if (!source) throw new AppError(404, 'connection_not_found', `No connection ${input.connection} in this workspace`)
  if (source.type !== 'postgres')
    throw new AppError(
      400,
      'publish_unsupported',
      `Only PostgreSQL tables can be published (${source.name} is ${source.type})`,
    )
  const client = handle.client
  return supersetCall(async () => {
    const targets = (await sqlTargets(service.db, workspaceId)).filter((t) => t.connectionId === source.id)
    const databases = await client.list<{ id: number; database_name: string }>('database', {
      columns: ['id', 'database_name'],
    })
    let databaseId: number | undefined
    for (const d of databases) {
      const conn = await client
        .get<{ result: { sqlalchemy_uri?: string } }>(`/api/v1/database/${d.id}/connection`)
        .catch(() => undefined)
      if (matchTarget(parseSqlalchemyUri(conn?.result.sqlalchemy_uri), targets)) {
        databaseId = d.id
        break
      }
    }
    const databaseCreated = databaseId === undefined
    if (databaseId === undefined) {
      const p = source.params as { host: string; port: number; database: string; user: string; sslMode?: string }
      const password = input.databasePassword ? `:${encodeURIComponent(input.databasePassword)}` : ''
      const ssl = p.sslMode && p.sslMode !== 'disable' ? `?sslmode=${p.sslMode}` : ''
      const created = await client.post<{ id: number }>('/api/v1/database/', {
        database_name: input.databaseName ?? source.name,
        sqlalchemy_uri: `postgresql+psycopg2://${encodeURIComponent(p.user)}${password}@${p.host}:${p.port}/${encodeURIComponent(p.database)}${ssl}`,
        expose_in_sqllab: true,
      })
      databaseId = created.id
    }
    const found = await client.list<{ id: number; database: { id: number } }>('dataset', {
      columns: ['id', 'database.id'],
      filters: [
        { col: 'table_name', opr: 'eq', value: input.table },
        { col: 'schema', opr: 'eq', value: input.schema },
      ],
    })
    let datasetId = found.find((d) => d.database.id === databaseId)?.id
    const datasetCreated = datasetId === undefined
    if (datasetId === undefined) {
      const created = await client.post<{ id: number }>('/api/v1/dataset/', {
        database: databaseId,
        schema: input.schema,
        table_name: input.table,
      })
      datasetId = created.id
    } else {
      await client.put(`/api/v1/dataset/${datasetId}/refresh`)
    }
    const described = await describeFromCatalog(service, workspaceId, source.id, input, client, datasetId)
    await service.db
      .insertInto('superset_datasets')
      .values({
        workspace_id: workspaceId,
        connection_id: supersetId,
        dataset_id: datasetId,
        database_id: databaseId,
        table_key: `${input.schema}.${input.table}`.toLowerCase(),
        source_connection_id: source.id,
        published_at: new Date(),
      })
      .onConflict((oc) =>
        oc.columns(['connection_id', 'dataset_id']).doUpdateSet({ published_at: new Date(), gone_at: null }),
      )
      .execute()
    await service.sync(workspaceId, supersetId, userId)
    await service.markDataset(
      workspaceId,
      supersetId,
      handle.prefix,
      { id: datasetId, tableName: input.table },
      {
        syncedAt: new Date(),
      },
    )
    void supersetName
    return { databaseId, databaseCreated, datasetId, datasetCreated, described }
  })
}

/** Column descriptions from the catalog, and a readable verbose name from each column's name. */
async function describeFromCatalog(
  service: SupersetService,
  workspaceId: string,
  sourceConnectionId: string,
  input: PublishInput,
  client: SupersetClient,
  datasetId: number,
): Promise<string[]> {
  const cdb = catalogDb(service.db)
  const asset = await cdb
    .selectFrom('catalog_assets as a')
    .innerJoin('catalog_sources as s', 's.id', 'a.source_id')
    .select(['a.id', 'a.description', 'a.source_comment'])
    .where('a.workspace_id', '=', workspaceId)
    .where('s.connection_id', '=', sourceConnectionId)
    .where('a.schema_name', '=', input.schema)
    .where('a.name', '=', input.table)
    .executeTakeFirst()
  const catalogColumns = asset
    ? await cdb.selectFrom('catalog_columns').selectAll().where('asset_id', '=', asset.id).execute()
    : []
  const byName = new Map(catalogColumns.map((c) => [c.name, c]))
  const { result } = await client.get<{ result: { columns: Record<string, unknown>[] } }>(
    `/api/v1/dataset/${datasetId}`,
  )
  const described: string[] = []
  const columns = result.columns.map((c) => {
    const out: Record<string, unknown> = {}
    for (const f of COLUMN_PUT_FIELDS) if (c[f] !== undefined && c[f] !== null) out[f] = c[f]
    const name = String(c.column_name)
    const fromCatalog = byName.get(name)
    const description = fromCatalog?.description ?? fromCatalog?.source_comment
    if (description) {
      out.description = description
      described.push(name)
    }
    if (!c.verbose_name) out.verbose_name = verboseName(name)
    return out
  })
  const description = asset?.description ?? asset?.source_comment
  await client.put(`/api/v1/dataset/${datasetId}`, { columns, ...(description ? { description } : {}) })
  return described
}

/** `ordered_at` → `Ordered at`: what a chart's axis shows. */
export function verboseName(column: string): string {
  const words = column.replace(/[_\s]+/g, ' ').trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}
