import { SupersetError } from '../connections/types/superset/client.ts'
import { readDataset, type SupersetColumn, timeColumnsOf } from '../connections/types/superset/objects.ts'
import type { Database } from '../db/schema.ts'
import { AppError } from '../http/errors.ts'
import type { SupersetService } from './superset-service.ts'

export interface RefreshRequest {
  /** Superset dataset ids. */
  datasets?: number[]
  /** Workbench tables (`schema.table`, optionally `connection:schema.table`): every dataset reading them. */
  tables?: string[]
  /** A type change (or removal) of a column a chart uses as its time column: `warn` (default) or `fail`. */
  onBreaking?: 'warn' | 'fail'
  /** A dataset Superset no longer has: `mark_gone` in the catalog (default) or `fail`. */
  onMissing?: 'mark_gone' | 'fail'
}

export interface ColumnDiff {
  added: { name: string; type: string | null }[]
  removed: { name: string; type: string | null }[]
  changed: { name: string; before: string | null; after: string | null }[]
}

export interface BreakingChange {
  column: string
  change: 'type_changed' | 'removed'
  before: string | null
  after: string | null
  charts: { id: number; name: string }[]
}

export type DatasetRefresh =
  | ({ id: number; name: string; kind: 'physical' | 'virtual'; status: 'refreshed' } & ColumnDiff & {
        breaking: BreakingChange[]
      })
  | { id: number; status: 'gone'; message: string }

export interface RefreshOutput {
  datasets: DatasetRefresh[]
  /** One line per breaking change (also in the run's log). */
  warnings: string[]
}

/** A refresh that found what the step was told to fail on; the output says what happened before it did. */
export class SupersetRefreshFailure extends Error {
  constructor(
    readonly code: 'SupersetBreakingChange' | 'SupersetDatasetGone',
    message: string,
    readonly output: RefreshOutput,
  ) {
    super(message)
    this.name = 'SupersetRefreshFailure'
  }
}

/** Added, removed and retyped columns between two reads of a dataset. */
export function diffColumns(before: SupersetColumn[], after: SupersetColumn[]): ColumnDiff {
  const old = new Map(before.map((c) => [c.column_name, c]))
  const now = new Map(after.map((c) => [c.column_name, c]))
  return {
    added: after.filter((c) => !old.has(c.column_name)).map((c) => ({ name: c.column_name, type: c.type })),
    removed: before.filter((c) => !now.has(c.column_name)).map((c) => ({ name: c.column_name, type: c.type })),
    changed: after
      .filter((c) => old.has(c.column_name) && normType(old.get(c.column_name)?.type) !== normType(c.type))
      .map((c) => ({ name: c.column_name, before: old.get(c.column_name)?.type ?? null, after: c.type })),
  }
}

const normType = (t: string | null | undefined) => (t ?? '').trim().toUpperCase()

/**
 * Refreshes datasets in Superset (`PUT /api/v1/dataset/{pk}/refresh`, after re-saving a virtual dataset's SQL so its
 * columns follow the query), diffs their columns before and after, and flags a type change or removal of a column
 * a chart uses as its time axis. Missing datasets are marked gone in the catalog (or fail the refresh). The
 * catalog and lineage are re-synced afterwards and each refreshed dataset is stamped "last synced".
 */
