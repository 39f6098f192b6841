import { getConnInfo } from '@hono/node-server/conninfo'
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { COOKIE, readCookie } from './cookies.ts'
import type { Identity } from './identity.ts'
import type { Principal } from './principal.ts'
import { SECRET_PREFIX } from './secrets.ts'

/**
 * Establishes the client address and whether it came over TLS. Proxy headers count only when
 * `TRUST_PROXY` says a proxy we control sets them; otherwise anyone could pick their own IP.
 */
export function clientContext(trustProxy: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let ip = 'unknown'
    try {
      ip = getConnInfo(c).remote.address ?? 'unknown'
    } catch {
      // In-process requests (tests) have no socket.
    }
    let secure = new URL(c.req.url).protocol === 'https:'
    if (trustProxy) {
      const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim()
      if (forwarded) ip = forwarded
      const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim()
      if (proto) secure = proto === 'https'
    }
    c.set('clientIp', ip)
    c.set('secureTransport', secure)
    await next()
  }
}

/**
 * An in-process request made on behalf of an already authenticated caller (an MCP tool calling the REST API)
 * carries that caller's principal in its Hono `env` under this key, so the credential is not resolved twice.
 * Only server code can set it: a symbol cannot come from the network.
 */
export const ACTING_PRINCIPAL = Symbol('workbench.actingPrincipal')

/**
 * Reads the caller's credential, if any: `Authorization: Bearer` (a session access token or a personal
 * API token) or the browser's access cookie. Never refuses a request itself: `authorize` decides, so a
 * public route works even with a stale cookie.
 */
export function authenticate(identity: Identity): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const acting = (c.env as { [ACTING_PRINCIPAL]?: Principal } | undefined)?.[ACTING_PRINCIPAL]
    if (acting) {
      c.set('principal', acting)
      return next()
    }
    const header = c.req.header('authorization')
    const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1]
    const cookie = bearer ? undefined : readCookie(c, COOKIE.access)
    if (header && !bearer) c.set('credentialProblem', 'invalid_token')
    const credential = bearer ?? cookie
    if (credential) {
      const principal = await resolve(identity, credential, bearer ? 'bearer' : 'cookie')
      if (principal === 'expired') c.set('credentialProblem', 'token_expired')
      else if (principal) c.set('principal', principal)
      else c.set('credentialProblem', 'invalid_token')
    }
    await next()
  }
}

async function resolve(
  identity: Identity,
  credential: string,
  via: 'bearer' | 'cookie',
): Promise<Principal | 'expired' | undefined> {
  if (via === 'bearer' && credential.startsWith(SECRET_PREFIX.apiToken)) {
    const token = await identity.apiTokens.resolve(credential)
    if (!token) return undefined
    const user = await activeUser(identity, token.userId)
    return user && { ...user, via: 'api_token', apiTokenId: token.id, tokenScope: token.scope }
  }
  const claims = await identity.accessTokens.read(credential)
  if (!claims || claims === 'expired') return claims
  // A signed token is not enough: the session may have been signed out or the account disabled, and the
  // session must be the subject's own (a token naming one account and another account's session is forged).
  if (!(await identity.sessions.isActive(claims.sid, claims.sub))) return undefined
  const user = await activeUser(identity, claims.sub)
  return user && { ...user, via, sessionId: claims.sid }
}

async function activeUser(identity: Identity, id: string) {
  const row = await identity
    .db()
    .selectFrom('users')
    .select(['id', 'email', 'name', 'is_instance_admin'])
    .where('id', '=', id)
    .where('disabled_at', 'is', null)
    .executeTakeFirst()
  return row && { userId: row.id, email: row.email, name: row.name, isInstanceAdmin: row.is_instance_admin }
}
