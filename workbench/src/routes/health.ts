import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { validationHook } from '../http/validation.ts'
import { type ProbeResult, probe } from '../services/probe.ts'

export const SERVICE_NAMES = ['database', 'duckdb', 'jupyter', 'temporal'] as const
export type ServiceName = (typeof SERVICE_NAMES)[number]

/** A readiness check per dependency; `undefined` while that dependency is still starting. */
export type ReadinessChecks = Record<ServiceName, (() => Promise<unknown>) | undefined>

const ProbeSchema = z
  .object({
    status: z.enum(['up', 'down']),
    latencyMs: z.number(),
    error: z.string().optional(),
  })
  .openapi('Probe')

const ReadySchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    services: z.object({ database: ProbeSchema, duckdb: ProbeSchema, jupyter: ProbeSchema, temporal: ProbeSchema }),
  })
  .openapi('Readiness')

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'Liveness: the process answers',
  responses: {
    200: { description: 'Alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } },
  },
})

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  summary: 'Readiness of every dependency, with latency',
  responses: {
    200: { description: 'Every dependency is up', content: { 'application/json': { schema: ReadySchema } } },
    503: { description: 'At least one dependency is down', content: { 'application/json': { schema: ReadySchema } } },
  },
})

/** `/healthz` and `/readyz`. Probes run in parallel, each with its own deadline, so one slow service cannot hang the answer. */
export function healthRoutes(identity: Identity, checks: ReadinessChecks) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...healthz, middleware: [authorize(identity, can.public, 'health.live')] }, (c) =>
      c.json({ status: 'ok' as const }, 200),
    )
    .openapi({ ...readyz, middleware: [authorize(identity, can.public, 'health.ready')] }, async (c) => {
      const results = await Promise.all(
        SERVICE_NAMES.map(async (name): Promise<[ServiceName, ProbeResult]> => {
          const check = checks[name]
          if (!check) return [name, { status: 'down', latencyMs: 0, error: 'starting' }]
          return [name, await probe(check)]
        }),
      )
      const services = Object.fromEntries(results) as Record<ServiceName, ProbeResult>
      const ready = results.every(([, r]) => r.status === 'up')
      const body = { status: ready ? ('ready' as const) : ('not_ready' as const), services }
      return ready ? c.json(body, 200) : c.json(body, 503)
    })
}
