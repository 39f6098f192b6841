/**
 * One side of the ingest benchmark, run in its own process so its peak memory (max RSS) is its own:
 * `ours <csv> <dir>` serves the HTTP API while client.ts (another process, like a browser) uploads the file in
 * chunks, previews it and imports it with the preview's schema; `baseline <csv> <dir>` runs DuckDB's `read_csv`
 * on it directly; `pandas <xlsx> <dir>` runs `pandas.read_excel` on a workbook. Prints one JSON line: `{ ms, importMs, maxRssMb, rows, ... }`.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
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

const MEMORY_LIMIT = '2GB'
const [mode, csvArg, dirArg] = process.argv.slice(2)
if (!mode || !csvArg || !dirArg) throw new Error('usage: worker.ts ours|baseline|pandas <file> <dir>')
const csv: string = csvArg
const dir: string = dirArg

async function baseline() {
  const instance = await DuckDBInstance.create(path.join(dir, 'baseline.duckdb'), { memory_limit: MEMORY_LIMIT })
  const con = await instance.connect()
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  const read = csv.endsWith('.parquet') ? 'read_parquet' : csv.endsWith('.json') ? 'read_json' : 'read_csv'
  const reader = await con.runAndReadAll(`CREATE TABLE t AS SELECT * FROM ${read}('${csv}')`)
  const ms = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  return { ms, importMs: ms, cpuMs: (cpu.user + cpu.system) / 1000, rows: Number(reader.getRows()[0]?.[0]) }
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
    identity,
    files: () => ({ uploads, imports }),
  })
  const server = createAdaptorServer({ fetch: app.fetch })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/workspaces/${ws.id}/files`
  // Opening the workspace database is a one-time cost per process, not part of an import.
  await duckdbs.get(ws.id)

  // The user's side runs in its own process, as a browser would: only the server's memory is measured here.
  const rssBeforeMb = Math.round(process.memoryUsage().rss / 1024 / 1024)
  const cpuBefore = process.cpuUsage()
  const client = await runClient(base, accessToken)
  const cpu = process.cpuUsage(cpuBefore)
  server.close()
  await duckdbs.close()
  return {
    ms: client.uploadMs + client.completeMs + client.importMs,
    rssBeforeMb,
    cpuMs: (cpu.user + cpu.system) / 1000,
    ...client,
  }
}

/** What client.ts measured (its own peak memory as `clientPeakRssMb`). */
interface ClientResult {
  uploadMs: number
  chunks: number
  completeMs: number
  previewMs: number
  importMs: number
  rows: number
  rejected: number
  types: string
  clientCpuMs: number
  clientPeakRssMb: number
}

function runClient(base: string, token: string): Promise<ClientResult> {
  const script = path.join(import.meta.dirname, 'client.ts')
  const child = spawn(process.execPath, ['--import', 'tsx', script, base, token, csv], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`client exited with ${code}: ${out}`))
      const { maxRssMb, cpuMs, ...rest } = JSON.parse(out.trim().split('\n').pop() ?? '') as Omit<
        ClientResult,
        'clientPeakRssMb' | 'clientCpuMs'
      > & { maxRssMb: number; cpuMs: number }
      resolve({ ...rest, clientCpuMs: cpuMs, clientPeakRssMb: maxRssMb })
    })
  })
}

/** `pandas.read_excel` (openpyxl engine) in its own Python process, timed there: interpreter start-up not counted. */
async function pandas() {
  const script = [
    'import json, sys, time, resource',
    'import pandas as pd',
    't = time.perf_counter(); c = time.process_time()',
    'df = pd.read_excel(sys.argv[1], engine="openpyxl")',
    'ms = (time.perf_counter() - t) * 1000; cpu = (time.process_time() - c) * 1000',
    'print(json.dumps({"ms": ms, "importMs": ms, "cpuMs": cpu, "rows": len(df), "types": ",".join(str(t) for t in df.dtypes), "pyMaxRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))',
  ].join('\n')
  const python = path.resolve(import.meta.dirname, '../../.venv/bin/python')
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(python, ['-c', script, csv], { stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString()
    })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`pandas exited with ${code}`))))
  })
  const { pyMaxRssMb, ...result } = JSON.parse(out.trim().split('\n').pop() ?? '') as Record<string, number>
  return { ...result, maxRssMb: pyMaxRssMb }
}

const result = mode === 'ours' ? await ours() : mode === 'pandas' ? await pandas() : await baseline()
console.log(JSON.stringify({ maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), ...result }))
process.exit(0)
