import { OpenAPIHono } from '@hono/zod-openapi'
import { requestId } from 'hono/request-id'
import type { Logger } from 'pino'
import { authenticate, clientContext } from './auth/authenticate.ts'
import { authorize, can } from './auth/authorize.ts'
import type { Identity } from './auth/identity.ts'
import type { CatalogService } from './catalog/catalog-service.ts'
import type { CollabDeps } from './collab/notebook-access.ts'
import type { ConnectionService } from './connections/connection-service.ts'
import { requestBodyLimit } from './http/body-limit.ts'
import type { AppEnv } from './http/env.ts'
import { errorHandler, notFoundHandler } from './http/errors.ts'
import { createHttpMetrics } from './http/metrics.ts'
import { requestLogger } from './http/request-logger.ts'
import { securityMiddleware } from './http/security.ts'
import { rejectNulBytes, validationHook } from './http/validation.ts'
import { webAppRoutes } from './http/web-app.ts'
import type { KernelDeps } from './kernels/kernel-deps.ts'
import type { NotebookHistoryServices } from './notebooks/history-services.ts'
import type { NotebookService } from './notebooks/notebook-service.ts'
import type { Pipelines } from './pipelines/pipelines-module.ts'
import { adminRoutes } from './routes/admin.ts'
import { apiDocsRoutes } from './routes/api-docs.ts'
import { apiTokenRoutes } from './routes/api-tokens.ts'
import { auditRoutes } from './routes/audit.ts'
import { authRoutes } from './routes/auth.ts'
import { catalogRoutes } from './routes/catalog.ts'
import { catalogNotebookRoutes } from './routes/catalog-notebook.ts'
import { collabRoutes } from './routes/collab.ts'
import { connectionRoutes } from './routes/connections.ts'
import { type FilesDeps, fileRoutes } from './routes/files.ts'
import { healthRoutes, type ReadinessChecks } from './routes/health.ts'
import { invitationRoutes } from './routes/invitations.ts'
import { kernelRoutes } from './routes/kernels.ts'
import { mcpRoutes } from './routes/mcp.ts'
import { meRoutes } from './routes/me.ts'
import { metricsRoutes } from './routes/metrics.ts'
import { notebookCellRoutes } from './routes/notebook-cells.ts'
import { notebookCommentRoutes } from './routes/notebook-comments.ts'
import { notebookExecutionRoutes } from './routes/notebook-execution.ts'
import { notebookProblemRoutes } from './routes/notebook-problems.ts'
import { notebookVersionRoutes } from './routes/notebook-versions.ts'
import { notebookRoutes } from './routes/notebooks.ts'
import { documentOtherRoutes } from './routes/openapi-other-routes.ts'
import { type BeforeCompile, duckdbParseSql, pipelineCompileRoutes } from './routes/pipeline-compile.ts'
import { pipelineLogRoutes } from './routes/pipeline-logs-live.ts'
import { pipelineRunRoutes } from './routes/pipeline-runs.ts'
import { pipelineWorkerRoutes } from './routes/pipeline-worker.ts'
import { pipelineRoutes } from './routes/pipelines.ts'
import { sqlRoutes } from './routes/sql.ts'
import { workspaceSqlRoutes } from './routes/workspace-sql.ts'
import { workspaceRoutes } from './routes/workspaces.ts'
import type { Planner } from './sql/planner.ts'
import type { ScratchDatabases } from './sql/scratch-databases.ts'
import type { WorkspaceQueries } from './sql/workspace-queries.ts'

