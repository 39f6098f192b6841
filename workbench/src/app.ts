import { OpenAPIHono } from '@hono/zod-openapi'
import type { DuckdbDatabase } from '@workbench/kernels/duckdb'
import { requestId } from 'hono/request-id'
import type { Logger } from 'pino'
import type { AppEnv } from './http/env.ts'
import { errorHandler, notFoundHandler } from './http/errors.ts'
import { createHttpMetrics } from './http/metrics.ts'
import { requestLogger } from './http/request-logger.ts'
import { validationHook } from './http/validation.ts'
import { webAppRoutes } from './http/web-app.ts'
import { allowAllKernelActions, type KernelPermissionCheck } from './kernels/permissions.ts'
import type { SessionManager } from './kernels/session-manager.ts'
import { apiDocsRoutes } from './routes/api-docs.ts'
import { healthRoutes, type ReadinessChecks } from './routes/health.ts'
import { kernelRoutes } from './routes/kernels.ts'
import { metricsRoutes } from './routes/metrics.ts'
import { sqlRoutes } from './routes/sql.ts'

export interface AppDeps {
  logger: Logger
  readiness: ReadinessChecks
  scratchDuckdb: () => DuckdbDatabase | undefined
  /** Notebook sessions (kernels); the execution API is mounted only when given. */
  kernels?: SessionManager
  /** Who may view or run a workspace's sessions; identity plugs in here. Default: everyone may. */
  kernelPermissions?: KernelPermissionCheck
  /** Folder of the built web app; omitted in API-only tests. */
  webDist?: string
  version?: string
}

/**
 * Builds the HTTP application. Pure wiring: every dependency comes in through `deps`, so tests call
 * `app.request()` in-process against real services.
 *
 * @example
 * const app = createApp({ logger, readiness, scratchDuckdb: () => duckdb, kernels })
 * const res = await app.request('/api/healthz')
 */
export function createApp(deps: AppDeps) {
  const metrics = createHttpMetrics()
  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .route('/', healthRoutes(deps.readiness))
    .route('/', sqlRoutes(deps.scratchDuckdb))

  if (deps.kernels) api.route('/', kernelRoutes(deps.kernels, deps.kernelPermissions ?? allowAllKernelActions))
  api.route('/', metricsRoutes(metrics.registry)).route('/', apiDocsRoutes())

  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Workbench API',
      version: deps.version ?? '0.1.0',
      description: 'Collaborative notebooks, scheduled pipelines, catalog search and preview.',
    },
  })
  api.notFound(notFoundHandler)

  const app = new OpenAPIHono<AppEnv>()
  app.use('*', requestId())
  app.use('*', requestLogger(deps.logger))
  app.use('/api/*', metrics.middleware)
  app.onError(errorHandler(deps.logger))
  app.notFound(notFoundHandler)
  app.route('/api', api)
  if (deps.webDist) app.route('/', webAppRoutes(deps.webDist))
  return app
}

export type App = ReturnType<typeof createApp>
