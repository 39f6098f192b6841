import { Hono } from 'hono'
import type { Registry } from 'prom-client'
import type { AppEnv } from '../http/env.ts'

/** `/metrics` in Prometheus text format. */
export function metricsRoutes(registry: Registry) {
  return new Hono<AppEnv>().get('/metrics', async (c) => {
    c.header('Content-Type', registry.contentType)
    return c.body(await registry.metrics())
  })
}