export async function refreshDatasets(
  service: SupersetService,
  workspaceId: string,
  supersetConnection: string,
  request: RefreshRequest,
  log: (message: string, level?: 'info' | 'warn' | 'error') => void = () => {},
): Promise<RefreshOutput> {
  const { handle, id: connectionId } = await service.handle(workspaceId, supersetConnection)
  const client = handle.client
  const ids = new Set(request.datasets ?? [])
  if (request.tables?.length) {
    let found = await datasetsReading(service, workspaceId, connectionId, request.tables)
    // Datasets created in Superset since the last sync are found after one.
    if (found.length === 0) {
      await service.sync(workspaceId, connectionId, null)
      found = await datasetsReading(service, workspaceId, connectionId, request.tables)
    }
    for (const id of found) ids.add(id)
    if (found.length === 0) log(`no Superset dataset reads ${request.tables.join(', ')}`, 'warn')
  }
  const output: RefreshOutput = { datasets: [], warnings: [] }
  const charts = await client.list<{
    id: number
    slice_name: string
    datasource_id: number | null
    params: string | null
  }>('chart', { columns: ['id', 'slice_name', 'datasource_id', 'datasource_type', 'params'] })
  const refreshed: { id: number; tableName: string }[] = []
  for (const id of [...ids].sort((a, b) => a - b)) {
    let before: Awaited<ReturnType<typeof readDataset>>
    try {
      before = await readDataset(client, id)
    } catch (err) {
      if (err instanceof SupersetError && err.status === 404) {
        const message = `dataset ${id} no longer exists in Superset`
        output.datasets.push({ id, status: 'gone', message })
        log(message, request.onMissing === 'fail' ? 'error' : 'warn')
        await service.markDataset(workspaceId, connectionId, handle.prefix, { id }, { goneAt: new Date() })
        continue
      }
      throw err
    }
    if (before.kind === 'virtual') {
      // Superset only re-reads a virtual dataset's columns when its query is saved again (apache/superset#31569).
      await client.put(`/api/v1/dataset/${id}`, { sql: before.sql })
    }
    await client.put(`/api/v1/dataset/${id}/refresh`)
    const after = await readDataset(client, id)
    const diff = diffColumns(before.columns, after.columns)
    const timeUsers = (column: string) =>
      charts
        .filter((c) => c.datasource_id === id && timeColumnsOf(c.params).includes(column))
        .map((c) => ({ id: c.id, name: c.slice_name }))
    const breaking: BreakingChange[] = []
    for (const c of diff.changed) {
      const users = timeUsers(c.name)
      if (users.length > 0) breaking.push({ column: c.name, change: 'type_changed', ...c, charts: users })
    }
    for (const c of diff.removed) {
      const users = timeUsers(c.name)
      if (users.length > 0)
        breaking.push({ column: c.name, change: 'removed', before: c.type, after: null, charts: users })
    }
    for (const b of breaking) {
      const line = `breaking change in dataset ${after.tableName} (#${id}): time column ${b.column} ${
        b.change === 'removed' ? 'was removed' : `changed type ${b.before} → ${b.after}`
      }; used by ${b.charts.map((c) => `${c.name} (#${c.id})`).join(', ')}`
      output.warnings.push(line)
      log(line, request.onBreaking === 'fail' ? 'error' : 'warn')
    }
    log(
      `dataset ${after.tableName} (#${id}) refreshed: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} retyped`,
    )
    output.datasets.push({ id, name: after.tableName, kind: after.kind, status: 'refreshed', ...diff, breaking })
    refreshed.push({ id, tableName: after.tableName })
  }
  if (refreshed.length > 0 || output.datasets.length > 0) {
    await service.sync(workspaceId, connectionId, null)
    const now = new Date()
    for (const d of refreshed) {
      const result = output.datasets.find((x) => x.id === d.id)
      await service.markDataset(workspaceId, connectionId, handle.prefix, d, { syncedAt: now, result })
    }
    for (const d of output.datasets)
      if (d.status === 'gone')
        await service.markDataset(workspaceId, connectionId, handle.prefix, { id: d.id }, { goneAt: now })
  }
  const gone = output.datasets.filter((d) => d.status === 'gone')
  if (gone.length > 0 && request.onMissing === 'fail')
    throw new SupersetRefreshFailure(
      'SupersetDatasetGone',
      `${gone.length} dataset(s) no longer exist in Superset: ${gone.map((d) => d.id).join(', ')}`,
      output,
    )
  if (output.warnings.length > 0 && request.onBreaking === 'fail')
    throw new SupersetRefreshFailure('SupersetBreakingChange', output.warnings.join('; '), output)
  return output
}

/** Datasets (known from a sync or a publish) reading the given workbench tables. */
async function datasetsReading(
  service: SupersetService,
  workspaceId: string,
  connectionId: string,
  tables: string[],
): Promise<number[]> {
  const db = service.db
  const connections = await db
    .selectFrom('connections')
    .select(['id', 'name'])
    .where('workspace_id', '=', workspaceId)
    .execute()
  const wanted = tables.map((t) => {
    const colon = t.indexOf(':')
    const connection = colon > 0 ? t.slice(0, colon) : undefined
    const table = (colon > 0 ? t.slice(colon + 1) : t).toLowerCase()
    const key = table.includes('.') ? table : `public.${table}`
    const source = connection ? connections.find((c) => c.name === connection || c.id === connection) : undefined
    if (connection && !source) throw new AppError(404, 'connection_not_found', `No connection ${connection}`)
    return { key, sourceId: source?.id }
  })
  const rows = await db
    .selectFrom('superset_datasets')
    .select(['dataset_id', 'table_key', 'source_connection_id'])
    .where('workspace_id', '=', workspaceId)
    .where('connection_id', '=', connectionId)
    .where('gone_at', 'is', null)
    .where(
      'table_key',
      'in',
      wanted.map((w) => w.key),
    )
    .execute()
  return rows
    .filter((r) => wanted.some((w) => w.key === r.table_key && (!w.sourceId || w.sourceId === r.source_connection_id)))
    .map((r) => r.dataset_id)
}

export type { Database }
