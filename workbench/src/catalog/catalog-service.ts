import {
  type AssetWithColumns,
  type DiscoveryResult,
  type DiscoverySource,
  detectPersonalData,
  discover,
  duckdbSource,
  ensureSource,
  type LineageProducer,
  loadAssetColumns,
  type ParseSql,
  planResultMasking,
  type ResultMaskPlan,
  recordLineage,
  SearchIndexes,
} from '@workbench/catalog'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Database } from '../db/schema.ts'
import { AppError } from '../http/errors.ts'
import type { WorkspaceDuckdb } from '../kernels/workspace-databases.ts'
import { type ColumnTags, planAssetMasking } from './asset-masking.ts'
import { catalogDb } from './catalog-db.ts'
import { isInternalTable, listWorkspaceTables, type WorkspaceTable } from './workspace-tables.ts'

/** Resolves a connection into a catalog source (the connections service in the running workbench). */
/** `signal`: a statement of the source is cancelled on the connection's server when it aborts. */
export type ConnectionSources = (
  workspaceId: string,
  connectionId: string,
  options?: { signal?: AbortSignal },
) => Promise<DiscoverySource | undefined>

export interface CatalogServiceDeps {
  db: Kysely<Database>
  logger: Logger
  /** Parses SQL for lineage (`json_serialize_sql` on any DuckDB, e.g. the scratch database). */
  parse: ParseSql
  workspaceDuckdb?: WorkspaceDuckdb
  connectionSources?: ConnectionSources
  /** Statement timeout of the catalog's own SQL on the workspace DuckDB (discovery, preview, profile). */
  statementTimeoutMs?: number
}

/** How refreshing one source went: its discovery result, or why it could not start. */
export type SourceRefresh =
  | { source: string; result: DiscoveryResult; error?: undefined }
  | { source: string; result?: undefined; error: string }

/** Name of the source every workspace has: its own DuckDB database. */
export const WORKSPACE_DUCKDB_SOURCE = 'Workspace DuckDB'

/**
 * Tables classified after one discovery run (new tables, tables back, tables with new or retyped columns): each
 * costs a sample read on the source, so a run that brings thousands of tables classifies the first ones and the
 * rest wait for "Detect personal data" or a later change.
 */
export const MAX_DETECTIONS_PER_RUN = 100

/**
 * The catalog inside the workbench: resolves sources, runs discovery in the background (one run per source at a
 * time) and records lineage. The catalog package does the work; this class owns wiring and concurrency.
 */
export class CatalogService {
  readonly db
  /** The whole metadata DB (names of notebooks and pipelines for usage, connections for sources). */
  readonly metadata: Kysely<Database>
  /** This process's in-memory search indexes (kept in step with the metadata DB, which other servers share). */
  readonly search: SearchIndexes
  readonly #deps: CatalogServiceDeps
  readonly #running = new Map<string, Promise<DiscoveryResult>>()
  /** Per workspace: the rediscovery of its DuckDB queued after a write (one at a time, later writes join it). */
  readonly #queued = new Map<string, Promise<void>>()

  constructor(deps: CatalogServiceDeps) {
    this.#deps = deps
    this.db = catalogDb(deps.db)
    this.metadata = deps.db
    this.search = new SearchIndexes(this.db)
  }

  /** Runs left `running` by a process that stopped mid-discovery are failed, so their state is not a lie. */
  async recoverInterruptedRuns(): Promise<number> {
    const rows = await this.db
      .updateTable('catalog_discovery_runs')
      .set({
        status: 'failed',
        finished_at: new Date(),
        errors: JSON.stringify([{ object: '(run)', error: 'interrupted: the server stopped' }]),
      })
      .where('status', '=', 'running')
      .returning('id')
      .execute()
    return rows.length
  }

