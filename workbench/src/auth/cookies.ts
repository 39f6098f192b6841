import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { AppEnv } from '../http/env.ts'
import { newSecret } from './secrets.ts'
import type { SessionTokens } from './sessions.ts'

/** Cookie names; the CSRF one is readable by the page's script, the others are httpOnly. */
export const COOKIE = { access: 'wb_access', refresh: 'wb_refresh', csrf: 'wb_csrf' } as const
/** Header a browser must echo the CSRF cookie in on every state-changing request (double submit). */
export const CSRF_HEADER = 'x-csrf-token'

const REFRESH_PATH = '/api/auth'

/** Sets the session cookies and returns the CSRF token the page must send back in {@link CSRF_HEADER}. */
export function setSessionCookies(c: Context<AppEnv>, tokens: SessionTokens, refreshTtlDays: number): string {
  const secure = c.get('secureTransport')
  const csrf = newSecret('')
  setCookie(c, COOKIE.access, tokens.accessToken, {
    httpOnly: true,
    secure,
    sameSite: 'Lax',
    path: '/api',
    maxAge: tokens.expiresIn,
  })
  // Strict, and only sent to the auth routes: the long-lived secret travels as rarely as possible.
  setCookie(c, COOKIE.refresh, tokens.refreshToken, {
    httpOnly: true,
    secure,
    sameSite: 'Strict',
    path: REFRESH_PATH,
    maxAge: refreshTtlDays * 86_400,
  })
  setCookie(c, COOKIE.csrf, csrf, {
    httpOnly: false,
    secure,
    sameSite: 'Lax',
    path: '/',
    maxAge: refreshTtlDays * 86_400,
  })
  return csrf
}

export function clearSessionCookies(c: Context<AppEnv>): void {
  deleteCookie(c, COOKIE.access, { path: '/api' })
  deleteCookie(c, COOKIE.refresh, { path: REFRESH_PATH })
  deleteCookie(c, COOKIE.csrf, { path: '/' })
}

export function readCookie(c: Context<AppEnv>, name: string): string | undefined {
  return getCookie(c, name)
}
