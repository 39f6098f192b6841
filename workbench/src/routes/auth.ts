import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { authorize, can } from '../auth/authorize.ts'
import { COOKIE, clearSessionCookies, readCookie, setSessionCookies } from '../auth/cookies.ts'
import type { Identity } from '../auth/identity.ts'
import { acceptInvitation, findInvitation } from '../auth/invitations.ts'
import { normalizeEmail, type UserInfo } from '../auth/users.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import {
  checkPasswordInContext,
  Email,
  errorResponses,
  json,
  jsonBody,
  Name,
  NewPassword,
  UserSchema,
} from './identity-schemas.ts'

const Credentials = z.object({ email: z.string().trim().min(1).max(320), password: z.string().min(1).max(256) })
const SessionBody = z.object({ user: UserSchema, csrfToken: z.string() }).openapi('Session')
const TokenPair = z
  .object({
    tokenType: z.literal('Bearer'),
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number(),
  })
  .openapi('TokenPair')

const setup = createRoute({
  method: 'get',
  path: '/auth/setup',
  tags: ['auth'],
  summary: 'Whether registration is open and whether the instance still needs its first (admin) account',
  responses: {
    200: json(z.object({ registration: z.enum(['open', 'invite-only']), needsFirstUser: z.boolean() })),
  },
})

const register = createRoute({
  method: 'post',
  path: '/auth/register',
  tags: ['auth'],
  summary: 'Create an account and sign in (the first account becomes instance admin)',
  request: jsonBody(
    z.object({ email: Email, name: Name, password: NewPassword, invitationToken: z.string().max(200).optional() }),
  ),
  responses: { 201: json(SessionBody, 'Signed in'), ...errorResponses, 409: errorResponses[400] },
})

const login = createRoute({
  method: 'post',
  path: '/auth/login',
  tags: ['auth'],
  summary: 'Browser sign-in: sets httpOnly session cookies and returns the CSRF token',
  request: jsonBody(Credentials),
  responses: { 200: json(SessionBody), ...errorResponses, 429: errorResponses[401] },
})

const token = createRoute({
  method: 'post',
  path: '/auth/token',
  tags: ['auth'],
  summary: 'API client sign-in: returns a Bearer access token and a refresh token',
  request: jsonBody(Credentials),
  responses: { 200: json(TokenPair), ...errorResponses, 429: errorResponses[401] },
})

const refresh = createRoute({
  method: 'post',
  path: '/auth/refresh',
  tags: ['auth'],
  summary: 'Rotate the refresh token (from the body, or the browser cookie); reuse revokes the session',
  request: {
    body: {
      required: false,
      content: { 'application/json': { schema: z.object({ refreshToken: z.string().max(200) }) } },
    },
  },
  responses: { 200: json(z.union([TokenPair, SessionBody.omit({ user: true })])), ...errorResponses },
})

const logout = createRoute({
  method: 'post',
  path: '/auth/logout',
  tags: ['auth'],
  summary: 'End the session (access token, refresh cookie or refresh token in the body)',
  request: {
    body: {
      required: false,
      content: { 'application/json': { schema: z.object({ refreshToken: z.string().max(200) }) } },
    },
  },
  responses: { 204: { description: 'Signed out' } },
})

