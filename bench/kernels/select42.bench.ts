import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { DuckDBInstance } from '@duckdb/node-api'
import { createAdaptorServer } from '@hono/node-server'
import { createApp } from '@workbench/server/app'
import pino from 'pino'
import { createIdentity } from '../../workbench/src/auth/identity.ts'
import { loadConfig } from '../../workbench/src/config.ts'
import { openDatabase } from '../../workbench/src/db/database.ts'
import { migrateToLatest } from '../../workbench/src/db/migrate.ts'
import { ScratchDatabases } from '../../workbench/src/sql/scratch-databases.ts'
import { type BenchResult, percentile, sample } from '../harness.ts'

const ITERATIONS = 2_000

/**
 * `SELECT 42` through the HTTP API (a real socket, JSON in and out) against the same query on
 * @duckdb/node-api directly: the API's fixed cost per query.
 */
export default async function select42(): Promise<BenchResult[]> {
  const scratch = new ScratchDatabases()
  // The route needs a signed-in caller: an in-memory metadata DB with one account.
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
    name: 'bench',
    password: randomBytes(16).toString('hex'),
  })
  const { accessToken } = await identity.sessions.start(user.id)
  const app = createApp({
    logger,
    readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
    scratch: () => scratch,
    identity,
  })
  const server = createAdaptorServer({ fetch: app.fetch })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/sql/scratch`
  const body = JSON.stringify({ sql: 'SELECT 42 AS answer' })

  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()

  const viaApi = await sample(async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
      body,
    })
    const json = (await res.json()) as { rows: number[][] }
    if (json.rows[0]?.[0] !== 42) throw new Error('wrong answer through the API')
  }, ITERATIONS)
  const direct = await sample(async () => {
    const reader = await connection.runAndReadAll('SELECT 42 AS answer')
    if (reader.getRowsJson()[0]?.[0] !== 42) throw new Error('wrong answer from DuckDB')
  }, ITERATIONS)

  connection.closeSync()
  instance.closeSync()
  server.close()
  await scratch.close()
  await metadata.close()
  return [
    {
      name: 'kernels/select42 p50',
      ours: percentile(viaApi, 50),
      baseline: percentile(direct, 50),
      unit: 'ms',
      notes: { n: ITERATIONS },
    },
    {
      name: 'kernels/select42 p95',
      ours: percentile(viaApi, 95),
      baseline: percentile(direct, 95),
      unit: 'ms',
      notes: { n: ITERATIONS },
    },
  ]
}
