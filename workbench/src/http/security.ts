import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { csrf } from 'hono/csrf'
import { secureHeaders } from 'hono/secure-headers'
import type { AppEnv } from './env.ts'

/**
 * Browser-facing protections in one place: security headers with a strict CSP, HSTS only when the
 * client really came over TLS (HSTS over plain HTTP is ignored by browsers, and would pin a dev box),
 * CORS for the configured origins only, and Hono's Origin check for form-encoded cross-site posts.
 */
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
  chain.push(
    csrf({
      origin: (origin, c) => origin === new URL(c.req.url).origin || origin === publicOrigin || allowed.has(origin),
    }),
  )
  return chain
}