/** Sign-in, registration and session lifecycle. */
export function authRoutes(identity: Identity) {
  const audit = (
    c: Context<AppEnv>,
    action: string,
    outcome: 'success' | 'failure',
    status: number,
    who: { id?: string | null; email?: string | null },
  ) =>
    identity.audit.record({
      actorId: who.id ?? null,
      actorEmail: who.email ?? null,
      workspaceId: null,
      action,
      resource: null,
      requestId: c.get('requestId') ?? null,
      ip: c.get('clientIp') ?? null,
      outcome,
      status,
    })

  /** Shared by cookie and token sign-in; an unknown email and a wrong password get the same answer and work. */
  const signIn = async (c: Context<AppEnv>, input: { email: string; password: string }): Promise<UserInfo> => {
    const ip = c.get('clientIp')
    const account = normalizeEmail(input.email)
    const wait = identity.throttle.retryAfterMs(ip, account)
    if (wait > 0) {
      await audit(c, 'auth.login', 'failure', 429, { email: account })
      c.header('Retry-After', String(Math.ceil(wait / 1000)))
      throw new AppError(429, 'too_many_attempts', 'Too many failed sign-ins; try again later', {
        retryAfterSeconds: Math.ceil(wait / 1000),
      })
    }
    const user = await identity.users.findForLogin(account)
    const ok = await identity.passwords.verify(user?.password_hash, input.password)
    if (!ok || !user || user.disabled_at) {
      identity.throttle.recordFailure(ip, account)
      await audit(c, 'auth.login', 'failure', 401, { id: user?.id, email: account })
      throw new AppError(401, 'invalid_credentials', 'The email or password is wrong')
    }
    identity.throttle.recordSuccess(ip, account)
    await audit(c, 'auth.login', 'success', 200, { id: user.id, email: user.email })
    return identity.users.getOrThrow(user.id)
  }

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...setup, middleware: [authorize(identity, can.public, 'auth.setup')] }, async (c) => {
      const needsFirstUser = (await identity.users.count()) === 0
      return c.json({ registration: identity.options.registration, needsFirstUser }, 200)
    })
    .openapi({ ...register, middleware: [authorize(identity, can.public, 'auth.register')] }, async (c) => {
      const body = c.req.valid('json')
      checkPasswordInContext(body.password, [body.email])
      // "Email taken" and bad invitation tokens are probes worth limiting: they share the sign-in limiter,
      // keyed per IP (the email typed is the thing being probed, so it cannot be the key).
      const ip = c.get('clientIp')
      const probeKey = `register:${ip}`
      const wait = identity.throttle.retryAfterMs(ip, probeKey)
      if (wait > 0) {
        c.header('Retry-After', String(Math.ceil(wait / 1000)))
        throw new AppError(429, 'too_many_attempts', 'Too many failed registrations; try again later', {
          retryAfterSeconds: Math.ceil(wait / 1000),
        })
      }
      const probeFailed = (err: AppError) => {
        identity.throttle.recordFailure(ip, probeKey)
        return err
      }
      const invitation = body.invitationToken ? await findInvitation(identity.db(), body.invitationToken) : undefined
      if (body.invitationToken && invitation?.status !== 'pending')
        throw probeFailed(
          new AppError(400, 'invitation_invalid', 'The invitation is unknown, expired, revoked or already used', {
            fields: [{ field: 'invitationToken', message: 'not a pending invitation' }],
          }),
        )
      if (invitation && invitation.email !== normalizeEmail(body.email))
        throw new AppError(403, 'invitation_email_mismatch', 'The invitation was sent to another email address')
      const user = await identity.users
        .create(body, (existing) => {
          if (existing > 0 && identity.options.registration === 'invite-only' && !invitation)
            throw new AppError(403, 'registration_closed', 'Registration is by invitation only')
        })
        .catch((err: unknown) => {
          throw err instanceof AppError && err.code === 'email_taken' ? probeFailed(err) : err
        })
      if (invitation && body.invitationToken) await acceptInvitation(identity.db(), body.invitationToken, user.id)
      identity.throttle.recordSuccess(ip, normalizeEmail(body.email))
      await audit(c, 'auth.register', 'success', 201, user)
      const tokens = await identity.sessions.start(user.id)
      const csrfToken = setSessionCookies(c, tokens, identity.options.refreshTokenTtlDays)
      return c.json({ user, csrfToken }, 201)
    })
    .openapi({ ...login, middleware: [authorize(identity, can.public, 'auth.login')] }, async (c) => {
      const user = await signIn(c, c.req.valid('json'))
      const tokens = await identity.sessions.start(user.id)
      const csrfToken = setSessionCookies(c, tokens, identity.options.refreshTokenTtlDays)
      return c.json({ user, csrfToken }, 200)
    })
    .openapi({ ...token, middleware: [authorize(identity, can.public, 'auth.token')] }, async (c) => {
      const user = await signIn(c, c.req.valid('json'))
      const tokens = await identity.sessions.start(user.id)
      const { accessToken, refreshToken, expiresIn } = tokens
      return c.json({ tokenType: 'Bearer' as const, accessToken, refreshToken, expiresIn }, 200)
    })
    .openapi({ ...refresh, middleware: [authorize(identity, can.public, 'auth.refresh')] }, async (c) => {
      const fromBody = await optionalRefreshToken(c)
      const presented = fromBody ?? readCookie(c, COOKIE.refresh)
      if (!presented) throw new AppError(401, 'invalid_refresh_token', 'No refresh token was presented')
      try {
        const tokens = await identity.sessions.rotate(presented)
        if (fromBody) {
          const { accessToken, refreshToken, expiresIn } = tokens
          return c.json({ tokenType: 'Bearer' as const, accessToken, refreshToken, expiresIn }, 200)
        }
        const csrfToken = setSessionCookies(c, tokens, identity.options.refreshTokenTtlDays)
        const user = await identity.users.getOrThrow(tokens.userId)
        return c.json({ user, csrfToken }, 200)
      } catch (err) {
        if (err instanceof AppError && err.code === 'refresh_token_reused')
          await audit(c, 'auth.refresh_reuse', 'failure', 401, {})
        if (!fromBody) clearSessionCookies(c)
        throw err
      }
    })
    .openapi({ ...logout, middleware: [authorize(identity, can.public, 'auth.logout')] }, async (c) => {
      const principal = c.get('principal')
      const presented = (await optionalRefreshToken(c)) ?? readCookie(c, COOKIE.refresh)
      const sessionId = principal?.sessionId ?? (presented ? await identity.sessions.sessionOf(presented) : undefined)
      if (sessionId) {
        await identity.sessions.revokeSession(sessionId)
        await audit(c, 'auth.logout', 'success', 204, { id: principal?.userId, email: principal?.email })
      }
      clearSessionCookies(c)
      return c.body(null, 204)
    })
}

/** The body is optional on refresh and logout: browsers send none and rely on the cookie. */
async function optionalRefreshToken(c: Context<AppEnv>): Promise<string | undefined> {
  if (!c.req.header('content-type')?.includes('application/json')) return undefined
  const body: unknown = await c.req.json().catch(() => undefined)
  if (body && typeof body === 'object' && 'refreshToken' in body && typeof body.refreshToken === 'string')
    return body.refreshToken
  return undefined
}
