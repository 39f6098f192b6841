import type { MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'

/** One structured log line per request, carrying the request id; query strings are left out (they may hold tokens). */
export function requestLogger(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now()
    await next()
    const durationMs = Math.round((performance.now() - started) * 100) / 100
    const fields = {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs,
    }
    if (c.res.status >= 500) logger.error(fields, 'request')
    else logger.info(fields, 'request')
  }
}
