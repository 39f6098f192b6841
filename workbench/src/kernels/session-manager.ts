import { randomUUID } from 'node:crypto'
import path from 'node:path'
import {
  type ChartData,
  type ChartRequest,
  ChartRequestError,
  type PageRequest,
  type SqlKernel,
  type TableData,
} from '@workbench/kernels'
import { DuckdbKernel } from '@workbench/kernels/duckdb'
import { JupyterKernel } from '@workbench/kernels/jupyter'
import { NotebookSession } from '@workbench/kernels/session'
import type { Logger } from 'pino'
import { NotFoundError } from '../http/errors.ts'
import { ResultMasks } from './result-masks.ts'
import type { WorkspaceDatabases } from './workspace-databases.ts'
import { workspaceKernel } from './workspace-kernel.ts'

export interface KernelSettings {
  /** DuckDB `memory_limit` of each workspace database. */
  duckdbMemoryLimit: string
  statementTimeoutMs: number
  /** Sessions without a cell for this long are shut down (their kernels freed); 0 disables culling. */
  idleCullMs: number
  /** Output a cell may produce before it is truncated with a notice. */
  maxCellOutputBytes: number
  pageSize: number
}

export const defaultKernelSettings: KernelSettings = {
  duckdbMemoryLimit: '2GB',
  statementTimeoutMs: 5 * 60_000,
  idleCullMs: 60 * 60_000,
  maxCellOutputBytes: 2 * 1024 * 1024,
  pageSize: 1_000,
}

/** Resolves a SQL cell's `metadata.workbench.connection` id to a kernel. */
export type OpenConnectionKernel = (workspaceId: string, connectionId: string) => Promise<SqlKernel>

export interface SessionManagerOptions {
  databases: WorkspaceDatabases
  settings: KernelSettings
  /** The Jupyter Server; undefined while it is still starting. */
  jupyter: () => { baseUrl: string; token: string } | undefined
  /** SQL cells on a workspace connection (PostgreSQL, MySQL…); absent: such cells answer `ConnectionNotFound`. */
  openConnectionKernel?: OpenConnectionKernel
  logger: Logger
}

export interface SessionInfo {
  id: string
  workspaceId: string
  notebookId: string
  createdAt: string
}

/** A live session: its kernels, plus the connection kernels its SQL cells opened. */
export interface SessionEntry extends SessionInfo {
  session: NotebookSession
  /** Kernels of workspace connections used by this notebook, one per connection id. */
  connections: Map<string, Promise<SqlKernel>>
  /** Called when the session is closed (deleted, culled, server stop), e.g. to end its websockets. */
  onClose: Set<() => void>
  /** Masks of kept results whose outputs were masked in the shared document (for paging and export). */
  resultMasks: ResultMasks
}

/**
 * Notebook sessions of every workspace, one per notebook: creates them, finds them (only within their
 * workspace), culls idle ones. SQL runs on the workspace DuckDB ({@link WorkspaceDatabases}). Sessions live
 * in memory: a server restart ends them, as restarting Jupyter ends its kernels.
 */
export class SessionManager {
  readonly #options: SessionManagerOptions
  readonly #sessions = new Map<string, SessionEntry>()
  readonly #byNotebook = new Map<string, SessionEntry>()
  readonly #cullTimer: NodeJS.Timeout | undefined
  /** Sessions whose notebook is executing server-side: never culled meanwhile. */
  readonly #pinned = new Map<string, number>()

  constructor(options: SessionManagerOptions) {
    this.#options = options
    const { idleCullMs } = options.settings
    if (idleCullMs > 0) {
      this.#cullTimer = setInterval(() => void this.cullIdle(), Math.max(50, Math.min(idleCullMs / 4, 60_000)))
      this.#cullTimer.unref()
    }
  }

  get settings(): KernelSettings {
    return this.#options.settings
  }

  /** The folder a workspace's SQL may touch (hand-over and export files go in its `.exchange`). */
  dataDirOf(workspaceId: string): string {
    return this.#options.databases.dataDirOf(workspaceId)
  }

