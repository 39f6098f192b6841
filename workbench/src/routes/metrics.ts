import { Hono } from 'hono'
import type { Registry } from 'prom-client'
import { authorize, can } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'

/**
 * `/metrics` in Prometheus text format. Public, as scrapers expect: it carries request counts and
 * latencies by route pattern, never ids or workspace data. Restrict it at the reverse proxy if needed.
 */
export function metricsRoutes(identity: Identity, registry: Registry) {
  return new Hono<AppEnv>().get('/metrics', authorize(identity, can.public, 'metrics.read'), async (c) => {
    c.header('Content-Type', registry.contentType)
    return c.body(await registry.metrics())
  })
}
