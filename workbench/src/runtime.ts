import { Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import { duckdbParser } from '@workbench/catalog'
import { OrchestratorClient } from '@workbench/orchestrator/client'
import type { Logger } from 'pino'
import { WebSocketServer } from 'ws'
import { type App, createApp } from './app.ts'
import { createIdentity } from './auth/identity.ts'
import { resolveSigningKey } from './auth/signing-key.ts'
import { catalogRefreshHandler } from './catalog/catalog-refresh-step.ts'
import { CatalogService, scheduleDiscovery } from './catalog/catalog-service.ts'
import { connectionSources } from './catalog/connection-sources.ts'
import { notebookLineage, pipelineStepLineage } from './catalog/lineage-producers.ts'
import { CollabServer } from './collab/collab-server.ts'
import { DocumentStore } from './collab/document-store.ts'
import { type CollabDeps, workspaceRoleAuthorizer } from './collab/notebook-access.ts'
import type { Config } from './config.ts'
import { ConnectionKernels } from './connections/connection-kernels.ts'
import { ConnectionService } from './connections/connection-service.ts'
import { KernelEgressProxy } from './connections/kernel-egress.ts'
import { resolveMasterKey } from './connections/master-key.ts'
import { reserveEndpoint } from './connections/network-guard.ts'
import { readKernelEgress } from './connections/network-settings.ts'
import { OutboundPolicy } from './connections/outbound-policy.ts'
import { WorkspaceKeys } from './connections/workspace-keys.ts'
import { type MetadataDb, openDatabase } from './db/database.ts'
import { migrateToLatest } from './db/migrate.ts'
import { ImportService } from './files/import-service.ts'
import { FileStorage } from './files/storage.ts'
import { UploadService } from './files/upload-service.ts'
import { NotFoundError } from './http/errors.ts'
import { registerServerPath } from './http/server-paths.ts'
import type { KernelDeps } from './kernels/kernel-deps.ts'
import { NotebookExecution } from './kernels/notebook-execution.ts'
import { type OpenConnectionKernel, SessionManager } from './kernels/session-manager.ts'
import { WorkspaceDatabases, type WorkspaceDuckdb } from './kernels/workspace-databases.ts'
import { WorkspaceQuotaWatcher } from './kernels/workspace-quota.ts'
import type { NotebookHistoryServices } from './notebooks/history-services.ts'
import { IdleVersions } from './notebooks/idle-versions.ts'
import { NotebookComments } from './notebooks/notebook-comments.ts'
import { NotebookService } from './notebooks/notebook-service.ts'
import { NotebookVersions } from './notebooks/notebook-versions.ts'
import { OdooServices } from './odoo/odoo-services.ts'
import { odooExtractHandler, odooWriteHandler } from './odoo/odoo-steps.ts'
import { kernelStepDeps, stepWorkspace } from './pipelines/kernel-step-deps.ts'
import { Pipelines } from './pipelines/pipelines-module.ts'
import { StepExecutor, stepFetch } from './pipelines/step-executor.ts'
import { WORKBENCH_STEP_TYPES } from './pipelines/step-registry.ts'
import { WorkspaceSqlRunner } from './pipelines/workspace-sql-runner.ts'
import type { FilesDeps } from './routes/files.ts'
import type { ReadinessChecks } from './routes/health.ts'
import { type JupyterService, startJupyter } from './services/jupyter-server.ts'
import { StartupError } from './services/startup-error.ts'
import { startTemporal, type TemporalService } from './services/temporal-server.ts'
import { Planner } from './sql/planner.ts'
import { ScratchDatabases } from './sql/scratch-databases.ts'
import { WorkspaceQueries } from './sql/workspace-queries.ts'
import { SupervisedWorker, type WorkerOptions } from './temporal/worker.ts'

export interface RunningWorkbench {
  url: string
  app: App
  db: MetadataDb
  jupyter: JupyterService
  temporal: TemporalService
  worker?: SupervisedWorker
  /** Notebook kernel sessions (one per notebook). */
  kernels: SessionManager
  /** The DuckDB database of each workspace. */
  workspaceDatabases: WorkspaceDatabases
  /** Stops every child and closes every resource; safe to call more than once. */
  stop(): Promise<void>
}

/**
 * Brings the whole workbench up: HTTP first (so a busy port fails in milliseconds and `/api/readyz`
 * can report progress), then the metadata DB with migrations, then Jupyter and Temporal in parallel,
 * then the in-process worker. Any failure stops what was started and rejects with a {@link StartupError}.
 */
export async function startWorkbench(
  config: Config,
  logger: Logger,
  options: { openConnectionKernel?: OpenConnectionKernel } = {},
): Promise<RunningWorkbench> {
  const readiness: ReadinessChecks = { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined }
  const cleanups: (() => Promise<void>)[] = []
  const stop = async () => {
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop()
      await cleanup?.().catch((err: unknown) => logger.error({ err }, 'error during shutdown'))
    }
  }

  try {
    // Scratch SQL runs in one database per account; the planner (lineage, masking, compile) is private.
    const scratch = new ScratchDatabases({ ...config.sql.scratch, statementTimeoutMs: config.sql.statementTimeoutMs })
    cleanups.push(() => scratch.close())
    const planner = await Planner.open()
    cleanups.push(async () => planner.close())
    readiness.duckdb = () => planner.ping()

    let metadata: MetadataDb | undefined
    registerServerPath(config.dataDir)
    const jwtSecret = await resolveSigningKey(config.auth.jwtSecret, config.dataDir)
    const identity = createIdentity({ db: () => metadata?.db, options: { ...config.auth, jwtSecret }, logger })
    let collab: CollabDeps | undefined
    let notebooks: NotebookService | undefined
    let kernelDeps: KernelDeps | undefined
    let connections: ConnectionService | undefined
    const workspaceDatabases = new WorkspaceDatabases({
      dataDir: config.dataDir,
      memoryLimit: config.kernels.duckdbMemoryLimit,
    })
    cleanups.push(() => workspaceDatabases.close())
    let jupyterEndpoint: JupyterService['endpoint'] | undefined
    const kernels = new SessionManager({
      databases: workspaceDatabases,
      settings: config.kernels,
      jupyter: () => jupyterEndpoint,
      openConnectionKernel: options.openConnectionKernel ?? new ConnectionKernels(() => connections).openKernel,
      logger,
    })
    cleanups.push(() => kernels.stop())
    const sandbox = config.jupyter.kind === 'embedded' ? config.jupyter.sandbox : undefined
    const quotaBytes = sandbox?.kind === 'bwrap' ? sandbox.diskQuotaBytes : 0
    if (quotaBytes > 0) {
      const quota = new WorkspaceQuotaWatcher({
        quotaBytes,
        intervalMs: config.kernels.quotaCheckMs,
        activeWorkspaces: () => kernels.activeWorkspaces(),
        dataDirOf: (workspaceId) => workspaceDatabases.dataDirOf(workspaceId),
        closeWorkspaceSessions: (workspaceId) => kernels.closeWorkspace(workspaceId),
        logger,
      })
      cleanups.push(async () => quota.stop())
    }
    let pipelines: Pipelines | undefined
    let orchestrator: OrchestratorClient | undefined
    let files: FilesDeps | undefined
    let catalog: CatalogService | undefined
    const workspaceQueries = new WorkspaceQueries({
      duckdb: workspaceDatabases.get,
      planner,
      catalog: () => catalog,
      statementTimeoutMs: config.sql.statementTimeoutMs,
      concurrencyPerUser: config.sql.scratch.concurrencyPerUser,
      maxRunning: config.sql.scratch.maxRunning,
    })
    let history: NotebookHistoryServices | undefined
    const app = createApp({
      logger,
      readiness,
      scratch: () => scratch,
      planner: () => planner,
      collab: () => collab,
      notebooks: () => notebooks,
      kernels: () => kernelDeps,
      connections: () => connections,
      pipelines: () => pipelines,
      files: () => files,
      catalog: () => catalog,
      workspaceQueries: () => workspaceQueries,
      history: () => history,
      // Contract F: every compile pins a notebook version taken just before it.
      beforeCompile: async (notebookId, userId) => {
        if (!history) return undefined
        const version = await history.versions.create(notebookId, { kind: 'pre-compile', userId })
        return { versionId: version.id }
      },
      maxImportBytes: config.notebooks.maxImportBytes,
      maxImportCells: config.notebooks.maxImportCells,
      maxBodyBytes: config.http.maxBodyBytes,
      identity,
      webDist: config.webDist,
    })
    const server = await listen(app, config.host, config.port)
    cleanups.push(() => closeServer(server))
    const { port } = server.address() as AddressInfo
    // The instance's own endpoints are never a destination of a request made on a user's behalf.
    const releaseOwnPort = reserveEndpoint('127.0.0.1', port)
    cleanups.push(async () => void releaseOwnPort())
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`
    logger.info({ url }, 'http listening; starting services')

    const db = await openDatabase(config.database)
    cleanups.push(() => db.close())
    const migration = await migrateToLatest(db.db)
    for (const result of migration.results ?? [])
      logger.info({ migration: result.migrationName, status: result.status }, 'migration')
    if (migration.error) {
      const failed = migration.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
      throw new StartupError(`migration ${failed} failed: ${errorMessage(migration.error)}`)
    }
    readiness.database = () => db.ping()
    const documents = new DocumentStore(db.db, logger)
    const collabServer: CollabServer = new CollabServer(documents, logger, {
      unloadDelayMs: config.notebooks.unloadDelayMs,
      onUnload: (id, room): Promise<void> => notebookService.refreshSearchText(id, room.doc),
      onLoad: (room) => idleVersions.watch(room),
    })
    const notebookService: NotebookService = new NotebookService(db.db, documents, collabServer)
    cleanups.push(() => collabServer.close())
    const versionConfig = config.notebooks.versions
    const versions = new NotebookVersions(db.db, documents, collabServer, logger, versionConfig)
    const idleVersions: IdleVersions = new IdleVersions(versions, versionConfig?.idleMs ?? 300_000, logger)
    cleanups.push(() => idleVersions.close())
    history = { db: db.db, versions, comments: new NotebookComments(db.db, documents, collabServer) }
    collab = { server: collabServer, authorize: workspaceRoleAuthorizer(db.db) }
    notebooks = notebookService
    kernelDeps = {
      sessions: kernels,
      execution: new NotebookExecution({
        sessions: kernels,
        collab: () => collabServer,
        logger,
        // Lineage and usage of SQL cells, recorded in the catalog without slowing the cells.
        onSqlExecuted: notebookLineage(() => catalog, logger),
        // PII-tagged columns are masked in the shared document (paging and export mask per user).
        planMasking: async (input) => catalog?.planResultMasking(input),
      }),
    }
    const masterKey = await resolveMasterKey(config.connections.masterKey, config.dataDir, {
      required: config.connections.masterKeyRequired,
    })
    // One outbound policy (and allow-list) for every request made on a user's behalf.
    const outbound = new OutboundPolicy(() => db.db)
    const connectionService = new ConnectionService({
      db: () => db.db,
      masterKey,
      logger,
      timeoutMs: config.connections.testTimeoutMs,
      pool: config.connections.pool,
      statementTimeoutMs: config.kernels.statementTimeoutMs,
    })
    cleanups.push(() => connectionService.close())
    connections = connectionService
    const odoo = new OdooServices({
      db: () => db.db,
      connections: connectionService,
      duckdb: workspaceDatabases.get,
      audit: identity.audit,
      logger,
    })
    const pipelinesModule = new Pipelines({
      db: db.db,
      logger,
      orchestrator: () => orchestrator,
      registry: WORKBENCH_STEP_TYPES,
      keys: new WorkspaceKeys(() => db.db, masterKey),
      dataDirOf: (workspaceId) => workspaceDatabases.dataDirOf(workspaceId),
      outbound,
    })
    const sealedSecrets = await pipelinesModule.sealClearSecrets()
    if (sealedSecrets > 0) logger.info({ sealed: sealedSecrets }, 'sealed alert secrets stored in clear')
    cleanups.push(() => pipelinesModule.stop())
    pipelines = pipelinesModule
    pipelinesModule.reporter.onStepSucceeded(pipelineStepLineage(db.db, () => catalog, logger))
    // The workspace DuckDB files are open in this process and cannot be opened by another: steps using
    // them run here, in the in-process worker or for separate workers through the step executor.
    const localSteps: WorkerOptions['steps'] = {
      registry: WORKBENCH_STEP_TYPES,
      fetch: stepFetch(outbound),
      authorize: (input) => pipelinesModule.reporter.authority.authorize(input),
      sql: new WorkspaceSqlRunner(workspaceDatabases.get, async (workspaceId, idOrName) => {
        if (!connections) throw new Error('connections are not available yet')
        const match = (await connections.list(workspaceId)).find((c) => c.id === idOrName || c.name === idOrName)
        if (!match) throw new NotFoundError('connection', idOrName)
        return connections.openKernel(workspaceId, match.id)
      }),
      kernels: kernelStepDeps({
        workspaceDuckdb: workspaceDatabases.get,
        dataDirOf: (workspaceId) => workspaceDatabases.dataDirOf(workspaceId),
        jupyter: () => jupyterEndpoint,
        notebooks: () => notebooks,
        workspaceOf: stepWorkspace,
        loadVersion: async (_workspaceId, notebookId, versionId) => {
          if (!history) throw new Error('notebook versions are not available yet')
          return (await history.versions.get(notebookId, versionId)).notebook
        },
      }),
    }
    // The workbench's own step types (their schemas are in WORKBENCH_STEP_TYPES).
    const ownHandlers = {
      'catalog.refresh': catalogRefreshHandler(() => catalog),
      'odoo.extract': odooExtractHandler(
        () => db.db,
        () => odoo,
      ),
      'odoo.write': odooWriteHandler(
        () => db.db,
        () => odoo,
      ),
    }
    const workerToken = config.temporal.workerApi?.token
    if (workerToken)
      pipelinesModule.stepExecutor = new StepExecutor({
        token: workerToken,
        steps: localSteps,
        authorize: (input) => pipelinesModule.reporter.authority.authorize(input),
        handlers: ownHandlers,
        reporter: pipelinesModule.reporter,
      })
    // Imported and dropped tables reach the catalog at once.
    files = startFiles(db, config, logger, cleanups, workspaceDatabases.get, (ws) => void catalog?.tablesChanged(ws))
    catalog = new CatalogService({
      db: db.db,
      logger,
      // Lineage and masking parse on the private planner, which user SQL never reaches.
      parse: duckdbParser((sql, o) => planner.query(sql, o)),
      workspaceDuckdb: workspaceDatabases.get,
      connectionSources: connectionSources(() => connections),
      statementTimeoutMs: config.sql.statementTimeoutMs,
    })
    await catalog.recoverInterruptedRuns()
    cleanups.push(scheduleDiscovery(catalog, config.catalog.discoveryIntervalMs, logger))
    metadata = db
    if (config.auth.admin && (await identity.users.ensureAdmin(config.auth.admin)))
      logger.info({ email: config.auth.admin.email }, 'created the first instance admin from ADMIN_EMAIL')

    // Sandboxed kernels reach the network only through this proxy, under the admins' egress setting.
    const egress =
      config.jupyter.kind === 'embedded' && config.jupyter.sandbox?.kind === 'bwrap'
        ? new KernelEgressProxy({ policy: outbound, mode: () => readKernelEgress(db.db), logger })
        : undefined
    if (egress) {
      cleanups.push(() => egress.stop())
      await egress.start()
    }
    const [jupyter, temporal] = await settleAll([
      startJupyter(config.jupyter, logger, { egressRoot: egress?.root }).then((service) => {
        cleanups.push(() => service.stop())
        // Kernels are shut down before Jupyter stops (cleanups run last-in, first-out).
        cleanups.push(() => kernels.stop())
        jupyterEndpoint = service.endpoint
        const jupyterUrl = new URL(service.endpoint.baseUrl)
        if (['127.0.0.1', 'localhost'].includes(jupyterUrl.hostname) && jupyterUrl.port) {
          const release = reserveEndpoint('127.0.0.1', Number(jupyterUrl.port))
          cleanups.push(async () => void release())
        }
        readiness.jupyter = () => service.check()
        return service
      }),
      startTemporal(config.temporal, logger).then((service) => {
        cleanups.push(() => service.stop())
        readiness.temporal = () => service.check()
        return service
      }),
    ])

    orchestrator = new OrchestratorClient({
      connection: temporal.connection,
      namespace: temporal.namespace,
      taskQueue: config.temporal.taskQueue,
    })
    pipelinesModule.start()

    let worker: SupervisedWorker | undefined
    if (config.temporal.inProcessWorker) {
      worker = new SupervisedWorker(
        {
          address: temporal.address,
          namespace: temporal.namespace,
          taskQueue: config.temporal.taskQueue,
          identity: `workbench@${os.hostname()}:${process.pid}`,
          reporter: pipelinesModule.reporter,
          steps: localSteps,
          handlers: ownHandlers,
        },
        logger,
      )
      await worker.start()
      cleanups.push(() => worker?.stop() ?? Promise.resolve())
    }
    logger.info({ url }, 'workbench ready')
    return { url, app, db, jupyter, temporal, worker, kernels, workspaceDatabases, stop }
  } catch (err) {
    await stop()
    throw err instanceof StartupError ? err : new StartupError(errorMessage(err))
  }
}

/** Uploads and imports, with the sweep of abandoned uploads (at start, then every few minutes). */
function startFiles(
  db: MetadataDb,
  config: Config,
  logger: Logger,
  cleanups: (() => Promise<void>)[],
  duckdb: WorkspaceDuckdb,
  onTablesChanged: (workspaceId: string) => void,
): FilesDeps {
  const uploads = new UploadService(db.db, new FileStorage(config.dataDir), config.files)
  const sweep = () =>
    uploads
      .sweep()
      .then((n) => n > 0 && logger.info({ removed: n }, 'removed abandoned uploads'))
      .catch((err: unknown) => logger.warn({ err }, 'sweeping abandoned uploads failed'))
  void sweep()
  const timer = setInterval(sweep, Math.min(config.files.staleAfterMs, 10 * 60_000))
  timer.unref()
  cleanups.push(async () => clearInterval(timer))
  return { uploads, imports: new ImportService(db.db, uploads, duckdb, onTablesChanged) }
}

/** Like Promise.all, but waits for every promise, so nothing is still starting when we clean up. */
async function settleAll<T extends unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises)
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failure) throw failure.reason
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T
}

function listen(app: App, host: string, port: number): Promise<ServerType> {
  // WebSocket upgrades (collaboration) are routed through the Hono app like any request.
  const server = createAdaptorServer({
    fetch: app.fetch,
    websocket: { server: new WebSocketServer({ noServer: true }) },
  })
  // An idle keep-alive connection outlives the proxy's (nginx keeps upstream connections 60 s): with Node's 5 s
  // the server could close a connection the proxy or a client is just reusing, and that request fails with a
  // reset instead of an answer.
  if (server instanceof HttpServer) {
    server.keepAliveTimeout = 65_000
    server.headersTimeout = 66_000
  }
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new StartupError(`port ${port} on ${host} is already in use: stop the other process or set PORT`))
      } else if (err.code === 'EACCES') {
        reject(new StartupError(`no permission to listen on ${host}:${port}: choose a PORT above 1023`))
      } else {
        reject(new StartupError(`cannot listen on ${host}:${port}: ${err.message}`))
      }
    })
    server.listen(port, host, () => resolve(server))
  })
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    // Keep-alive connections would hold close() open.
    if ('closeAllConnections' in server) server.closeAllConnections()
  })
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
