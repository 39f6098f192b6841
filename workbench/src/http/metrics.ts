import type { MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client'

export interface HttpMetrics {
  registry: Registry
  middleware: MiddlewareHandler
}

/**
 * A Prometheus registry with process metrics and an HTTP request duration histogram labelled by
 * route pattern (never the raw path, which would explode the label set).
 */
export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const middleware: MiddlewareHandler = async (c, next) => {
    const end = duration.startTimer()
    try {
      await next()
    } finally {
      end({ method: c.req.method, route: matchedRoute(c), status: String(c.res.status) })
    }
  }
  return { registry, middleware }
}

/** The pattern of the handler that answered; only catch-all middleware matched means no route did. */
function matchedRoute(c: Parameters<MiddlewareHandler>[0]): string {
  const route = routePath(c, -1)
  return route.endsWith('*') ? '(unmatched)' : route
}
