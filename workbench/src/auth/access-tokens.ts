import { sign, verify } from 'hono/jwt'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface AccessClaims {
  /** User id. */
  sub: string
  /** Session (refresh-token family) id: revoking the session makes its access tokens fail at once. */
  sid: string
}

/** Short-lived HS256 access tokens for browser sessions and API clients that sign in with a password. */
export class AccessTokens {
  constructor(
    private readonly secret: string,
    readonly ttlSeconds: number,
  ) {}

  issue(claims: AccessClaims): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    return sign({ ...claims, iat: now, exp: now + this.ttlSeconds, typ: 'access' }, this.secret, 'HS256')
  }

  /**
   * The claims of a valid token; `'expired'` for a genuine but expired one (so clients know to refresh);
   * undefined for anything forged or malformed.
   */
  async read(token: string): Promise<AccessClaims | 'expired' | undefined> {
    let payload: Awaited<ReturnType<typeof verify>>
    try {
      // Hono checks `exp` before the signature; checking expiry ourselves after the signature means a
      // forged token can never be reported as merely "expired".
      payload = await verify(token, this.secret, { alg: 'HS256', exp: false })
    } catch {
      return undefined
    }
    if (payload.typ !== 'access' || typeof payload.sub !== 'string' || typeof payload.sid !== 'string') return undefined
    // Both are database ids; anything else never came from us (and must not reach a uuid column).
    if (!UUID.test(payload.sub) || !UUID.test(payload.sid)) return undefined
    if (typeof payload.exp !== 'number' || payload.exp <= Math.floor(Date.now() / 1000)) return 'expired'
    return { sub: payload.sub, sid: payload.sid }
  }
}
