import { describe, expect, it } from 'vitest'
import { LoginThrottle } from './login-throttle.ts'

/** A clock the test moves by hand, so backoff is checked without waiting. */
function throttleWithClock(options: { maxAttemptsPerIp?: number; freeAttemptsPerAccount?: number } = {}) {
  let now = 1_000_000
  const throttle = new LoginThrottle({
    maxAttemptsPerIp: options.maxAttemptsPerIp ?? 100,
    freeAttemptsPerAccount: options.freeAttemptsPerAccount ?? 3,
    now: () => now,
  })
  return { throttle, advance: (ms: number) => (now += ms) }
}

describe('LoginThrottle', () => {
  it('lets the free attempts through, then doubles the wait after each further failure', () => {
    const { throttle, advance } = throttleWithClock()
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfterMs('ip', 'a@example.com')).toBe(0)
      throttle.recordFailure('ip', 'a@example.com')
    }
    expect(throttle.retryAfterMs('ip', 'a@example.com')).toBe(1000)
    advance(1000)
    expect(throttle.retryAfterMs('ip', 'a@example.com')).toBe(0)
    throttle.recordFailure('ip', 'a@example.com')
    expect(throttle.retryAfterMs('ip', 'a@example.com')).toBe(2000)
    advance(2000)
    throttle.recordFailure('ip', 'a@example.com')
    expect(throttle.retryAfterMs('ip', 'a@example.com')).toBe(4000)
    // Other accounts are unaffected.
    expect(throttle.retryAfterMs('ip', 'b@example.com')).toBe(0)
  })

  it('caps the backoff and forgets an account after a success', () => {
    const { throttle } = throttleWithClock({ freeAttemptsPerAccount: 1 })
    for (let i = 0; i < 40; i++) throttle.recordFailure('ip', 'a@example.com')
    expect(throttle.retryAfterMs('ip', 'a@example.com')).toBe(15 * 60_000)
    throttle.recordSuccess('ip', 'a@example.com')
    expect(throttle.retryAfterMs('ip', 'a@example.com')).toBe(0)
  })

  it('blocks an IP for the rest of its window once it used up its failures', () => {
    const { throttle, advance } = throttleWithClock({ maxAttemptsPerIp: 2, freeAttemptsPerAccount: 100 })
    throttle.recordFailure('198.51.100.1', 'x@example.com')
    advance(60_000)
    throttle.recordFailure('198.51.100.1', 'y@example.com')
    expect(throttle.retryAfterMs('198.51.100.1', 'z@example.com')).toBe(14 * 60_000)
    expect(throttle.retryAfterMs('198.51.100.2', 'z@example.com')).toBe(0)
    advance(14 * 60_000)
    expect(throttle.retryAfterMs('198.51.100.1', 'z@example.com')).toBe(0)
  })

  it('never blocks the owner’s recent client for somebody else’s failures', () => {
    const { throttle, advance } = throttleWithClock({ maxAttemptsPerIp: 5, freeAttemptsPerAccount: 3 })
    throttle.recordSuccess('owner-ip', 'a@example.com')
    // A guesser on many IPs, and one IP spraying many accounts.
    for (let i = 0; i < 200; i++) throttle.recordFailure(`203.0.113.${i % 50}`, 'a@example.com')
    for (let i = 0; i < 20; i++) throttle.recordFailure('owner-ip', `other${i}@example.com`)
    expect(throttle.retryAfterMs('owner-ip', 'a@example.com')).toBe(0)
    // A new client of the owner is slowed (at most 30 s), not locked out.
    expect(throttle.retryAfterMs('198.51.100.9', 'a@example.com')).toBe(30_000)
    expect(throttle.retryAfterMs('203.0.113.1', 'a@example.com')).toBe(30_000)
    advance(30_000)
    expect(throttle.retryAfterMs('198.51.100.9', 'a@example.com')).toBe(0)
    // The spraying IP stays blocked for other accounts it has not signed in to.
    expect(throttle.retryAfterMs('owner-ip', 'b@example.com')).toBeGreaterThan(0)
  })
})
