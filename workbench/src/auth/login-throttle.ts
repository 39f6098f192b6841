export interface LoginThrottleOptions {
  /** Failed sign-ins one IP may make per window before it must wait for the window to end. */
  maxAttemptsPerIp: number
  /** Consecutive failures an account tolerates before each further try waits exponentially longer. */
  freeAttemptsPerAccount: number
  windowMs?: number
  maxBackoffMs?: number
  now?: () => number
}

interface IpWindow {
  failures: number
  resetAt: number
}

interface AccountState {
  failures: number
  lastFailureAt: number
}

/**
 * Login rate limiting in this process's memory: per IP (a fixed window of failures) and per account
 * (exponential backoff after a few consecutive failures, reset by a success). Accounts are keyed by the
 * email typed, whether or not it exists, so the limiter says nothing about which accounts exist.
 * Several workbench processes each keep their own counts; a shared store is future work.
 */
export class LoginThrottle {
  readonly #ips = new Map<string, IpWindow>()
  readonly #accounts = new Map<string, AccountState>()
  readonly #windowMs: number
  readonly #maxBackoffMs: number
  readonly #now: () => number

  constructor(private readonly options: LoginThrottleOptions) {
    this.#windowMs = options.windowMs ?? 15 * 60_000
    this.#maxBackoffMs = options.maxBackoffMs ?? 15 * 60_000
    this.#now = options.now ?? Date.now
  }

  /** Milliseconds the caller must wait before trying again, or 0 when the attempt may go ahead. */
  retryAfterMs(ip: string, account: string): number {
    const now = this.#now()
    let wait = 0
    const window = this.#ips.get(ip)
    if (window && window.resetAt > now && window.failures >= this.options.maxAttemptsPerIp) wait = window.resetAt - now
    const state = this.#accounts.get(account)
    if (state) {
      const over = state.failures - this.options.freeAttemptsPerAccount
      if (over >= 0) {
        const backoff = Math.min(1000 * 2 ** over, this.#maxBackoffMs)
        wait = Math.max(wait, state.lastFailureAt + backoff - now)
      }
    }
    return Math.max(0, wait)
  }

  recordFailure(ip: string, account: string): void {
    const now = this.#now()
    this.#sweep(now)
    const window = this.#ips.get(ip)
    if (!window || window.resetAt <= now) this.#ips.set(ip, { failures: 1, resetAt: now + this.#windowMs })
    else window.failures += 1
    const state = this.#accounts.get(account)
    this.#accounts.set(account, { failures: (state?.failures ?? 0) + 1, lastFailureAt: now })
  }

  recordSuccess(account: string): void {
    this.#accounts.delete(account)
  }

  /** Keeps memory bounded under a spray of distinct IPs or emails. */
  #sweep(now: number): void {
    if (this.#ips.size + this.#accounts.size < 10_000) return
    for (const [ip, w] of this.#ips) if (w.resetAt <= now) this.#ips.delete(ip)
    for (const [account, s] of this.#accounts)
      if (s.lastFailureAt + this.#maxBackoffMs <= now) this.#accounts.delete(account)
  }
}
