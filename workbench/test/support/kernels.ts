import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import { duckdbParser } from '@workbench/catalog'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import pino from 'pino'
import { WebSocket, WebSocketServer } from 'ws'
import type { TestJupyterServer } from '../../../kernels/test/support/jupyter-server.ts'
import { createApp } from '../../src/app.ts'
import { CatalogService } from '../../src/catalog/catalog-service.ts'
import { notebookLineage } from '../../src/catalog/lineage-producers.ts'
import { CollabServer } from '../../src/collab/collab-server.ts'
import { DocumentStore } from '../../src/collab/document-store.ts'
import { workspaceRoleAuthorizer } from '../../src/collab/notebook-access.ts'
import type { MetadataDb } from '../../src/db/database.ts'
import { NotebookExecution, type NotebookExecutionOptions } from '../../src/kernels/notebook-execution.ts'
import {
  defaultKernelSettings,
  type KernelSettings,
  type OpenConnectionKernel,
  SessionManager,
} from '../../src/kernels/session-manager.ts'
import { WorkspaceDatabases } from '../../src/kernels/workspace-databases.ts'
import { NotebookService } from '../../src/notebooks/notebook-service.ts'
import { createMembers } from './members.ts'

export type Role = 'editor' | 'viewer' | 'outsider' | 'admin'

export interface KernelFixture {
  baseUrl: string
  workspaceId: string
  /** ws:// base of the workspace's notebooks, for collaboration clients. */
  notebooksUrl: string
  tokens: Record<Role, string>
  editorId: string
  sessions: SessionManager
  collab: CollabServer
  store: DocumentStore
  databases: WorkspaceDatabases
  /** The catalog (with its routes), when asked for: SQL cells record their lineage in it as in the runtime. */
  catalog?: CatalogService
  /** A JSON request as `role`; answers status and parsed body (or text). */
  api(role: Role, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>
  /** A raw websocket to `path` (under /api) as `role`. */
  websocket(role: Role, path: string): WebSocket
  close(): Promise<void>
}

/**
 * The execution API on a real HTTP server (port 0): real identity over the test database (an editor, a
 * viewer and an outsider from another workspace), real collaboration rooms, a workspace DuckDB in a temp
 * folder, and Python kernels on the given real Jupyter server.
 */
export async function startKernelFixture(
  db: MetadataDb,
  jupyter: TestJupyterServer,
  settings: Partial<KernelSettings> = {},
  collabOptions: { unloadDelayMs?: number } = {},
  openConnectionKernel?: OpenConnectionKernel,
  extras: { catalog?: boolean; onSqlExecuted?: NotebookExecutionOptions['onSqlExecuted'] } = {},
): Promise<KernelFixture> {
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kernels-api-'))
  const store = new DocumentStore(db.db, logger)
  const collab = new CollabServer(store, logger, collabOptions)
  const members = createMembers(db)
  const workspaceId = await members.workspace()
  const editor = await members.member(workspaceId, 'editor')
  const tokens = {
    editor: editor.token,
    viewer: (await members.member(workspaceId, 'viewer')).token,
    admin: (await members.member(workspaceId, 'admin')).token,
    outsider: (await members.member(await members.workspace(), 'owner')).token,
  }
  const merged = { ...defaultKernelSettings, ...settings }
  const databases = new WorkspaceDatabases({ dataDir, memoryLimit: merged.duckdbMemoryLimit })
  const sessions = new SessionManager({
    databases,
    settings: merged,
    jupyter: () => ({ baseUrl: jupyter.baseUrl, token: jupyter.token }),
    openConnectionKernel,
    logger,
  })
  const scratch = extras.catalog ? await DuckdbDatabase.open({ path: ':memory:', sandboxed: true }) : undefined
  const catalog = scratch
    ? new CatalogService({
        db: db.db,
        logger,
        parse: duckdbParser((sql, o) => scratch.query(sql, o)),
        workspaceDuckdb: databases.get,
      })
    : undefined
  const execution = new NotebookExecution({
    sessions,
    collab: () => collab,
    logger,
    onSqlExecuted: extras.onSqlExecuted ?? (catalog ? notebookLineage(() => catalog, logger) : undefined),
    planMasking: catalog ? (input) => catalog.planResultMasking(input) : undefined,
  })
  const notebooks = new NotebookService(db.db, store, collab)
  const app = createApp({
    logger,
    readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
    identity: members.identity,
    collab: () => ({ server: collab, authorize: workspaceRoleAuthorizer(db.db) }),
    kernels: () => ({ sessions, execution }),
    catalog: () => catalog,
    notebooks: () => notebooks,
  })
  const server: ServerType = createAdaptorServer({
    fetch: app.fetch,
    websocket: { server: new WebSocketServer({ noServer: true }) },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const baseUrl = `http://127.0.0.1:${port}`
  return {
    baseUrl,
    workspaceId,
    notebooksUrl: `ws://127.0.0.1:${port}/api/workspaces/${workspaceId}/notebooks`,
    tokens,
    editorId: editor.userId,
    sessions,
    collab,
    store,
    databases,
    catalog,
    api: async (role, method, p, body) => {
      const res = await fetch(`${baseUrl}/api${p}`, {
        method,
        headers: {
          authorization: `Bearer ${tokens[role]}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = text ? JSON.parse(text) : undefined
      } catch {}
      return { status: res.status, body: parsed }
    },
    websocket: (role, p) =>
      new WebSocket(`${baseUrl.replace('http', 'ws')}/api${p}`, {
        headers: { authorization: `Bearer ${tokens[role]}` },
      }),
    close: async () => {
      await sessions.stop()
      await catalog?.idle()
      await collab.close()
      scratch?.close()
      await databases.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
