import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo, Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import { duckdbParser } from '@workbench/catalog'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import pino from 'pino'
import { WebSocketServer } from 'ws'
import { startJupyterServer, type TestJupyterServer } from '../../../kernels/test/support/jupyter-server.ts'
import { createApp } from '../../../workbench/src/app.ts'
import { createIdentity } from '../../../workbench/src/auth/identity.ts'
import { CatalogService } from '../../../workbench/src/catalog/catalog-service.ts'
import { CollabServer } from '../../../workbench/src/collab/collab-server.ts'
import { DocumentStore } from '../../../workbench/src/collab/document-store.ts'
import { workspaceRoleAuthorizer } from '../../../workbench/src/collab/notebook-access.ts'
import { loadConfig } from '../../../workbench/src/config.ts'
import type { KernelDeps } from '../../../workbench/src/kernels/kernel-deps.ts'
import { NotebookExecution } from '../../../workbench/src/kernels/notebook-execution.ts'
import { defaultKernelSettings, SessionManager } from '../../../workbench/src/kernels/session-manager.ts'
import { WorkspaceDatabases } from '../../../workbench/src/kernels/workspace-databases.ts'
import type { NotebookHistoryServices } from '../../../workbench/src/notebooks/history-services.ts'
import { NotebookComments } from '../../../workbench/src/notebooks/notebook-comments.ts'
import { NotebookService } from '../../../workbench/src/notebooks/notebook-service.ts'
import { NotebookVersions } from '../../../workbench/src/notebooks/notebook-versions.ts'
import { createTestDatabase, type TestDatabase } from '../../../workbench/test/support/databases.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')

/** Builds the current web sources into `outDir` (never a stale dist). */
export interface NotebookServer {
  url: string
  collab: CollabServer
  database: TestDatabase
  /** The catalog (with `catalog: true`): SQL results of its PII-tagged columns are masked as in the runtime. */
  catalog?: CatalogService
  /** The workspace DuckDB of a workspace (with `kernels` or `catalog`). */
  workspaceDuckdb?: (workspaceId: string) => Promise<DuckdbDatabase>
  /** Drops every connection and stops listening (the browser sees the server go away). */
  goDown(): Promise<void>
  /** Listens again on the same port. */
  comeBack(): Promise<void>
  dispose(): Promise<void>
}

export interface NotebookServerOptions {
  /** Notebook execution: a workspace DuckDB in a temp folder and Python kernels on a real Jupyter Server. */
  kernels?: boolean
  /** Notebook versions and comments (their panels stay hidden without them). */
  history?: boolean
  /**
   * The catalog over the kernels' workspace DuckDB, with result masking wired as in the runtime. Without
   * `kernels`, SQL cells still run (on DuckDB) but no Jupyter Server is started.
   */
  catalog?: boolean
}

/**
 * The API with identity, notebooks and live collaboration (no Temporal; execution and history on request)
 * over PGlite, serving the built web app on a free port, as the browser tests need it.
 */
export async function startNotebookServer(
  webDist: string,
  options: NotebookServerOptions = {},
): Promise<NotebookServer> {
  const database = await createTestDatabase('pglite', { migrate: true })
  const logger = pino({ level: 'silent' })
  const config = loadConfig(
    { AUTH_JWT_SECRET: 'browser-test-signing-key-0123456789-abcdefghijkl', TRUST_PROXY: 'false' },
    ROOT,
  )
  const identity = createIdentity({
    db: () => database.db,
    options: { ...config.auth, jwtSecret: config.auth.jwtSecret as string },
    logger,
  })
  const documents = new DocumentStore(database.db, logger)
  const collab = new CollabServer(documents, logger, { unloadDelayMs: 1_000 })
  const notebooks = new NotebookService(database.db, documents, collab)
  const history: NotebookHistoryServices | undefined = options.history
    ? {
        db: database.db,
        versions: new NotebookVersions(database.db, documents, collab, logger),
        comments: new NotebookComments(database.db, documents, collab),
      }
    : undefined
  let catalog: CatalogService | undefined
  const kernels =
    options.kernels || options.catalog
      ? await startKernels(collab, logger, { python: options.kernels === true, catalog: () => catalog })
      : undefined
  if (options.catalog && kernels) {
    const scratch = await DuckdbDatabase.open({ path: ':memory:', sandboxed: true })
    kernels.onStop.push(async () => scratch.close())
    catalog = new CatalogService({
      db: database.db,
      logger,
      parse: duckdbParser((sql, o) => scratch.query(sql, o)),
      workspaceDuckdb: kernels.databases.get,
    })
  }
  const app = createApp({
    logger,
    readiness: { database: () => database.ping(), duckdb: undefined, jupyter: undefined, temporal: undefined },
    identity,
    notebooks: () => notebooks,
    collab: () => ({ server: collab, authorize: workspaceRoleAuthorizer(database.db) }),
    kernels: () => kernels?.deps,
    history: () => history,
    catalog: () => catalog,
    webDist,
  })
  const sockets = new Set<Socket>()
  let down = false
  const server: ServerType = createAdaptorServer({
    fetch: app.fetch,
    websocket: { server: new WebSocketServer({ noServer: true }) },
  })
  // An outage: every connection is cut, and new ones are dropped on arrival, until `comeBack`.
  // (Closing the server would also close its WebSocket server for good.)
  server.on('connection', (s: Socket) => {
    if (down) return void s.destroy()
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    collab,
    database,
    catalog,
    workspaceDuckdb: kernels ? (id) => kernels.databases.get(id) : undefined,
    goDown: async () => {
      down = true
      for (const s of sockets) s.destroy()
    },
    comeBack: async () => {
      down = false
    },
    dispose: async () => {
      down = true
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await catalog?.idle()
      await kernels?.stop()
      await collab.close()
      await database.dispose()
    },
  }
}

/** Sessions and execution as runtime.ts wires them, on a throwaway data folder and Jupyter Server. */
async function startKernels(
  collab: CollabServer,
  logger: pino.Logger,
  options: { python: boolean; catalog: () => CatalogService | undefined },
): Promise<{
  deps: KernelDeps
  databases: WorkspaceDatabases
  onStop: (() => Promise<void>)[]
  stop(): Promise<void>
}> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'web-kernels-'))
  const jupyter: TestJupyterServer | undefined = options.python ? await startJupyterServer() : undefined
  const onStop: (() => Promise<void>)[] = []
  const databases = new WorkspaceDatabases({ dataDir, memoryLimit: defaultKernelSettings.duckdbMemoryLimit })
  const sessions = new SessionManager({
    databases,
    settings: defaultKernelSettings,
    jupyter: () => (jupyter ? { baseUrl: jupyter.baseUrl, token: jupyter.token } : undefined),
    logger,
  })
  return {
    deps: {
      sessions,
      execution: new NotebookExecution({
        sessions,
        collab: () => collab,
        logger,
        planMasking: async (input) => options.catalog()?.planResultMasking(input),
      }),
    },
    databases,
    onStop,
    stop: async () => {
      await sessions.stop()
      for (const stop of onStop) await stop()
      await databases.close()
      await jupyter?.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
