/**
 * Child process of the collab benchmark: the workbench's collaboration endpoint on a file-backed PGlite
 * metadata DB (the embedded mode), with one account and the benchmark notebooks. Prints one JSON line
 * `{ port, token, workspaceId, notebooks }` once listening; exits when stdin closes.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { createAdaptorServer } from '@hono/node-server'
import { createApp } from '@workbench/server/app'
import pino from 'pino'
import { WebSocketServer } from 'ws'
import { createIdentity } from '../../workbench/src/auth/identity.ts'
import { CollabServer } from '../../workbench/src/collab/collab-server.ts'
import { DocumentStore } from '../../workbench/src/collab/document-store.ts'
import { workspaceRoleAuthorizer } from '../../workbench/src/collab/notebook-access.ts'
import { loadConfig } from '../../workbench/src/config.ts'
import { openDatabase } from '../../workbench/src/db/database.ts'
import { migrateToLatest } from '../../workbench/src/db/migrate.ts'
import { NotebookService } from '../../workbench/src/notebooks/notebook-service.ts'
import { benchNotebook } from './notebook-fixture.ts'

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wb-collab-bench-'))
const logger = pino({ level: 'silent' })
const metadata = await openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'metadata') })
await migrateToLatest(metadata.db)
const { auth } = loadConfig({ AUTH_JWT_SECRET: randomBytes(32).toString('hex') }, process.cwd())
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
const workspace = await metadata.db
  .insertInto('workspaces')
  .values({ name: 'bench' })
  .returning('id')
  .executeTakeFirstOrThrow()
await metadata.db
  .insertInto('memberships')
  .values({ workspace_id: workspace.id, user_id: user.id, role: 'owner' })
  .execute()
const { accessToken } = await identity.sessions.start(user.id)

const store = new DocumentStore(metadata.db, logger)
const collab = new CollabServer(store, logger)
const notebooks = new NotebookService(metadata.db, store, collab)
// BENCH_NOTEBOOKS=500,2000,2000: one notebook per entry, of that many cells, ids in the same order.
const sizes = (process.env.BENCH_NOTEBOOKS ?? '500,2000').split(',').map(Number)
const ids: string[] = []
for (const [i, size] of sizes.entries())
  ids.push((await notebooks.create(workspace.id, { name: `n${i}-${size}`, content: benchNotebook(size) })).id)

const app = createApp({
  logger,
  readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
  identity,
  collab: () => ({ server: collab, authorize: workspaceRoleAuthorizer(metadata.db) }),
})
const server = createAdaptorServer({ fetch: app.fetch, websocket: { server: new WebSocketServer({ noServer: true }) } })
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const { port } = server.address() as AddressInfo
process.stdout.write(`${JSON.stringify({ port, token: accessToken, workspaceId: workspace.id, notebooks: ids })}\n`)

const shutdown = async () => {
  await collab.close()
  server.close()
  await metadata.close()
  rmSync(dataDir, { recursive: true, force: true })
  process.exit(0)
}
// `gc` lines (from the benchmark, before a memory reading) collect garbage; run with --expose-gc.
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'gc') globalThis.gc?.()
})
process.stdin.on('end', shutdown)
process.stdin.on('close', shutdown)
process.stdin.resume()
process.on('SIGTERM', shutdown)