  /** The notebook's session, created if it has none; `created` says which. */
  forNotebook(workspaceId: string, notebookId: string): { entry: SessionEntry; created: boolean } {
    const key = `${workspaceId}/${notebookId}`
    const existing = this.#byNotebook.get(key)
    if (existing) return { entry: existing, created: false }
    const entry = this.#create(workspaceId, notebookId)
    this.#byNotebook.set(key, entry)
    return { entry, created: true }
  }

  /** The notebook's session if it has one. */
  findForNotebook(workspaceId: string, notebookId: string): SessionEntry | undefined {
    return this.#byNotebook.get(`${workspaceId}/${notebookId}`)
  }

  /** A session of `workspaceId`; a session of another workspace is as unknown as a missing one (404). */
  getOrThrow(workspaceId: string, id: string): SessionEntry {
    const entry = this.#sessions.get(id)
    if (!entry || entry.workspaceId !== workspaceId) throw new NotFoundError('kernel_session', id)
    return entry
  }

  list(workspaceId: string): SessionInfo[] {
    return [...this.#sessions.values()].filter((e) => e.workspaceId === workspaceId).map(sessionInfo)
  }

  /** The kernel of a workspace connection for this session (opened once). */
  connectionKernel(entry: SessionEntry, connectionId: string): Promise<SqlKernel> {
    const open = this.#options.openConnectionKernel
    if (!open) return Promise.reject(new ConnectionUnavailableError(connectionId))
    let kernel = entry.connections.get(connectionId)
    if (!kernel) {
      kernel = open(entry.workspaceId, connectionId)
      kernel.catch(() => entry.connections.delete(connectionId))
      entry.connections.set(connectionId, kernel)
    }
    return kernel
  }

  /** Pages a kept result, whichever of the session's SQL kernels holds it (`c<n>:` prefixes connection results). */
  async page(entry: SessionEntry, resultId: string, request: PageRequest): Promise<TableData> {
    const routed = parseConnectionResult(resultId)
    if (!routed) return entry.session.page(resultId, request)
    const kernel = entry.connections.get(routed.connectionId)
    if (!kernel) return entry.session.page(resultId, request)
    const page = await (await kernel).page(routed.resultId, request)
    return { ...page, resultId }
  }

  /**
   * Every row of a kept result, in batches of `batchSize` (bounded memory): a connection kernel's own stream
   * (a cursor read batch by batch) when it has one, else page by page.
   */
  async *resultRows(
    entry: SessionEntry,
    resultId: string,
    batchSize: number,
  ): AsyncGenerator<{ columns: TableData['columns']; rows: unknown[][] }> {
    const routed = parseConnectionResult(resultId)
    const kernel = routed ? await entry.connections.get(routed.connectionId) : undefined
    if (routed && kernel?.exportRows) {
      const { columns } = await kernel.page(routed.resultId, { offset: 0, limit: 0 })
      yield { columns, rows: [] }
      for await (const rows of kernel.exportRows(routed.resultId, batchSize)) yield { columns, rows }
      return
    }
    for (let offset = 0; ; ) {
      const page = await this.page(entry, resultId, { offset, limit: batchSize })
      yield { columns: page.columns, rows: page.rows }
      offset += page.rows.length
      if (page.rows.length === 0 || offset >= page.totalRows) return
    }
  }

  /**
   * A chart over a whole kept result, computed by DuckDB. Results of connection kernels are cursors read by
   * position: they cannot be aggregated in place, so the caller draws them from the rows it has (and says so).
   */
  async chart(entry: SessionEntry, resultId: string, request: ChartRequest): Promise<ChartData> {
    if (parseConnectionResult(resultId))
      throw new ChartRequestError('Charts of connection results are drawn from the rows on screen')
    return (await entry.session.sqlKernel()).chart(resultId, request)
  }

  /** Keeps a session from being culled while `release` is not called. */
  pin(id: string): () => void {
    this.#pinned.set(id, (this.#pinned.get(id) ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const n = (this.#pinned.get(id) ?? 1) - 1
      if (n <= 0) this.#pinned.delete(id)
      else this.#pinned.set(id, n)
    }
  }

