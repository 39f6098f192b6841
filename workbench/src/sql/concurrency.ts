import { AppError } from '../http/errors.ts'

/**
 * Counts running work per key (a user) and in total; `acquire` refuses past either bound with a 429 and a stable
 * code instead of queueing, so one account's heavy queries can never make another's wait behind them.
 *
 * @example
 * const limits = new ConcurrencyLimits({ perKey: 2, total: 8 })
 * const release = limits.acquire(userId, 'scratch')
 * try { await run() } finally { release() }
 */
export class ConcurrencyLimits {
  readonly #running = new Map<string, number>()
  #total = 0

  constructor(readonly options: { perKey: number; total: number }) {}

  acquire(key: string, what: string): () => void {
    const mine = this.#running.get(key) ?? 0
    if (mine >= this.options.perKey)
      throw new AppError(
        429,
        'too_many_queries',
        `At most ${this.options.perKey} ${what} queries of one account run at once; wait for one to finish`,
        { limit: this.options.perKey },
      )
    if (this.#total >= this.options.total)
      throw new AppError(
        429,
        'server_busy',
        `The server runs ${this.#total} ${what} queries already; try again shortly`,
      )
    this.#running.set(key, mine + 1)
    this.#total++
    let released = false
    return () => {
      if (released) return
      released = true
      this.#total--
      const left = (this.#running.get(key) ?? 1) - 1
      if (left === 0) this.#running.delete(key)
      else this.#running.set(key, left)
    }
  }

  running(key: string): number {
    return this.#running.get(key) ?? 0
  }
}