export interface AppDeps {
  logger: Logger
  readiness: ReadinessChecks
  /** Each account's scratch DuckDB; undefined: scratch SQL answers 503. */
  scratch?: () => ScratchDatabases | undefined
  /** The private SQL parser (pipeline compile); user SQL never reaches it. */
  planner?: () => Pick<Planner, 'query'> | undefined
  /** Live notebook documents; undefined until the metadata DB is open. */
  collab?: () => CollabDeps | undefined
  /** Notebook files; undefined until the metadata DB is open. */
  notebooks?: () => NotebookService | undefined
  /** Kernel sessions and server-side notebook execution; undefined until they are up (routes answer 503). */
  kernels?: () => KernelDeps | undefined
  /** Workspace connections; undefined until the metadata DB is open. */
  connections?: () => ConnectionService | undefined
  /** Pipelines, schedules and runs; undefined until the metadata DB is open. */
  pipelines?: () => Pipelines | undefined
  /** Data file uploads and imports; undefined until the metadata DB is open. */
  files?: () => FilesDeps | undefined
  /** The data catalog; undefined until the metadata DB is open. */
  catalog?: () => CatalogService | undefined
  /** Read-only SQL on workspace databases (viewers, agents); undefined: those routes answer 503. */
  workspaceQueries?: () => WorkspaceQueries | undefined
  /** Notebook versions and comments; undefined until the metadata DB is open. */
  history?: () => NotebookHistoryServices | undefined
  /** Largest request body of routes without a limit of their own (bytes; default 1 MiB). */
  maxBodyBytes?: number
  /** Largest .ipynb accepted for import (bytes). */
  maxImportBytes?: number
  /** Most cells an imported .ipynb may have. */
  maxImportCells?: number
  /** Notebook -> pipeline compiles snapshot a notebook version first. */
  beforeCompile?: BeforeCompile
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
 * const app = createApp({ logger, readiness, scratch: () => scratch, identity })
 * const res = await app.request('/api/healthz')
 */
export function createApp(deps: AppDeps) {
  const metrics = createHttpMetrics()
  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .route('/', healthRoutes(deps.identity, deps.readiness))
    .route('/', sqlRoutes(deps.identity, deps.scratch ?? (() => undefined)))
    .route('/', workspaceSqlRoutes(deps.identity, deps.workspaceQueries ?? (() => undefined)))
    .route('/', metricsRoutes(deps.identity, metrics.registry))
    .route('/', apiDocsRoutes(deps.identity))
    .route('/', authRoutes(deps.identity))
    .route('/', meRoutes(deps.identity))
    .route('/', apiTokenRoutes(deps.identity))
    .route('/', workspaceRoutes(deps.identity))
    .route('/', invitationRoutes(deps.identity))
    .route('/', auditRoutes(deps.identity))
    .route('/', adminRoutes(deps.identity))
    .route('/', collabRoutes(deps.identity, deps.collab ?? (() => undefined)))
    .route(
      '/',
      notebookRoutes(deps.identity, deps.notebooks ?? (() => undefined), {
        maxImportBytes: deps.maxImportBytes ?? 50 * 1024 * 1024,
        maxImportCells: deps.maxImportCells,
      }),
    )
    .route('/', notebookCellRoutes(deps.identity, deps.notebooks ?? (() => undefined)))
    .route('/', kernelRoutes(deps.identity, deps.kernels ?? (() => undefined)))
    .route('/', notebookExecutionRoutes(deps.identity, deps.kernels ?? (() => undefined)))
    .route('/', connectionRoutes(deps.identity, deps.connections ?? (() => undefined)))
    .route(
      '/',
      pipelineCompileRoutes(deps.identity, {
        notebooks: deps.notebooks ?? (() => undefined),
        parseSql: async (sql) => {
          const planner = deps.planner?.()
          if (!planner) throw new Error('the SQL planner is not open')
          return duckdbParseSql((text) => planner.query(text))(sql)
        },
        beforeCompile: deps.beforeCompile,
      }),
    )
    .route('/', pipelineRoutes(deps.identity, deps.pipelines ?? (() => undefined)))
    .route('/', pipelineRunRoutes(deps.identity, deps.pipelines ?? (() => undefined)))
    .route('/', pipelineLogRoutes(deps.identity, deps.pipelines ?? (() => undefined)))
    .route('/', fileRoutes(deps.identity, deps.files ?? (() => undefined)))
    .route('/', catalogRoutes(deps.identity, deps.catalog ?? (() => undefined)))
    .route(
      '/',
      catalogNotebookRoutes(deps.identity, {
        catalog: deps.catalog ?? (() => undefined),
        notebooks: deps.notebooks ?? (() => undefined),
      }),
    )
    .route('/', notebookVersionRoutes(deps.identity, deps.history ?? (() => undefined)))
    .route('/', notebookCommentRoutes(deps.identity, deps.history ?? (() => undefined)))
    .route('/', notebookProblemRoutes(deps.identity))

  api.get('/openapi.json', authorize(deps.identity, can.public, 'docs.openapi'))
  documentOtherRoutes(api)
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
  // Before authentication: an anonymous oversized body is refused without being read whole.
  app.use('*', requestBodyLimit({ maxBytes: deps.maxBodyBytes ?? 1024 * 1024 }))
  app.use('/api/*', metrics.middleware)
  app.use('*', clientContext(deps.identity.options.trustProxy))
  app.use('*', ...securityMiddleware(deps.identity.options))
  app.use('/api/*', rejectNulBytes())
  app.use('/api/*', authenticate(deps.identity))
  app.use('/mcp', authenticate(deps.identity))
  app.onError(errorHandler(deps.logger))
  app.notFound(notFoundHandler)
  app.route('/api', api)
  app.route('/', pipelineWorkerRoutes(deps.pipelines ?? (() => undefined)))
  // MCP tools call the REST API above in-process, with the caller's credential (see mcp/rest-bridge.ts).
  app.route(
    '/',
    mcpRoutes(deps.identity, {
      api: (path, init, env) => app.request(path, init, env),
      version: deps.version ?? '0.1.0',
    }),
  )
  if (deps.webDist) app.route('/', webAppRoutes(deps.webDist))
  return app
}

export type App = ReturnType<typeof createApp>