  /** The user's tables of the workspace DuckDB with their columns, read live (internal tables hidden). */
  async workspaceTables(workspaceId: string, options: { signal?: AbortSignal } = {}): Promise<WorkspaceTable[]> {
    const open = this.#deps.workspaceDuckdb
    if (!open) throw new AppError(503, 'duckdb_unavailable', 'The workspace DuckDB is not available')
    const duckdb = await open(workspaceId)
    return listWorkspaceTables(duckdb, { timeoutMs: this.#deps.statementTimeoutMs ?? 60_000, signal: options.signal })
  }

  /** The workspace's own DuckDB source (created on first use). */
  workspaceSource(workspaceId: string): Promise<string> {
    return ensureSource(this.db, { workspaceId, kind: 'duckdb', name: WORKSPACE_DUCKDB_SOURCE })
  }

  /**
   * Catalogues a connection of the workspace and starts its first discovery at once (the answer carries its run
   * id, or null when the connection cannot be read now: the hourly run and the button try again). A connection
   * is catalogued once, under one name.
   */
  async addConnectionSource(
    workspaceId: string,
    input: { name: string; connectionId: string },
    userId: string | null,
  ): Promise<{ id: string; runId: string | null }> {
    const connection = await this.#deps.db
      .selectFrom('connections')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', input.connectionId)
      .executeTakeFirst()
    if (!connection)
      throw new AppError(404, 'connection_not_found', `No connection with id ${input.connectionId} in this workspace`)
    const existing = await this.db
      .selectFrom('catalog_sources')
      .select(['name', 'connection_id'])
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([eb('name', '=', input.name), eb('connection_id', '=', input.connectionId)]))
      .executeTakeFirst()
    if (existing)
      throw new AppError(
        409,
        'catalog_source_exists',
        existing.name === input.name
          ? `A source named ${input.name} already exists`
          : `This connection is already catalogued as ${existing.name}`,
      )
    const id = await ensureSource(this.db, { workspaceId, kind: 'connection', ...input })
    try {
      const { runId } = await this.#start(workspaceId, id, userId)
      return { id, runId }
    } catch (err) {
      this.#deps.logger.warn({ err, workspaceId, sourceId: id }, 'first discovery of a new source could not start')
      return { id, runId: null }
    }
  }

  /**
   * A readable source for a catalog source row; 503/404 when it cannot be reached. With `signal` (a request's
   * `c.req.raw.signal`), a statement on the workspace DuckDB is interrupted when the client leaves.
   */
  async source(
    workspaceId: string,
    sourceId: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<DiscoverySource> {
    const row = await this.db
      .selectFrom('catalog_sources')
      .selectAll()
      .where('id', '=', sourceId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst()
    if (!row) throw new AppError(404, 'catalog_source_not_found', `No catalog source with id ${sourceId}`)
    if (row.kind === 'duckdb' && !row.connection_id) {
      const open = this.#deps.workspaceDuckdb
      if (!open) throw new AppError(503, 'duckdb_unavailable', 'The workspace DuckDB is not available')
      const duckdb = await open(workspaceId)
      const timeoutMs = this.#deps.statementTimeoutMs ?? 60_000
      const { signal } = options
      return duckdbSource((sql, o) => duckdb.query(sql, { ...o, timeoutMs, signal }), { exclude: isInternalTable })
    }
    const resolved = row.connection_id
      ? await this.#deps.connectionSources?.(workspaceId, row.connection_id, options)
      : undefined
    if (!resolved)
      throw new AppError(503, 'catalog_source_unavailable', `The source ${row.name} cannot be reached from the catalog`)
    return resolved
  }

  /**
   * Starts discovery of a source in the background and returns the run id at once (poll the run for progress).
   * A source already being discovered returns the running run's id.
   */
  async startDiscovery(workspaceId: string, sourceId: string, userId: string | null): Promise<{ runId: string }> {
    const { runId } = await this.#start(workspaceId, sourceId, userId)
    return { runId }
  }

  /** Starts (or joins) the discovery of a source: its run id once recorded, and its result when done. */
  async #start(
    workspaceId: string,
    sourceId: string,
    userId: string | null,
  ): Promise<{ runId: string; done: Promise<DiscoveryResult> }> {
    const source = await this.source(workspaceId, sourceId)
    const running = await this.db
      .selectFrom('catalog_discovery_runs')
      .select('id')
      .where('source_id', '=', sourceId)
      .where('status', '=', 'running')
      .executeTakeFirst()
    const joined = this.#running.get(sourceId)
    if (running && joined) return { runId: running.id, done: joined }
    let resolveRun: (id: string) => void = () => {}
    const runId = new Promise<string>((resolve) => {
      resolveRun = resolve
    })
    const work = discover(this.db, {
      workspaceId,
      sourceId,
      source,
      triggeredBy: userId,
      onStart: resolveRun,
    })
      .then(async (result) => {
        this.#deps.logger.info(
          { workspaceId, sourceId, ...result, errors: result.errors.length },
          'catalog discovery finished',
        )
        await this.#detectChanged(workspaceId, sourceId, result.runId, source)
        return result
      })
      .catch((err: unknown) => {
        this.#deps.logger.error({ err, workspaceId, sourceId }, 'catalog discovery crashed')
        throw err
      })
      .finally(() => this.#running.delete(sourceId))
    this.#running.set(sourceId, work)
    return { runId: await Promise.race([runId, work.then((r) => r.runId)]), done: work }
  }

  /**
   * Discovers the named sources of a workspace (all of them, the workspace DuckDB included, when `names` is
   * omitted) one after another and waits for each run; a source already being discovered is waited for, not
   * started twice. Unknown names are refused before anything runs.
   */
  async refresh(
    workspaceId: string,
    names: readonly string[] | undefined,
    onSource?: (name: string, runId: string) => void,
  ): Promise<SourceRefresh[]> {
    if (this.#deps.workspaceDuckdb) await this.workspaceSource(workspaceId)
    const sources = await this.db
      .selectFrom('catalog_sources')
      .select(['id', 'name'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('name')
      .execute()
    const unknown = (names ?? []).filter((n) => !sources.some((s) => s.name === n))
    if (unknown.length > 0)
      throw new AppError(
        404,
        'catalog_source_not_found',
        `No catalog source named ${unknown.join(', ')} (sources: ${sources.map((s) => s.name).join(', ') || 'none'})`,
      )
    const chosen = names ? sources.filter((s) => names.includes(s.name)) : sources
    const results: SourceRefresh[] = []
    for (const s of chosen) {
      try {
        const { runId, done } = await this.#start(workspaceId, s.id, null)
        onSource?.(s.name, runId)
        results.push({ source: s.name, result: await done })
      } catch (err) {
        // A source that cannot be read (unreachable connection...) is reported; the others still run.
        results.push({ source: s.name, error: err instanceof Error ? err.message : String(err) })
      }
    }
    return results
  }

  /** Discovers every source of every workspace (the scheduler's tick); sources that fail are logged. */
  async discoverEverything(): Promise<void> {
    const workspaces = await this.#deps.db
      .selectFrom('workspaces')
      .select('id')
      .where('deleted_at', 'is', null)
      .execute()
    for (const ws of workspaces) {
      if (this.#deps.workspaceDuckdb) await this.workspaceSource(ws.id)
      const sources = await this.db
        .selectFrom('catalog_sources')
        .select('id')
        .where('workspace_id', '=', ws.id)
        .execute()
      for (const s of sources) {
        try {
          await this.startDiscovery(ws.id, s.id, null)
          await this.#running.get(s.id)
        } catch (err) {
          this.#deps.logger.warn({ err, workspaceId: ws.id, sourceId: s.id }, 'scheduled catalog discovery skipped')
        }
      }
    }
  }

  /**
   * Classification on discovery: the tables (not views) this run added or whose columns changed are sampled (their
   * first rows) and classified.
   * High-confidence findings (emails, IBANs, card numbers) are masked at once, pending review; the others are
   * proposals. A table that cannot be sampled is logged and skipped; the run's result is not affected.
   */
  async #detectChanged(workspaceId: string, sourceId: string, runId: string, source: DiscoverySource) {
    const run = await this.db
      .selectFrom('catalog_discovery_runs')
      .select('started_at')
      .where('id', '=', runId)
      .executeTakeFirst()
    if (!run || !source.runSql) return
    const changed = await this.db
      .selectFrom('catalog_schema_history as h')
      .innerJoin('catalog_assets as a', 'a.id', 'h.asset_id')
      .select('h.asset_id')
      .distinct()
      .where('a.source_id', '=', sourceId)
      .where('a.gone_at', 'is', null)
      // Sampling a view computes it (a view over a huge join can run for minutes): views wait for the button.
      .where('a.kind', '=', 'table')
      .where('h.at', '>=', run.started_at)
      .where('h.change', 'in', ['asset_added', 'asset_back', 'column_added', 'column_changed'])
      .orderBy('h.asset_id')
      .limit(MAX_DETECTIONS_PER_RUN)
      .execute()
    for (const { asset_id } of changed) {
      try {
        const asset = await loadAssetColumns(this.db, workspaceId, asset_id)
        // The first rows, not a random sample: a random sample scans and sorts the whole table on most engines.
        if (asset) await detectPersonalData(this.db, asset, source, { mode: 'first' })
      } catch (err) {
        this.#deps.logger.warn({ err, workspaceId, assetId: asset_id }, 'personal data detection skipped')
      }
    }
  }

  /**
   * A notebook, an import or a pipeline wrote tables of the workspace DuckDB: rediscover it now (new tables are
   * searchable and classified without waiting for the hourly run). Writes during a run queue one more run after
   * it, as that run may have read the database before them; writes while one is queued join it.
   */
  tablesChanged(workspaceId: string): Promise<void> {
    const queued = this.#queued.get(workspaceId)
    if (queued) return queued
    if (!this.#deps.workspaceDuckdb) return Promise.resolve()
    let next: Promise<void> | undefined
    const rediscover = async () => {
      const sourceId = await this.workspaceSource(workspaceId)
      await this.#running.get(sourceId)?.catch(() => {})
      // From here on the run reads the database after the write: a later write queues its own run.
      if (this.#queued.get(workspaceId) === next) this.#queued.delete(workspaceId)
      const { done } = await this.#start(workspaceId, sourceId, null)
      await done
    }
    next = rediscover()
      .catch((err: unknown) => this.#deps.logger.warn({ err, workspaceId }, 'catalog rediscovery after a write failed'))
      .finally(() => {
        if (this.#queued.get(workspaceId) === next) this.#queued.delete(workspaceId)
      })
    this.#queued.set(workspaceId, next)
    return next
  }

  /** Waits for every discovery in progress or queued (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0 || this.#queued.size > 0)
      await Promise.allSettled([...this.#running.values(), ...this.#queued.values()])
  }

  /**
   * Which columns of an asset are masked, by the rule SQL results follow (see `planAssetMasking`); if planning
   * fails, every column is masked.
   */
  async assetMasking(
    asset: Pick<AssetWithColumns, 'workspaceId' | 'sourceId' | 'schema' | 'name'>,
  ): Promise<ColumnTags> {
    try {
      return await planAssetMasking(this.db, this.#deps.parse, asset)
    } catch (err) {
      this.#deps.logger.warn(
        { err, asset: `${asset.schema}.${asset.name}` },
        'asset masking could not be planned: masking everything',
      )
      return (columns) => columns.map(() => ['sensitive'])
    }
  }

  /** The lineage ingestion entry point for notebook executions and pipeline runs (never throws on bad SQL). */
  recordLineage(input: { workspaceId: string; sql: string; producer: LineageProducer }) {
    return recordLineage(this.db, this.#deps.parse, input)
  }

  /**
   * Which result columns of SQL run on `connection` ('duckdb' = the workspace database, else a connection id)
   * derive from PII-tagged columns of that source's catalogued tables. A connection that is not a catalog source
   * has no tags, so nothing is masked.
   */
  async planResultMasking(input: { workspaceId: string; connection: string; sql: string }): Promise<ResultMaskPlan> {
    const { workspaceId, connection } = input
    const sources = await this.db
      .selectFrom('catalog_sources')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where((eb) =>
        connection === 'duckdb'
          ? eb.and([eb('connection_id', 'is', null), eb('kind', '=', 'duckdb')])
          : eb('connection_id', '=', connection),
      )
      .execute()
    // A connection's default schema depends on its engine and login: unqualified names match any schema there.
    const defaultSchema = connection === 'duckdb' ? 'main' : undefined
    return planResultMasking(this.db, this.#deps.parse, {
      workspaceId,
      sourceIds: sources.map((s) => s.id),
      sql: input.sql,
      defaultSchema,
      // Recorded lineage names the workspace DuckDB's tables (cells on connections are not recorded).
      followLineage: connection === 'duckdb',
    })
  }
}

/**
 * Runs `discoverEverything` every `intervalMs` (0 disables it); a tick is skipped while the previous one runs.
 * Returns a stop function.
 */
export function scheduleDiscovery(service: CatalogService, intervalMs: number, logger: Logger): () => Promise<void> {
  if (intervalMs <= 0) return async () => {}
  let current: Promise<void> | undefined
  const timer = setInterval(() => {
    if (current) return
    current = service
      .discoverEverything()
      .catch((err: unknown) => logger.error({ err }, 'scheduled catalog discovery failed'))
      .finally(() => {
        current = undefined
      })
  }, intervalMs)
  timer.unref()
  return async () => {
    clearInterval(timer)
    await current
    await service.idle()
  }
}
