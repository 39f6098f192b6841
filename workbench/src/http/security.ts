import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { secureHeaders } from 'hono/secure-headers'
import type { AppEnv } from './env.ts'
import { AppError } from './errors.ts'

/**
 * Browser-facing protections in one place: security headers with a strict CSP, HSTS only when the
 * client really came over TLS (HSTS over plain HTTP is ignored by browsers, and would pin a dev box),
 * CORS for the configured origins only, and an Origin check on writes. Browsers always send Origin on
 * a cross-site write, so one from a foreign origin is refused; clients that send none (curl, SDKs) are
 * not browsers and carry no ambient cookies worth forging. (Hono's `csrf` also refuses body-less
 * DELETEs from API clients, hence our own.) Cookie sessions additionally need the double-submit token.
 */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

export function securityMiddleware(options: {
  corsOrigins: string[]
  publicUrl?: string
}): MiddlewareHandler<AppEnv>[] {
  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      // Swagger UI and Monaco set style attributes at run time.
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'blob:'],
      connectSrc: ["'self'", 'ws:', 'wss:'],
      workerSrc: ["'self'", 'blob:'],
      fontSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
    xFrameOptions: 'DENY',
  })
  const hsts: MiddlewareHandler<AppEnv> = async (c, next) => {
    await next()
    if (c.get('secureTransport')) c.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains')
  }
  const allowed = new Set(options.corsOrigins)
  const chain: MiddlewareHandler<AppEnv>[] = [headers, hsts]
  if (allowed.size > 0)
    chain.push(
      cors({
        origin: (origin) => (allowed.has(origin) ? origin : null),
        credentials: true,
        allowHeaders: ['Content-Type', 'Authorization', 'X-CSRF-Token'],
        allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        exposeHeaders: ['X-Request-Id', 'Retry-After'],
        maxAge: 600,
      }),
    )
  const publicOrigin = options.publicUrl ? new URL(options.publicUrl).origin : undefined
  const sameOrigin: MiddlewareHandler<AppEnv> = async (c, next) => {
    const origin = c.req.header('origin')
    // WebSocket upgrades are GETs that carry cookies: without this, any site could open a socket as the user.
    const upgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket'
    if (origin && (!SAFE.has(c.req.method) || upgrade)) {
      const ok = origin === new URL(c.req.url).origin || origin === publicOrigin || allowed.has(origin)
      if (!ok) throw new AppError(403, 'origin_not_allowed', `Requests from ${origin} are not allowed`)
    }
    await next()
  }
  chain.push(sameOrigin)
  return chain
}
