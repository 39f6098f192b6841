import { randomUUID } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { DuckdbDatabase, DuckdbKernel } from '@workbench/kernels/duckdb'
import { JupyterKernel } from '@workbench/kernels/jupyter'
import { NotebookSession } from '@workbench/kernels/session'
import type { Logger } from 'pino'
import { AppError, NotFoundError } from '../http/errors.ts'

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

export interface SessionManagerOptions {
  /** Workspaces live under `<dataDir>/workspaces/<workspaceId>/`. */
  dataDir: string
  settings: KernelSettings
  /** Per-workspace overrides (limits from workspace settings, once workspaces have settings). */
  settingsFor?: (workspaceId: string) => Partial<KernelSettings>
  /** The Jupyter Server; undefined while it is still starting. */
  jupyter: () => { baseUrl: string; token: string } | undefined
  logger: Logger
}

export interface SessionInfo {
  id: string
  workspaceId: string
  notebookId: string
  createdAt: string
}

interface Entry extends SessionInfo {
  session: NotebookSession
  /** Called when the session is closed (deleted, culled, server stop) to end its websockets. */
  onClose: Set<() => void>
}

const WORKSPACE_ID = /^[A-Za-z0-9_-]{1,64}$/

/**
 * Notebook sessions of every workspace: creates them, finds them, culls idle ones, and owns one DuckDB
 * database per workspace (`<dataDir>/workspaces/<id>/data/workspace.duckdb`, sandboxed to that folder).
 * Sessions live in memory: a server restart ends them, as restarting Jupyter ends its kernels.
 */
export class SessionManager {
  readonly #options: SessionManagerOptions
  readonly #sessions = new Map<string, Entry>()
  readonly #databases = new Map<string, Promise<DuckdbDatabase>>()
  readonly #cullTimer: NodeJS.Timeout | undefined

  constructor(options: SessionManagerOptions) {
    this.#options = options
    const { idleCullMs } = options.settings
    if (idleCullMs > 0) {
      this.#cullTimer = setInterval(() => void this.cullIdle(), Math.max(50, Math.min(idleCullMs / 4, 60_000)))
      this.#cullTimer.unref()
    }
  }

  create(workspaceId: string, notebookId: string): SessionInfo {
    if (!WORKSPACE_ID.test(workspaceId))
      throw new AppError(400, 'invalid_workspace_id', 'A workspace id is 1-64 letters, digits, "-" or "_"')
    const settings = this.#settingsFor(workspaceId)
    const dataDir = this.#dataDirOf(workspaceId)
    const limits = { maxCellOutputBytes: settings.maxCellOutputBytes }
    const session = new NotebookSession({
      exchangeDir: path.join(dataDir, '.exchange'),
      startSql: async (resolveMissingTable) =>
        DuckdbKernel.start({
          database: await this.#database(workspaceId),
          statementTimeoutMs: settings.statementTimeoutMs,
          pageSize: settings.pageSize,
          limits,
          resolveMissingTable,
        }),
      startPython: async () => {
        const endpoint = this.#options.jupyter()
        if (!endpoint) throw new Error('The Jupyter server is still starting: try again in a moment')
        return JupyterKernel.start({ ...endpoint, limits })
      },
    })
    const entry: Entry = {
      id: randomUUID(),
      workspaceId,
      notebookId,
      createdAt: new Date().toISOString(),
      session,
      onClose: new Set(),
    }
    this.#sessions.set(entry.id, entry)
    return info(entry)
  }

  /** Throws `kernel_session_not_found` (404). */
  getOrThrow(id: string): Entry {
    const entry = this.#sessions.get(id)
    if (!entry) throw new NotFoundError('kernel_session', id)
    return entry
  }

  find(id: string): Entry | undefined {
    return this.#sessions.get(id)
  }

  list(workspaceId: string): SessionInfo[] {
    return [...this.#sessions.values()].filter((e) => e.workspaceId === workspaceId).map(info)
  }

  async close(id: string): Promise<void> {
    const entry = this.#sessions.get(id)
    if (!entry) return
    this.#sessions.delete(id)
    for (const listener of entry.onClose) listener()
    await entry.session
      .shutdown()
      .catch((err: unknown) => this.#options.logger.warn({ err, session: id }, 'session shutdown failed'))
  }

  /** Shuts down sessions idle longer than `idleCullMs` (nothing running or queued). */
  async cullIdle(now = Date.now()): Promise<string[]> {
    const culled: string[] = []
    for (const entry of [...this.#sessions.values()]) {
      const { idleCullMs } = this.#settingsFor(entry.workspaceId)
      if (idleCullMs > 0 && entry.session.idle && now - entry.session.lastActivity >= idleCullMs) {
        culled.push(entry.id)
        this.#options.logger.info({ session: entry.id, workspace: entry.workspaceId }, 'culling idle kernel session')
        await this.close(entry.id)
      }
    }
    return culled
  }

  async stop(): Promise<void> {
    if (this.#cullTimer) clearInterval(this.#cullTimer)
    await Promise.all([...this.#sessions.keys()].map((id) => this.close(id)))
    for (const db of this.#databases.values()) (await db.catch(() => undefined))?.close()
    this.#databases.clear()
  }

  #settingsFor(workspaceId: string): KernelSettings {
    return { ...this.#options.settings, ...this.#options.settingsFor?.(workspaceId) }
  }

  #dataDirOf(workspaceId: string): string {
    return path.join(this.#options.dataDir, 'workspaces', workspaceId, 'data')
  }

  #database(workspaceId: string): Promise<DuckdbDatabase> {
    let db = this.#databases.get(workspaceId)
    if (!db) {
      const dataDir = this.#dataDirOf(workspaceId)
      mkdirSync(dataDir, { recursive: true })
      // Leftover hand-over files of a previous run are garbage.
      rmSync(path.join(dataDir, '.exchange'), { recursive: true, force: true })
      db = DuckdbDatabase.open({
        path: path.join(dataDir, 'workspace.duckdb'),
        dataDir,
        memoryLimit: this.#settingsFor(workspaceId).duckdbMemoryLimit,
      })
      db.catch(() => this.#databases.delete(workspaceId))
      this.#databases.set(workspaceId, db)
    }
    return db
  }
}

function info(entry: Entry): SessionInfo {
  return { id: entry.id, workspaceId: entry.workspaceId, notebookId: entry.notebookId, createdAt: entry.createdAt }
}
