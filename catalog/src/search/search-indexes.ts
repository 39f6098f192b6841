import { type Kysely, sql } from 'kysely'
import type { CatalogTables } from '../types.ts'
import { type IndexedAsset, WorkspaceIndex } from './workspace-index.ts'

export interface SearchIndexesOptions {
  /** Assets read per query while loading (bounds one query's time on a single-connection PGlite). */
  pageSize?: number
  /** Share of slots held by replaced asset versions above which the next change reloads the workspace in full. */
  maxWaste?: number
  /** Results kept per workspace for repeated queries (dropped on any change); 0 turns the cache off. */
  resultCache?: number
  /**
   * Workspace indexes kept in memory (about 110 MB per 100k tables); the least recently searched one is dropped
   * beyond it and rebuilt on its next search.
   */
  maxWorkspaces?: number
}

interface Loaded {
  index: WorkspaceIndex
  /** The workspace's search version the index contains every change up to. */
  version: number
  reloadVersion: number
}

interface SearchState {
  version: number
  reloadVersion: number
}

/**
 * The search indexes of one process, one per workspace, kept in step with the metadata DB (the source of truth,
 * shared by every API server). Each search reads the workspace's version row (one point read); when another
 * writer (in this process or another) changed search documents since the index was loaded, the changed assets
 * are read again (`search_version` above the loaded version) and deleted ones dropped. The first
 * search of a workspace builds its index. Concurrent searches share one load.
 *
 * @example
 * const indexes = new SearchIndexes(db)
 * const result = await searchAssets(indexes, { workspaceId, q: 'customer' })
 */
export class SearchIndexes {
  /** Results kept per workspace for repeated queries (dropped on any change of the index); 0 = off. */
  resultCache: number
  readonly #db: Kysely<CatalogTables>
  readonly #pageSize: number
  readonly #maxWaste: number
  readonly #maxWorkspaces: number
  readonly #loaded = new Map<string, Loaded>()
  readonly #loading = new Map<string, Promise<void>>()
  readonly #stateReads = new Map<string, StateReads>()

  constructor(db: Kysely<CatalogTables>, options: SearchIndexesOptions = {}) {
    this.#db = db
    this.#pageSize = options.pageSize ?? 5_000
    this.#maxWaste = options.maxWaste ?? 0.5
    this.resultCache = options.resultCache ?? 256
    this.#maxWorkspaces = Math.max(1, options.maxWorkspaces ?? 32)
  }

