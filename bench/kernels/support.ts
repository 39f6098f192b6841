import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createAdaptorServer } from '@hono/node-server'
import type { ServerMessage } from '@workbench/kernels'
import pino from 'pino'
import WebSocket, { WebSocketServer } from 'ws'
import { createApp } from '../../workbench/src/app.ts'
import { createIdentity } from '../../workbench/src/auth/identity.ts'
import { loadConfig } from '../../workbench/src/config.ts'
import { openDatabase } from '../../workbench/src/db/database.ts'
import { migrateToLatest } from '../../workbench/src/db/migrate.ts'
import { NotebookExecution } from '../../workbench/src/kernels/notebook-execution.ts'
import { defaultKernelSettings, SessionManager } from '../../workbench/src/kernels/session-manager.ts'
import { WorkspaceDatabases } from '../../workbench/src/kernels/workspace-databases.ts'
import { type JupyterService, startJupyter } from '../../workbench/src/services/jupyter-server.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')

export interface BenchWorkbench {
  url: string
  dataDir: string
  workspaceId: string
  jupyter?: JupyterService
  kernels: SessionManager
  /** The data folder of the bench workspace (the only place its SQL may write files). */
  workspaceDataDir: string
  /** A new notebook session of the bench workspace; returns its id. */
  newSession(): Promise<string>
  /** POST JSON under /api, as the signed-in bench user; parse JSON. */
  post(path: string, body: unknown): Promise<unknown>
  stop(): Promise<void>
}

/**
 * The workbench's HTTP app with the execution API on a real socket (websocket included), a signed-in
 * workspace owner (in-memory metadata DB), and, if asked, the embedded Jupyter Server exactly as
 * `npm start` runs it. No Temporal: not on this path.
 */
export async function startBenchWorkbench(options: { jupyter?: boolean } = {}): Promise<BenchWorkbench> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-kernels-'))
  const logger = pino({ level: 'silent' })
  const jupyter = options.jupyter
    ? // As `npm start` configures it: kernels sandboxed unless KERNEL_SANDBOX=off (to compare both).
      await startJupyter(
        loadConfig({ DATA_DIR: dataDir, KERNEL_SANDBOX: process.env.KERNEL_SANDBOX }, ROOT).jupyter,
        logger,
      )
    : undefined
  const metadata = await openDatabase({ kind: 'pglite', dataDir: 'memory://' })
  await migrateToLatest(metadata.db)
  const { auth } = loadConfig({ AUTH_JWT_SECRET: randomBytes(32).toString('hex') }, ROOT)
  const identity = createIdentity({
    db: () => metadata.db,
    options: { ...auth, jwtSecret: auth.jwtSecret ?? '' },
    logger,
  })
  const user = await identity.users.create({
    email: 'bench@example.test',
    name: 'bench',
    password: randomBytes(16).toString('hex'),
  })
  const { accessToken } = await identity.sessions.start(user.id)
  const workspace = await metadata.db
    .insertInto('workspaces')
    .values({ name: 'bench' })
    .returning('id')
    .executeTakeFirstOrThrow()
  await metadata.db
    .insertInto('memberships')
    .values({ workspace_id: workspace.id, user_id: user.id, role: 'owner' })
    .execute()
  const settings = { ...defaultKernelSettings, duckdbMemoryLimit: '4GB' }
  const databases = new WorkspaceDatabases({ dataDir, memoryLimit: settings.duckdbMemoryLimit })
  const kernels = new SessionManager({ databases, settings, jupyter: () => jupyter?.endpoint, logger })
  const execution = new NotebookExecution({ sessions: kernels, collab: () => undefined, logger })
  const app = createApp({
    logger,
    readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
    identity,
    kernels: () => ({ sessions: kernels, execution }),
  })
  const wss = new WebSocketServer({ noServer: true })
  const server = createAdaptorServer({ fetch: app.fetch, websocket: { server: wss } })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const post = async (p: string, body: unknown) => {
    const res = await fetch(`${url}/api${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`${p}: HTTP ${res.status} ${await res.text()}`)
    return res.json()
  }
  let notebooks = 0
  return {
    url,
    dataDir,
    workspaceId: workspace.id,
    jupyter,
    kernels,
    workspaceDataDir: databases.dataDirOf(workspace.id),
    post,
    async newSession() {
      const notebook = await metadata.db
        .insertInto('notebooks')
        .values({
          id: randomUUID(),
          workspace_id: workspace.id,
          name: `bench ${++notebooks}`,
          created_by: user.id,
          deleted_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      const session = (await post(`/workspaces/${workspace.id}/kernels/sessions`, { notebookId: notebook.id })) as {
        id: string
      }
      return session.id
    },
    async stop() {
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await kernels.stop()
      await databases.close()
      await jupyter?.stop()
      await metadata.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
    // The token travels in the websocket's Authorization header (sessionSocket).
    ...{ token: accessToken },
  } as BenchWorkbench & { token: string }
}

/** A websocket on a session; `run` executes a cell and resolves with its output messages when done. */
export async function sessionSocket(wb: BenchWorkbench, sessionId: string) {
  const { token } = wb as BenchWorkbench & { token: string }
  const ws = new WebSocket(
    `${wb.url.replace('http', 'ws')}/api/workspaces/${wb.workspaceId}/kernels/sessions/${sessionId}/ws`,
    { headers: { authorization: `Bearer ${token}` } },
  )
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const pending = new Map<string, { outputs: ServerMessage[]; resolve: (outputs: ServerMessage[]) => void }>()
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as ServerMessage
    if (!('requestId' in message) || message.requestId === undefined) return
    const entry = pending.get(message.requestId)
    if (!entry) return
    if (message.type === 'done') {
      pending.delete(message.requestId)
      entry.resolve(entry.outputs)
    } else if (message.type === 'output') entry.outputs.push(message)
  })
  let sequence = 0
  return {
    run(language: 'sql' | 'python', code: string, bindTo?: string): Promise<ServerMessage[]> {
      const requestId = String(++sequence)
      return new Promise((resolve) => {
        pending.set(requestId, { outputs: [], resolve })
        ws.send(JSON.stringify({ type: 'execute', requestId, language, code, bindTo }))
      })
    },
    close: () => ws.close(),
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

/**
 * Times `ours` and `baseline` alternately (after one warm-up each), so load from other processes on a shared
 * machine hits both sides alike instead of whichever ran second.
 */
export async function alternate(
  ours: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
  iterations: number,
): Promise<{ ours: number[]; baseline: number[] }> {
  await ours()
  await baseline()
  const times = { ours: [] as number[], baseline: [] as number[] }
  for (let i = 0; i < iterations; i++) {
    for (const side of ['ours', 'baseline'] as const) {
      const started = performance.now()
      await (side === 'ours' ? ours() : baseline())
      times[side].push(performance.now() - started)
    }
  }
  return times
}
