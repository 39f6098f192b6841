import { OpenAPIHono } from '@hono/zod-openapi'
import type { DuckdbDatabase } from '@workbench/kernels/duckdb'
import { requestId } from 'hono/request-id'
import type { Logger } from 'pino'
import { authenticate, clientContext } from './auth/authenticate.ts'
import { authorize, can } from './auth/authorize.ts'
import type { Identity } from './auth/identity.ts'
import { collabMembershipSync } from './collab/membership-sync.ts'
import type { CollabDeps } from './collab/notebook-access.ts'
import type { AppEnv } from './http/env.ts'
import { errorHandler, notFoundHandler } from './http/errors.ts'
import { createHttpMetrics } from './http/metrics.ts'
import { requestLogger } from './http/request-logger.ts'
import { securityMiddleware } from './http/security.ts'
import { validationHook } from './http/validation.ts'
import { webAppRoutes } from './http/web-app.ts'
import type { NotebookHistoryServices } from './notebooks/history-services.ts'
import type { NotebookService } from './notebooks/notebook-service.ts'
import { adminRoutes } from './routes/admin.ts'
import { apiDocsRoutes } from './routes/api-docs.ts'
import { apiTokenRoutes } from './routes/api-tokens.ts'
import { auditRoutes } from './routes/audit.ts'
import { authRoutes } from './routes/auth.ts'
import { collabRoutes } from './routes/collab.ts'
import { healthRoutes, type ReadinessChecks } from './routes/health.ts'
import { invitationRoutes } from './routes/invitations.ts'
import { meRoutes } from './routes/me.ts'
import { metricsRoutes } from './routes/metrics.ts'
import { notebookCommentRoutes } from './routes/notebook-comments.ts'
import { notebookProblemRoutes } from './routes/notebook-problems.ts'
import { notebookVersionRoutes } from './routes/notebook-versions.ts'
import { notebookRoutes } from './routes/notebooks.ts'
import { sqlRoutes } from './routes/sql.ts'
import { workspaceRoutes } from './routes/workspaces.ts'

export interface AppDeps {
  logger: Logger
  readiness: ReadinessChecks
  scratchDuckdb: () => DuckdbDatabase | undefined
  /** Live notebook documents; undefined until the metadata DB is open. */
  collab?: () => CollabDeps | undefined
  /** Notebook files; undefined until the metadata DB is open. */
  notebooks?: () => NotebookService | undefined
  /** Notebook versions and comments; undefined until the metadata DB is open. */
  history?: () => NotebookHistoryServices | undefined
  /** Largest .ipynb accepted for import (bytes). */
  maxImportBytes?: number
  /** Accounts, sessions, authorization and the audit log (see `createIdentity`). */
  identity: Identity
  /** Folder of the built web app; omitted in API-only tests. */
  webDist?: string
  version?: string
}

/**
 * Builds the HTTP application. Pure wiring: every dependency comes in through `deps`, so tests call
 * `app.request()` in-process against real services.
 *
 * @example
 * const app = createApp({ logger, readiness, scratchDuckdb: () => duckdb, identity })
 * const res = await app.request('/api/healthz')
 */
export function createApp(deps: AppDeps) {
  const metrics = createHttpMetrics()
  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .route('/', healthRoutes(deps.identity, deps.readiness))
    .route('/', sqlRoutes(deps.identity, deps.scratchDuckdb))
    .route('/', metricsRoutes(deps.identity, metrics.registry))
    .route('/', apiDocsRoutes(deps.identity))
    .route('/', authRoutes(deps.identity))
    .route('/', meRoutes(deps.identity))
    .route('/', apiTokenRoutes(deps.identity))
    .route(
      '/',
      workspaceRoutes(deps.identity, { membershipChanged: collabMembershipSync(() => deps.collab?.()?.server) }),
    )
    .route('/', invitationRoutes(deps.identity))
    .route('/', auditRoutes(deps.identity))
    .route('/', adminRoutes(deps.identity))
    .route('/', collabRoutes(deps.identity, deps.collab ?? (() => undefined)))
    .route(
      '/',
      notebookRoutes(deps.identity, deps.notebooks ?? (() => undefined), {
        maxImportBytes: deps.maxImportBytes ?? 50 * 1024 * 1024,
      }),
    )
    .route('/', notebookVersionRoutes(deps.identity, deps.history ?? (() => undefined)))
    .route('/', notebookCommentRoutes(deps.identity, deps.history ?? (() => undefined)))
    .route(
      '/',
      notebookProblemRoutes(deps.identity, () => deps.history?.()?.db),
    )

  api.get('/openapi.json', authorize(deps.identity, can.public, 'docs.openapi'))
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A session access token (POST /api/auth/token) or a personal API token (wbt_…)',
  })
  api.openAPIRegistry.registerComponent('securitySchemes', 'cookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'wb_access',
    description: 'Browser session (POST /api/auth/login); writes also need the X-CSRF-Token header',
  })
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    servers: [{ url: '/api' }],
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
  app.use('*', clientContext(deps.identity.options.trustProxy))
  app.use('*', ...securityMiddleware(deps.identity.options))
  app.use('/api/*', authenticate(deps.identity))
  app.onError(errorHandler(deps.logger))
  app.notFound(notFoundHandler)
  app.route('/api', api)
  if (deps.webDist) app.route('/', webAppRoutes(deps.webDist))
  return app
}

export type App = ReturnType<typeof createApp>