  async close(id: string): Promise<void> {
    const entry = this.#sessions.get(id)
    if (!entry) return
    this.#sessions.delete(id)
    this.#byNotebook.delete(`${entry.workspaceId}/${entry.notebookId}`)
    for (const listener of entry.onClose) listener()
    const connections = await Promise.all([...entry.connections.values()].map((k) => k.catch(() => undefined)))
    await Promise.all([entry.session.shutdown(), ...connections.map((k) => k?.shutdown())]).catch((err: unknown) =>
      this.#options.logger.warn({ err, session: id }, 'session shutdown failed'),
    )
  }

  /** Workspaces that have at least one open session. */
  activeWorkspaces(): string[] {
    return [...new Set([...this.#sessions.values()].map((e) => e.workspaceId))]
  }

  /** Closes every session of a workspace (its disk quota was exceeded, for one). */
  async closeWorkspace(workspaceId: string): Promise<void> {
    const ids = [...this.#sessions.values()].filter((e) => e.workspaceId === workspaceId).map((e) => e.id)
    await Promise.all(ids.map((id) => this.close(id)))
  }

  /** Shuts down sessions idle longer than `idleCullMs` (nothing running or queued, not executing a notebook). */
  async cullIdle(now = Date.now()): Promise<string[]> {
    const { idleCullMs } = this.#options.settings
    const culled: string[] = []
    for (const entry of [...this.#sessions.values()]) {
      if (idleCullMs <= 0 || this.#pinned.has(entry.id) || !entry.session.idle) continue
      if (now - entry.session.lastActivity < idleCullMs) continue
      culled.push(entry.id)
      this.#options.logger.info({ session: entry.id, workspace: entry.workspaceId }, 'culling idle kernel session')
      await this.close(entry.id)
    }
    return culled
  }

  async stop(): Promise<void> {
    if (this.#cullTimer) clearInterval(this.#cullTimer)
    await Promise.all([...this.#sessions.keys()].map((id) => this.close(id)))
  }

  #create(workspaceId: string, notebookId: string): SessionEntry {
    const settings = this.#options.settings
    const dataDir = this.#options.databases.dataDirOf(workspaceId)
    const limits = { maxCellOutputBytes: settings.maxCellOutputBytes }
    const session = new NotebookSession({
      exchangeDir: path.join(dataDir, '.exchange'),
      startSql: async (resolveMissingTable) =>
        DuckdbKernel.start({
          database: await this.#options.databases.get(workspaceId),
          statementTimeoutMs: settings.statementTimeoutMs,
          pageSize: settings.pageSize,
          limits,
          resolveMissingTable,
        }),
      startPython: async () => {
        const endpoint = this.#options.jupyter()
        if (!endpoint) throw new Error('The Jupyter server is still starting: try again in a moment')
        return JupyterKernel.start({ ...endpoint, limits, ...workspaceKernel(workspaceId, dataDir) })
      },
    })
    const entry: SessionEntry = {
      id: randomUUID(),
      workspaceId,
      notebookId,
      createdAt: new Date().toISOString(),
      session,
      connections: new Map(),
      onClose: new Set(),
      resultMasks: new ResultMasks(),
    }
    this.#sessions.set(entry.id, entry)
    return entry
  }
}

/** No kernel can be opened for a connection id (connections not configured, or unknown id). */
export class ConnectionUnavailableError extends Error {
  /** The error output's `ename`. */
  readonly ename = 'ConnectionNotFound'
  constructor(readonly connectionId: string) {
    super(`No connection ${connectionId} is available to this workspace`)
    this.name = 'ConnectionUnavailableError'
  }
}

/** Result ids of connection kernels are prefixed so a page request finds the kernel that keeps them. */
export function connectionResultId(connectionId: string, resultId: string): string {
  return `c:${encodeURIComponent(connectionId)}:${resultId}`
}

function parseConnectionResult(id: string): { connectionId: string; resultId: string } | undefined {
  const match = /^c:([^:]+):(.+)$/.exec(id)
  return match?.[1] && match[2] ? { connectionId: decodeURIComponent(match[1]), resultId: match[2] } : undefined
}

export function sessionInfo(entry: SessionEntry): SessionInfo {
  return { id: entry.id, workspaceId: entry.workspaceId, notebookId: entry.notebookId, createdAt: entry.createdAt }
}
