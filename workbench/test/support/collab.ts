import type { AddressInfo } from 'node:net'
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import { YNotebook } from '@jupyter/ydoc'
import pino from 'pino'
import { WebSocket, WebSocketServer } from 'ws'
import { WebsocketProvider } from 'y-websocket'
import { createApp } from '../../src/app.ts'
import { CollabServer, type CollabServerOptions } from '../../src/collab/collab-server.ts'
import { DocumentStore, type DocumentStoreOptions } from '../../src/collab/document-store.ts'
import { findNotebookOrThrow } from '../../src/collab/notebook-access.ts'
import type { MetadataDb } from '../../src/db/database.ts'
import { AppError } from '../../src/http/errors.ts'

export interface CollabFixture {
  baseUrl: string
  wsUrl: string
  collab: CollabServer
  store: DocumentStore
  close(): Promise<void>
}

/**
 * The collaboration endpoint on a real HTTP server (port 0) over a test database. Who connects is
 * decided by the `as` query parameter: `?as=viewer` gets read-only access, `?as=nobody` is refused.
 */
export async function startCollabFixture(
  db: MetadataDb,
  options: { store?: Partial<DocumentStoreOptions>; server?: Partial<CollabServerOptions> } = {},
): Promise<CollabFixture> {
  const logger = pino({ level: 'silent' })
  const store = new DocumentStore(db.db, logger, options.store)
  const collab = new CollabServer(store, logger, options.server)
  const app = createApp({
    logger,
    readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
    scratchDuckdb: () => undefined,
    collab: () => ({
      server: collab,
      authorize: async (c, notebookId) => {
        await findNotebookOrThrow(db.db, notebookId)
        const as = c.req.query('as') ?? 'editor'
        if (as === 'nobody') throw new AppError(403, 'forbidden', 'No access to this notebook')
        return { userId: as, canWrite: as !== 'viewer' }
      },
    }),
  })
  const server: ServerType = createAdaptorServer({
    fetch: app.fetch,
    websocket: { server: new WebSocketServer({ noServer: true }) },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/api/collab`,
    collab,
    store,
    close: async () => {
      await collab.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export async function createNotebookRow(db: MetadataDb, id: string, name = id): Promise<void> {
  await db.db
    .insertInto('notebooks')
    .values({ id, workspace_id: 'ws-test', name, created_by: null, deleted_at: null })
    .execute()
}

/** A collaborator: the real y-websocket client provider bound to a YNotebook, as the browser runs it. */
export interface TestClient {
  notebook: YNotebook
  provider: WebsocketProvider
  synced(): Promise<void>
  destroy(): void
}

export function connectClient(wsUrl: string, notebookId: string, params: Record<string, string> = {}): TestClient {
  const notebook = new YNotebook({})
  const provider = new WebsocketProvider(wsUrl, notebookId, notebook.ydoc, {
    params,
    // ws's WebSocket is API-compatible with the browser's for what the provider uses.
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
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
