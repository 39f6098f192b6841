import type { AddressInfo } from 'node:net'
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import { YNotebook } from '@jupyter/ydoc'
import pino from 'pino'
import { WebSocket, WebSocketServer } from 'ws'
import { WebsocketProvider } from 'y-websocket'
import { createApp } from '../../src/app.ts'
import { CollabServer, type CollabServerOptions } from '../../src/collab/collab-server.ts'
import { DocumentStore, type DocumentStoreOptions } from '../../src/collab/document-store.ts'
import { workspaceRoleAuthorizer } from '../../src/collab/notebook-access.ts'
import type { MetadataDb } from '../../src/db/database.ts'
import { IdleVersions } from '../../src/notebooks/idle-versions.ts'
import { NotebookComments } from '../../src/notebooks/notebook-comments.ts'
import { NotebookService } from '../../src/notebooks/notebook-service.ts'
import { NotebookVersions, type NotebookVersionsOptions } from '../../src/notebooks/notebook-versions.ts'
import { createMembers, type Members } from './members.ts'

export interface CollabFixture {
  baseUrl: string
  /** ws:// base of the notebooks of `workspaceId`: `${notebooksUrl}/${id}/collab` is a document. */
  notebooksUrl: string
  workspaceId: string
  /** Bearer tokens of an editor, a viewer and a member of another workspace. */
  tokens: { editor: string; viewer: string; outsider: string }
  collab: CollabServer
  store: DocumentStore
  notebooks: NotebookService
  versions: NotebookVersions
  comments: NotebookComments
  /** To add members (e.g. an admin) to `workspaceId` or make other workspaces. */
  members: Members
  close(): Promise<void>
}

/**
 * The collaboration endpoint on a real HTTP server (port 0) over a test database, with the real
 * identity layer: an editor, a viewer and an outsider (member of another workspace) to connect as.
 */
export async function startCollabFixture(
  db: MetadataDb,
  options: {
    store?: Partial<DocumentStoreOptions>
    server?: Partial<CollabServerOptions>
    versions?: Partial<NotebookVersionsOptions>
    /** Quiet period of automatic versions; none are taken when unset. */
    idleVersionMs?: number
  } = {},
): Promise<CollabFixture> {
  const logger = pino({ level: 'silent' })
  const store = new DocumentStore(db.db, logger, options.store)
  let idle: IdleVersions | undefined
  const collab = new CollabServer(store, logger, { ...options.server, onLoad: (room) => idle?.watch(room) })
  const notebooks = new NotebookService(db.db, store, collab)
  const versions = new NotebookVersions(db.db, store, collab, logger, options.versions)
  const comments = new NotebookComments(db.db, store, collab)
  if (options.idleVersionMs !== undefined) idle = new IdleVersions(versions, options.idleVersionMs, logger)
  const members = createMembers(db)
  const workspaceId = await members.workspace()
  const tokens = {
    editor: (await members.member(workspaceId, 'editor')).token,
    viewer: (await members.member(workspaceId, 'viewer')).token,
    outsider: (await members.member(await members.workspace(), 'owner')).token,
  }
  const app = createApp({
    logger,
    readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
    identity: members.identity,
    collab: () => ({ server: collab, authorize: workspaceRoleAuthorizer(db.db) }),
    notebooks: () => notebooks,
    history: () => ({ db: db.db, versions, comments }),
  })
  const server: ServerType = createAdaptorServer({
    fetch: app.fetch,
    websocket: { server: new WebSocketServer({ noServer: true }) },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    notebooksUrl: `ws://127.0.0.1:${port}/api/workspaces/${workspaceId}/notebooks`,
    workspaceId,
    tokens,
    collab,
    store,
    notebooks,
    versions,
    comments,
    members,
    close: async () => {
      await idle?.close()
      await collab.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export async function createNotebookRow(db: MetadataDb, workspaceId: string, id: string, name = id): Promise<void> {
  await db.db
    .insertInto('notebooks')
    .values({ id, workspace_id: workspaceId, name, created_by: null, deleted_at: null })
    .execute()
}

/** ws's WebSocket with an Authorization header, as the provider's WebSocket polyfill. */
export function authenticatedWebSocket(token: string) {
  return class extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers: { Authorization: `Bearer ${token}` } })
    }
  }
}

/** A collaborator: the real y-websocket client provider bound to a YNotebook, as the browser runs it. */
export interface TestClient {
  notebook: YNotebook
  provider: WebsocketProvider
  synced(): Promise<void>
  destroy(): void
}

export function connectClient(
  notebooksUrl: string,
  notebookId: string,
  token: string,
  params: Record<string, string> = {},
): TestClient {
  const notebook = new YNotebook({})
  const provider = new WebsocketProvider(notebooksUrl, `${notebookId}/collab`, notebook.ydoc, {
    params,
    // ws's WebSocket is API-compatible with the browser's for what the provider uses.
    WebSocketPolyfill: authenticatedWebSocket(token) as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: 500,
  })
  return {
    notebook,
    provider,
    synced: () =>
      provider.synced
        ? Promise.resolve()
        : new Promise((resolve) => provider.once('sync', (isSynced: boolean) => isSynced && resolve())),
    destroy: () => {
      provider.destroy()
      notebook.dispose()
    },
  }
}

export async function eventually(check: () => void | Promise<void>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await check()
      return
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}
