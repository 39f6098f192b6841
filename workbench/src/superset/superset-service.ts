import { type DiscoveryResult, discover, ensureSource } from '@workbench/catalog'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { catalogDb } from '../catalog/catalog-db.ts'
import type { ConnectionService } from '../connections/connection-service.ts'
import { DESTINATION_NOT_ALLOWED } from '../connections/network-guard.ts'
import { SupersetError } from '../connections/types/superset/client.ts'
import {
  catalogItems,
  catalogNames,
  readSnapshot,
  type SupersetSnapshot,
} from '../connections/types/superset/objects.ts'
import { SupersetHandle } from '../connections/types/superset.ts'
import type { Database } from '../db/schema.ts'
import { AppError } from '../http/errors.ts'
import { replaceSupersetLineage, sqlTargets, supersetLineage } from './superset-lineage.ts'

export interface SupersetServiceDeps {
  db: Kysely<Database>
  connections: () => ConnectionService | undefined
  logger: Logger
}

export interface SyncResult {
  sourceId: string
  discovery: Pick<DiscoveryResult, 'runId' | 'status' | 'seen' | 'added' | 'changed' | 'gone' | 'failed' | 'errors'>
  counts: { databases: number; datasets: number; charts: number; dashboards: number }
  lineageEdges: number
  /** Datasets matched to a workbench table (id → `schema.table`). */
  matched: { datasetId: number; table: string }[]
}

/**
 * Superset for a workspace: syncs a Superset's objects into the catalog with their lineage, publishes workbench
 * tables as datasets and refreshes datasets (see `superset-publish.ts`, `superset-refresh.ts`). Every call reaches
 * Superset through the connection's client, which goes through the outbound policy.
 */
export class SupersetService {
  constructor(readonly deps: SupersetServiceDeps) {}

  get db(): Kysely<Database> {
    return this.deps.db
  }

  /** The connection's live handle; 400 `not_a_superset_connection` for another type. */
  async handle(
    workspaceId: string,
    connectionIdOrName: string,
  ): Promise<{ handle: SupersetHandle; id: string; name: string }> {
    const connections = this.deps.connections()
    if (!connections) throw new AppError(503, 'connections_unavailable', 'Connections are not available yet')
    const match = (await connections.list(workspaceId)).find(
      (c) => c.id === connectionIdOrName || c.name === connectionIdOrName,
    )
    if (!match) throw new AppError(404, 'connection_not_found', `No connection ${connectionIdOrName} in this workspace`)
    if (match.type !== 'superset')
      throw new AppError(
        400,
        'not_a_superset_connection',
        `The connection ${match.name} is a ${match.type} connection, not Superset`,
      )
    const handle = await connections.openHandle(workspaceId, match.id)
    if (!(handle instanceof SupersetHandle)) throw new AppError(500, 'internal_error', 'Superset handle expected')
    return { handle, id: match.id, name: match.name }
  }

  /**
   * Reads the Superset once and catalogues it: its objects become assets of the connection's catalog source
   * (objects no longer there are marked gone), and its lineage replaces what the previous sync recorded.
   */
  async sync(workspaceId: string, connectionIdOrName: string, userId: string | null): Promise<SyncResult> {
    const { handle, id, name } = await this.handle(workspaceId, connectionIdOrName)
    const snapshot = await supersetCall(() => readSnapshot(handle.client))
    return this.catalogue(workspaceId, id, name, handle.prefix, snapshot, userId)
  }

