/**
 * One side of the ingest benchmark, run in its own process so its peak memory (max RSS) is its own:
 * `ours <csv> <dir>` uploads the file in chunks through the HTTP API and imports it; `baseline <csv> <dir>`
 * runs DuckDB's `read_csv` on it directly. Prints one JSON line: `{ ms, importMs, maxRssMb, rows }`.
 */
import { randomBytes } from 'node:crypto'
import { open, stat } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { createAdaptorServer } from '@hono/node-server'
import { createApp } from '@workbench/server/app'
import pino from 'pino'
import { createIdentity } from '../../workbench/src/auth/identity.ts'
import { loadConfig } from '../../workbench/src/config.ts'
import { openDatabase } from '../../workbench/src/db/database.ts'
import { migrateToLatest } from '../../workbench/src/db/migrate.ts'
import { ImportService } from '../../workbench/src/files/import-service.ts'
import { FileStorage } from '../../workbench/src/files/storage.ts'
import { UploadService } from '../../workbench/src/files/upload-service.ts'
import { WorkspaceDatabases } from '../../workbench/src/kernels/workspace-databases.ts'

const CHUNK = 8 * 1024 * 1024
const MEMORY_LIMIT = '2GB'
const [mode, csvArg, dirArg] = process.argv.slice(2)
if (!mode || !csvArg || !dirArg) throw new Error('usage: worker.ts ours|baseline <csv> <dir>')
const csv: string = csvArg
const dir: string = dirArg

async function baseline() {
  const instance = await DuckDBInstance.create(path.join(dir, 'baseline.duckdb'), { memory_limit: MEMORY_LIMIT })
  const con = await instance.connect()
  const started = performance.now()
  const reader = await con.runAndReadAll(`CREATE TABLE t AS SELECT * FROM read_csv('${csv}')`)
  const ms = performance.now() - started
  return { ms, importMs: ms, rows: Number(reader.getRows()[0]?.[0]) }
}

async function ours() {
  const logger = pino({ level: 'silent' })
  const metadata = await openDatabase({ kind: 'pglite', dataDir: 'memory://' })
  await migrateToLatest(metadata.db)
  const { auth } = loadConfig({ AUTH_JWT_SECRET: randomBytes(32).toString('hex') }, process.cwd())
  const identity = createIdentity({
    db: () => metadata.db,
    options: { ...auth, jwtSecret: auth.jwtSecret ?? '' },
    logger,
  })
  const user = await identity.users.create({
    email: 'bench@example.test',
    name: 'b',
    password: randomBytes(16).toString('hex'),
  })
  const ws = await metadata.db
    .insertInto('workspaces')
    .values({ name: 'bench' })
    .returning('id')
    .executeTakeFirstOrThrow()
  await metadata.db.insertInto('memberships').values({ workspace_id: ws.id, user_id: user.id, role: 'owner' }).execute()
  const { accessToken } = await identity.sessions.start(user.id)
  const duckdbs = new WorkspaceDatabases({ dataDir: dir, memoryLimit: MEMORY_LIMIT })
  const uploads = new UploadService(metadata.db, new FileStorage(dir), {
    maxUploadBytes: 10 * 1024 ** 3,
    staleAfterMs: 3_600_000,
  })
  const imports = new ImportService(metadata.db, uploads, duckdbs.get)
  const app = createApp({
    logger,
    readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
    scratchDuckdb: () => undefined,
    identity,
    files: () => ({ uploads, imports }),
  })
  const server = createAdaptorServer({ fetch: app.fetch })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/workspaces/${ws.id}/files`
  const headers = { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' }
  // Opening the workspace database is a one-time cost per process, not part of an import.
  await duckdbs.get(ws.id)

  const { size } = await stat(csv)
  const rssBeforeMb = Math.round(process.memoryUsage().rss / 1024 / 1024)
  const started = performance.now()
  const begun = (await (
    await fetch(`${base}/uploads`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench.csv', size }) })
  ).json()) as { id: string }
  const file = await open(csv, 'r')
  const buffer = Buffer.alloc(CHUNK)
  for (let offset = 0; offset < size; offset += CHUNK) {
    const { bytesRead } = await file.read(buffer, 0, CHUNK, offset)
    const res = await fetch(`${base}/uploads/${begun.id}?offset=${offset}`, {
      method: 'PUT',
      headers: { Authorization: headers.Authorization, 'Content-Type': 'application/octet-stream' },
      body: buffer.subarray(0, bytesRead),
    })
    if (res.status !== 200) throw new Error(`chunk at ${offset}: ${res.status} ${await res.text()}`)
  }
  await file.close()
  const uploaded = performance.now()
  await fetch(`${base}/uploads/${begun.id}/complete`, { method: 'POST', headers })
  const importStarted = performance.now()
  const res = await fetch(`${base}/${begun.id}/import`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ table: 't' }),
  })
  const result = (await res.json()) as {
    status: string
    rowsLoaded: number
    rowsRejected: number
    error: string | null
  }
  const done = performance.now()
  if (result.status !== 'succeeded') throw new Error(`import failed: ${result.error}`)
  server.close()
  await duckdbs.close()
  return {
    ms: done - started,
    rssBeforeMb,
    uploadMs: uploaded - started,
    completeMs: importStarted - uploaded,
    importMs: done - importStarted,
    rows: result.rowsLoaded,
    rejected: result.rowsRejected,
  }
}

const result = mode === 'ours' ? await ours() : await baseline()
console.log(JSON.stringify({ ...result, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }))
process.exit(0)