  /** Workspaces whose index is in memory, least recently searched first. */
  get loadedWorkspaces(): string[] {
    return [...this.#loaded.keys()]
  }

  /** The workspace's index, up to date with every change committed before the call. */
  async get(workspaceId: string): Promise<WorkspaceIndex> {
    const state = await this.#sharedStateRead(workspaceId)
    for (;;) {
      const loaded = this.#loaded.get(workspaceId)
      if (loaded && loaded.version >= state.version && loaded.reloadVersion >= state.reloadVersion) {
        // Map order is recency order: the entry moves to the end, and eviction takes from the front.
        this.#loaded.delete(workspaceId)
        this.#loaded.set(workspaceId, loaded)
        return loaded.index
      }
      // Single flight: a load in progress may have read an older version than ours, so check again after it.
      const pending = this.#loading.get(workspaceId)
      if (pending) {
        await pending
        continue
      }
      const load = this.#refresh(workspaceId, loaded).finally(() => this.#loading.delete(workspaceId))
      this.#loading.set(workspaceId, load)
      await load
    }
  }

  async #refresh(workspaceId: string, loaded: Loaded | undefined): Promise<void> {
    // Read before the assets: whatever commits meanwhile has a higher version and is read next time.
    const state = await this.#state(workspaceId)
    const full = !loaded || loaded.index.wasteRatio > this.#maxWaste
    const index = full ? new WorkspaceIndex() : loaded.index
    // Deletions leave no row to read: the ids still in the DB say which assets to drop (one narrow scan instead
    // of rebuilding the whole index).
    if (!full && state.reloadVersion > loaded.reloadVersion) {
      const { rows } = await sql<{
        id: string
      }>`SELECT id FROM catalog_assets WHERE workspace_id = ${workspaceId}`.execute(this.#db)
      const present = new Set(rows.map((r) => r.id))
      index.removeWhere((id) => present.has(id))
    }
    await this.#readAssets(workspaceId, index, full ? undefined : loaded.version)
    const sources = await this.#db
      .selectFrom('catalog_sources')
      .select(['id', 'name'])
      .where('workspace_id', '=', workspaceId)
      .execute()
    index.sourceNames = new Map(sources.map((s) => [s.id, s.name]))
    index.flush(full)
    this.#loaded.delete(workspaceId)
    this.#loaded.set(workspaceId, { index, version: state.version, reloadVersion: state.reloadVersion })
    for (const oldest of this.#loaded.keys()) {
      if (this.#loaded.size <= this.#maxWorkspaces) break
      this.#loaded.delete(oldest)
      this.#stateReads.delete(oldest)
    }
  }

  /** Streams the workspace's assets (all, or those changed after `sinceVersion`) into `index`, a page at a time. */
  async #readAssets(workspaceId: string, index: WorkspaceIndex, sinceVersion: number | undefined): Promise<void> {
    let after = ''
    for (;;) {
      const { rows } = await sql<AssetRow>`
        SELECT a.id, a.source_id, a.schema_name, a.name, a.kind, a.description, a.source_comment, a.tags, a.owners,
               a.row_estimate, a.usage_count, a.gone_at IS NOT NULL AS gone,
               (SELECT string_agg(c.name || ' ' || coalesce(c.description, '') || ' ' || coalesce(c.source_comment, ''), ' ')
                FROM catalog_columns c WHERE c.asset_id = a.id) AS column_text
        FROM catalog_assets a
        WHERE a.workspace_id = ${workspaceId} AND a.id > ${after}
          ${sinceVersion === undefined ? sql`` : sql`AND a.search_version > ${sinceVersion}`}
        ORDER BY a.id LIMIT ${this.#pageSize}
      `.execute(this.#db)
      for (const r of rows) index.upsert(toAsset(r))
      // A full load merges once at the end (`#refresh`); an incremental one keeps the recent postings small.
      if (sinceVersion !== undefined) index.flush()
      const last = rows[rows.length - 1]
      if (!last || rows.length < this.#pageSize) return
      after = last.id
    }
  }

  /**
   * The version row, read by a query that STARTED after this call (so a change committed before the call is
   * seen), shared by every caller that arrived while the previous read ran: 20 concurrent searches cost two point
   * reads, not twenty queued on a single-connection PGlite.
   */
  #sharedStateRead(workspaceId: string): Promise<SearchState> {
    let reads = this.#stateReads.get(workspaceId)
    if (!reads) {
      reads = {}
      this.#stateReads.set(workspaceId, reads)
    }
    const r = reads
    if (!r.running) return this.#startStateRead(workspaceId, r)
    r.queued ??= r.running
      .catch(() => undefined)
      .then(() => {
        r.queued = undefined
        return this.#startStateRead(workspaceId, r)
      })
    return r.queued
  }

  #startStateRead(workspaceId: string, reads: StateReads): Promise<SearchState> {
    const read: Promise<SearchState> = this.#state(workspaceId).finally(() => {
      if (reads.running === read) reads.running = undefined
    })
    reads.running = read
    return read
  }

  async #state(workspaceId: string): Promise<SearchState> {
    const row = await this.#db
      .selectFrom('catalog_search_state')
      .select(['version', 'reload_version'])
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst()
    return { version: Number(row?.version ?? 0), reloadVersion: Number(row?.reload_version ?? 0) }
  }
}

/** The version read in flight for a workspace, and the one its late arrivals will share. */
interface StateReads {
  running?: Promise<SearchState>
  queued?: Promise<SearchState>
}

interface AssetRow {
  id: string
  source_id: string
  schema_name: string
  name: string
  kind: 'table' | 'view'
  description: string | null
  source_comment: string | null
  tags: string[]
  owners: string[]
  row_estimate: string | number | null
  usage_count: number
  gone: boolean
  column_text: string | null
}

function toAsset(r: AssetRow): IndexedAsset {
  return {
    id: r.id,
    sourceId: r.source_id,
    schema: r.schema_name,
    name: r.name,
    kind: r.kind,
    description: r.description,
    sourceComment: r.source_comment,
    tags: r.tags,
    owners: r.owners,
    rowEstimate: r.row_estimate === null ? null : Number(r.row_estimate),
    usageCount: r.usage_count,
    gone: r.gone,
    columnText: r.column_text ?? '',
  }
}
