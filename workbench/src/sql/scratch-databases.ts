import { DuckdbDatabase, type QueryPage, QueryStoppedError, StatementRefusedError } from '@workbench/kernels/duckdb'
import { AppError } from '../http/errors.ts'
import { ConcurrencyLimits } from './concurrency.ts'

export interface ScratchOptions {
  /** DuckDB `memory_limit` of each account's scratch database (it never spills to disk). */
  memoryLimit: string
  /** Scratch databases open at once, across accounts; the least recently used idle one is dropped past it. */
  maxDatabases: number
  /** A scratch database unused this long is dropped (its tables are gone). */
  idleMs: number
  /** A statement running longer is interrupted. */
  statementTimeoutMs: number
  /** Scratch queries one account may run at once (more answer 429 `too_many_queries`). */
  concurrencyPerUser: number
  /**
   * Scratch queries running at once across accounts (more answer 429 `server_busy`). Each holds one libuv thread,
   * so the default stays below Node's pool of four: other I/O (and other accounts' queries) keeps a thread.
   */
  maxRunning: number
}

export const defaultScratchOptions: ScratchOptions = {
  memoryLimit: '256MB',
  maxDatabases: 16,
  idleMs: 15 * 60_000,
  statementTimeoutMs: 60_000,
  concurrencyPerUser: 2,
  maxRunning: 3,
}

interface Entry {
  database: Promise<DuckdbDatabase>
  lastUsed: number
  running: number
}

/**
 * One sandboxed in-memory DuckDB per account (external access off, configuration locked, one thread, a memory
 * limit and no spilling), so no account can read, drop or crowd out another's tables. The total is bounded:
 * at most `maxDatabases` are open, the least recently used idle one goes first, and idle ones go after `idleMs`.
 *
 * @example
 * const scratch = new ScratchDatabases()
 * const page = await scratch.query(userId, 'SELECT 42', { signal: c.req.raw.signal })
 */
export class ScratchDatabases {
  readonly options: ScratchOptions
  readonly #entries = new Map<string, Entry>()
  readonly #limits: ConcurrencyLimits
  readonly #sweep: NodeJS.Timeout

  constructor(options: Partial<ScratchOptions> = {}) {
    this.options = { ...defaultScratchOptions, ...options }
    this.#limits = new ConcurrencyLimits({ perKey: this.options.concurrencyPerUser, total: this.options.maxRunning })
    this.#sweep = setInterval(() => this.#dropIdle(), Math.min(this.options.idleMs, 60_000))
    this.#sweep.unref()
  }

  /** How many scratch databases are open. */
  get size(): number {
    return this.#entries.size
  }

  /** Runs user SQL on `userId`'s scratch database (opened on first use), guarded, with the statement timeout. */
  async query(userId: string, sql: string, options: { limit?: number; signal?: AbortSignal } = {}): Promise<QueryPage> {
    const release = this.#limits.acquire(userId, 'scratch')
    const entry = this.#entry(userId)
    entry.running++
    try {
      const database = await entry.database
      return await database.query(sql, {
        limit: options.limit,
        signal: options.signal,
        timeoutMs: this.options.statementTimeoutMs,
        guarded: true,
      })
    } catch (err) {
      if (err instanceof QueryStoppedError)
        throw err.reason === 'timeout'
          ? new AppError(400, 'statement_timeout', err.message, { timeoutMs: this.options.statementTimeoutMs })
          : new AppError(400, 'query_cancelled', err.message)
      if (err instanceof StatementRefusedError) throw new AppError(400, 'statement_refused', err.message)
      throw new AppError(400, 'sql_error', err instanceof Error ? err.message : String(err))
    } finally {
      entry.running--
      entry.lastUsed = Date.now()
      release()
    }
  }

  /** Readiness: opens nothing, answers whether DuckDB can open a sandbox at all. */
  async ping(): Promise<void> {
    const probe = await DuckdbDatabase.open({ path: ':memory:', sandboxed: true, memoryLimit: '16MB', threads: 1 })
    try {
      await probe.ping()
    } finally {
      probe.close()
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep)
    const entries = [...this.#entries.values()]
    this.#entries.clear()
    for (const entry of entries) (await entry.database.catch(() => undefined))?.close()
  }

  #entry(userId: string): Entry {
    const existing = this.#entries.get(userId)
    if (existing) {
      // Most recently used last, so the map's order is the eviction order.
      this.#entries.delete(userId)
      this.#entries.set(userId, existing)
      existing.lastUsed = Date.now()
      return existing
    }
    if (this.#entries.size >= this.options.maxDatabases) {
      const victim = [...this.#entries].find(([, e]) => e.running === 0)
      if (!victim) throw new AppError(429, 'server_busy', 'Every scratch database is busy; try again shortly')
      this.#drop(victim[0], victim[1])
    }
    const database = DuckdbDatabase.open({
      path: ':memory:',
      sandboxed: true,
      memoryLimit: this.options.memoryLimit,
      threads: 1,
    })
    const entry: Entry = { database, lastUsed: Date.now(), running: 0 }
    database.catch(() => this.#entries.get(userId) === entry && this.#entries.delete(userId))
    this.#entries.set(userId, entry)
    return entry
  }

  #drop(userId: string, entry: Entry): void {
    this.#entries.delete(userId)
    void entry.database.then((db) => db.close()).catch(() => {})
  }

  #dropIdle(): void {
    const cutoff = Date.now() - this.options.idleMs
    for (const [userId, entry] of [...this.#entries])
      if (entry.running === 0 && entry.lastUsed < cutoff) this.#drop(userId, entry)
  }
}
