import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createAdaptorServer, type ServerType } from '@hono/node-server'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import { OrchestratorClient } from '@workbench/orchestrator/client'
import pino from 'pino'
import { WebSocketServer } from 'ws'
import {
  type PipelineEnv,
  startPipelineEnv,
  startWebhookServer,
} from '../../../orchestrator/test/support/pipeline-env.ts'
import { createApp } from '../../../workbench/src/app.ts'
import { DocumentStore } from '../../../workbench/src/collab/document-store.ts'
import { generateKey } from '../../../workbench/src/connections/secret-box.ts'
import { WorkspaceKeys } from '../../../workbench/src/connections/workspace-keys.ts'
import { NotebookService } from '../../../workbench/src/notebooks/notebook-service.ts'
import { Pipelines } from '../../../workbench/src/pipelines/pipelines-module.ts'
import { createTestDatabase, type TestDatabase } from '../../../workbench/test/support/databases.ts'
import { createMembers, type Members } from '../../../workbench/test/support/members.ts'

export interface PipelinesServer {
  url: string
  pipelines: Pipelines
  notebooks: NotebookService
  members: Members
  /** Local webhooks for `http` steps: `/ok` answers 200, `/hang` never answers, `/flaky` 503 while `flaky.fails`. */
  webhooks: { url: string; flaky: { fails: boolean } }
  /** A workspace's data folder (step artifacts are downloaded from under it). */
  dataDirOf(workspaceId: string): string
  dispose(): Promise<void>
}

/**
 * The API with identity, notebooks (for compiling) and pipelines on a real Temporal dev server with an
 * in-process worker, over PGlite, serving the built web app and websockets on a free port.
 */
export async function startPipelinesServer(webDist: string): Promise<PipelinesServer> {
  const flaky = { fails: true }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pipelines-web-'))
  const dataDirOf = (workspaceId: string) => path.join(dataDir, 'workspaces', workspaceId, 'data')
  const webhooks = await startWebhookServer({
    '/ok': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    '/hang': () => {},
    '/flaky': (_req, res) => res.writeHead(flaky.fails ? 503 : 200, { 'content-type': 'application/json' }).end('{}'),
  })
  let env: PipelineEnv | undefined
  let database: TestDatabase | undefined
  let scratch: DuckdbDatabase | undefined
  let pipelines: Pipelines | undefined
  let server: ServerType | undefined
  const dispose = async () => {
    await new Promise<void>((resolve) => {
      if (!server) return resolve()
      server.close(() => resolve())
      if ('closeAllConnections' in server) server.closeAllConnections()
    })
    await pipelines?.stop()
    await env?.dispose()
    scratch?.close()
    await database?.dispose()
    await webhooks.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    env = await startPipelineEnv()
    const metadata = await createTestDatabase('pglite', { migrate: true })
    database = metadata
    const client = new OrchestratorClient({
      connection: env.env.connection,
      namespace: env.env.namespace ?? 'default',
      taskQueue: env.taskQueue,
    })
    const logger = pino({ level: 'silent' })
    const started = new Pipelines({
      db: database.db,
      logger,
      orchestrator: () => client,
      backgroundEveryMs: 0,
      keys: new WorkspaceKeys(() => metadata.db, generateKey()),
      dataDirOf,
    })
    pipelines = started
    await env.startWorker({ reporter: started.reporter })
    const members = createMembers(database)
    const notebooks = new NotebookService(database.db, new DocumentStore(database.db, logger))
    // Compiling a notebook parses its SQL with DuckDB to find what each cell reads and writes.
    const parser = await DuckdbDatabase.open({ path: ':memory:', sandboxed: true })
    scratch = parser
    const db = database
    const app = createApp({
      identity: members.identity,
      logger,
      readiness: { database: () => db.ping(), duckdb: undefined, jupyter: undefined, temporal: undefined },
      planner: () => parser,
      notebooks: () => notebooks,
      pipelines: () => started,
      webDist,
    })
    const listening = createAdaptorServer({
      fetch: app.fetch,
      websocket: { server: new WebSocketServer({ noServer: true }) },
    })
    server = listening
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve))
    return {
      url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`,
      pipelines: started,
      notebooks,
      members,
      webhooks: { url: webhooks.url, flaky },
      dataDirOf,
      dispose,
    }
  } catch (err) {
    await dispose()
    throw err
  }
}