  /** Writes a snapshot into the catalog and lineage (shared by sync, publish and refresh). */
  async catalogue(
    workspaceId: string,
    connectionId: string,
    connectionName: string,
    prefix: string,
    snapshot: SupersetSnapshot,
    userId: string | null,
  ): Promise<SyncResult> {
    const cdb = catalogDb(this.db)
    const existing = await cdb
      .selectFrom('catalog_sources')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('connection_id', '=', connectionId)
      .executeTakeFirst()
    const sourceId =
      existing?.id ??
      (await ensureSource(cdb, { workspaceId, kind: 'connection', name: `Superset ${connectionName}`, connectionId }))
    const result = await discover(cdb, {
      workspaceId,
      sourceId,
      triggeredBy: userId,
      source: {
        kind: 'superset',
        dialect: 'postgres',
        introspect: async function* () {
          yield* catalogItems(snapshot, prefix)
          for (const e of snapshot.errors) yield { schema: prefix, name: e.object, error: e.error }
        },
      },
    })
    const targets = await sqlTargets(this.db, workspaceId)
    const { edges, datasetTables } = supersetLineage(snapshot, prefix, targets)
    await replaceSupersetLineage(this.db, workspaceId, connectionId, edges)
    const names = catalogNames(prefix)
    for (const d of snapshot.datasets) {
      const table = datasetTables.get(d.id)
      await this.db
        .insertInto('superset_datasets')
        .values({
          workspace_id: workspaceId,
          connection_id: connectionId,
          dataset_id: d.id,
          database_id: d.databaseId,
          table_key: table?.key ?? null,
          source_connection_id: table?.connectionId ?? null,
          columns: JSON.stringify(d.columns.map((c) => ({ name: c.column_name, type: c.type }))),
          gone_at: null,
        })
        .onConflict((oc) =>
          oc.columns(['connection_id', 'dataset_id']).doUpdateSet((eb) => ({
            database_id: eb.ref('excluded.database_id'),
            table_key: eb.ref('excluded.table_key'),
            source_connection_id: eb.ref('excluded.source_connection_id'),
            columns: eb.ref('excluded.columns'),
            gone_at: null,
          })),
        )
        .execute()
      void names
    }
    // Datasets the workbench knew that Superset no longer has.
    const present = snapshot.datasets.map((d) => d.id)
    let gone = this.db
      .updateTable('superset_datasets')
      .set({ gone_at: new Date() })
      .where('connection_id', '=', connectionId)
      .where('gone_at', 'is', null)
    if (present.length > 0) gone = gone.where('dataset_id', 'not in', present)
    if (snapshot.errors.length === 0) await gone.execute()
    this.deps.logger.info({ workspaceId, connectionId, seen: result.seen, edges: edges.length }, 'superset catalogued')
    return {
      sourceId,
      discovery: {
        runId: result.runId,
        status: result.status,
        seen: result.seen,
        added: result.added,
        changed: result.changed,
        gone: result.gone,
        failed: result.failed,
        errors: result.errors,
      },
      counts: {
        databases: snapshot.databases.length,
        datasets: snapshot.datasets.length,
        charts: snapshot.charts.length,
        dashboards: snapshot.dashboards.length,
      },
      lineageEdges: edges.length,
      matched: [...datasetTables.entries()].map(([datasetId, t]) => ({ datasetId, table: t.key })),
    }
  }

  /** Marks a dataset's catalog asset synced now (or gone), by its Superset id. */
  async markDataset(
    workspaceId: string,
    connectionId: string,
    prefix: string,
    dataset: { id: number; tableName: string } | { id: number; tableName?: undefined },
    state: { syncedAt?: Date; goneAt?: Date; result?: unknown },
  ): Promise<void> {
    await this.db
      .updateTable('superset_datasets')
      .set({
        ...(state.syncedAt ? { synced_at: state.syncedAt } : {}),
        ...(state.goneAt ? { gone_at: state.goneAt } : {}),
        ...(state.result !== undefined ? { last_result: JSON.stringify(state.result) } : {}),
      })
      .where('connection_id', '=', connectionId)
      .where('dataset_id', '=', dataset.id)
      .execute()
    const names = catalogNames(prefix)
    const cdb = catalogDb(this.db)
    const source = await cdb
      .selectFrom('catalog_sources')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('connection_id', '=', connectionId)
      .executeTakeFirst()
    if (!source) return
    let assets = cdb
      .updateTable('catalog_assets')
      .set({
        ...(state.syncedAt ? { synced_at: state.syncedAt } : {}),
        ...(state.goneAt ? { gone_at: state.goneAt } : {}),
        updated_at: new Date(),
      })
      .where('source_id', '=', source.id)
      .where('schema_name', '=', names.datasets)
    // A gone dataset is found by its id suffix: its name may have changed since the last sync.
    assets = dataset.tableName
      ? assets.where('name', '=', names.dataset({ id: dataset.id, tableName: dataset.tableName }))
      : assets.where('name', 'like', `% #${dataset.id}`)
    await assets.execute()
  }
}

/** Runs a Superset call, answering its failures as API errors with Superset's message. */
export async function supersetCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw asAppError(err)
  }
}

export function asAppError(err: unknown): unknown {
  if (err instanceof AppError) return err
  if ((err as { code?: string }).code === DESTINATION_NOT_ALLOWED)
    return new AppError(400, DESTINATION_NOT_ALLOWED, (err as Error).message)
  if (err instanceof SupersetError) {
    const status =
      err.status === 404 ? 404 : err.status === 0 ? 502 : err.status === 401 || err.status === 403 ? 502 : 422
    return new AppError(status, err.code, err.message, err.errors === undefined ? undefined : { errors: err.errors })
  }
  return err
}
