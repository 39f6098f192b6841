export interface LoginThrottleOptions {
  /** Failed sign-ins one IP may make per window (against any accounts) before it must wait for the window to end. */
  maxAttemptsPerIp: number
  /** Consecutive failures an account tolerates from one IP before each further try there waits exponentially longer. */
  freeAttemptsPerAccount: number
  windowMs?: number
  /** Longest wait for one account from one IP. */
  maxBackoffMs?: number
  /** Longest wait for an account across all IPs: it only slows a distributed guesser, it never locks the owner out. */
  maxAccountBackoffMs?: number
  /** How long an IP that signed in to an account stays trusted for that account. */
  trustMs?: number
  now?: () => number
}

interface IpWindow {
  failures: number
  resetAt: number
}

interface Failures {
  failures: number
  lastFailureAt: number
}

/** Across IPs, an account gets this many times the per-IP free attempts before it is slowed. */
const ACCOUNT_FREE_FACTOR = 4

/**
 * Login rate limiting in this process's memory. Only failures count, and three limits apply:
 * - per account and IP: exponential backoff (1 s, 2 s, 4 s … up to `maxBackoffMs`) after
 *   `freeAttemptsPerAccount` consecutive failures, reset by a success;
 * - per IP: at most `maxAttemptsPerIp` failures per window, against any accounts (a password sprayer);
 * - per account across IPs: exponential backoff capped at `maxAccountBackoffMs` (30 s), so a guesser
 *   spread over many IPs is slowed to a crawl, while the owner still gets in between its tries.
 * An IP that signed in to the account recently (`trustMs`, 30 days) is exempt from the last two: the
 * owner's usual client is never blocked by somebody else's failures, only slowed by its own. Accounts
 * are keyed by the email typed, whether or not it exists, so the limiter says nothing about which
 * accounts exist. Several workbench processes each keep their own counts; a shared store is future work.
 */
export class LoginThrottle {
  readonly #ips = new Map<string, IpWindow>()
  readonly #pairs = new Map<string, Failures>()
  readonly #accounts = new Map<string, Failures>()
  readonly #trusted = new Map<string, number>()
  readonly #windowMs: number
  readonly #maxBackoffMs: number
  readonly #maxAccountBackoffMs: number
  readonly #trustMs: number
  readonly #now: () => number

  constructor(private readonly options: LoginThrottleOptions) {
    this.#windowMs = options.windowMs ?? 15 * 60_000
    this.#maxBackoffMs = options.maxBackoffMs ?? 15 * 60_000
    this.#maxAccountBackoffMs = options.maxAccountBackoffMs ?? 30_000
    this.#trustMs = options.trustMs ?? 30 * 86_400_000
    this.#now = options.now ?? Date.now
  }

  /** Milliseconds the caller must wait before trying again, or 0 when the attempt may go ahead. */
  retryAfterMs(ip: string, account: string): number {
    const now = this.#now()
    const key = pairKey(ip, account)
    const free = this.options.freeAttemptsPerAccount
    let wait = backoff(this.#pairs.get(key), free, this.#maxBackoffMs) - now
    const trustedUntil = this.#trusted.get(key)
    if (trustedUntil !== undefined && trustedUntil > now) return Math.max(0, wait)
    const window = this.#ips.get(ip)
    if (window && window.resetAt > now && window.failures >= this.options.maxAttemptsPerIp)
      wait = Math.max(wait, window.resetAt - now)
    const across = backoff(this.#accounts.get(account), free * ACCOUNT_FREE_FACTOR, this.#maxAccountBackoffMs)
    wait = Math.max(wait, across - now)
    return Math.max(0, wait)
  }

  recordFailure(ip: string, account: string): void {
    const now = this.#now()
    this.#sweep(now)
    const window = this.#ips.get(ip)
    if (!window || window.resetAt <= now) this.#ips.set(ip, { failures: 1, resetAt: now + this.#windowMs })
    else window.failures += 1
    const key = pairKey(ip, account)
    this.#pairs.set(key, { failures: (this.#pairs.get(key)?.failures ?? 0) + 1, lastFailureAt: now })
    this.#accounts.set(account, { failures: (this.#accounts.get(account)?.failures ?? 0) + 1, lastFailureAt: now })
  }

  /** A correct password from `ip`: its failures for the account are forgiven, and the IP is trusted for it. */
  recordSuccess(ip: string, account: string): void {
    const key = pairKey(ip, account)
    this.#pairs.delete(key)
    this.#accounts.delete(account)
    this.#trusted.set(key, this.#now() + this.#trustMs)
  }

  /** Keeps memory bounded under a spray of distinct IPs or emails. */
  #sweep(now: number): void {
    if (this.#ips.size + this.#pairs.size + this.#accounts.size + this.#trusted.size < 10_000) return
    for (const [ip, w] of this.#ips) if (w.resetAt <= now) this.#ips.delete(ip)
    for (const [key, s] of this.#pairs) if (s.lastFailureAt + this.#maxBackoffMs <= now) this.#pairs.delete(key)
    for (const [account, s] of this.#accounts)
      if (s.lastFailureAt + this.#maxAccountBackoffMs <= now) this.#accounts.delete(account)
    for (const [key, until] of this.#trusted) if (until <= now) this.#trusted.delete(key)
  }
}

function pairKey(ip: string, account: string): string {
  return `${account}\n${ip}`
}

/** When the next attempt may go ahead (epoch ms), or 0. */
function backoff(state: Failures | undefined, free: number, max: number): number {
  if (!state) return 0
  const over = state.failures - free
  if (over < 0) return 0
  return state.lastFailureAt + Math.min(1000 * 2 ** over, max)
}
