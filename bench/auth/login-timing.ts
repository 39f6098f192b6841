// Sign-in timing: an unknown email must cost what a wrong password costs, or response times reveal
// which accounts exist. Prints `name: ours=…, baseline=…, ratio=…` with the wrong-password path as the
// baseline, measured in the same run. Run: node --import tsx bench/auth/login-timing.ts
import path from 'node:path'
import { createApp } from '../../workbench/src/app.ts'
import { createIdentity } from '../../workbench/src/auth/identity.ts'
import { loadConfig } from '../../workbench/src/config.ts'
import { openDatabase } from '../../workbench/src/db/database.ts'
import { migrateToLatest } from '../../workbench/src/db/migrate.ts'
import { createLogger } from '../../workbench/src/logger.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40)
const ROOT = path.resolve(import.meta.dirname, '../..')

const database = await openDatabase({ kind: 'pglite', dataDir: 'memory://' })
await migrateToLatest(database.db)
const config = loadConfig(
  {
    AUTH_JWT_SECRET: 'bench-signing-key-bench-signing-key-0123',
    LOGIN_MAX_ATTEMPTS_PER_IP: '1000000',
    LOGIN_FREE_ATTEMPTS_PER_ACCOUNT: '1000000',
  },
  ROOT,
)
const logger = createLogger('silent')
const identity = createIdentity({
  db: () => database.db,
  options: { ...config.auth, jwtSecret: config.auth.jwtSecret ?? '' },
  logger,
})
const app = createApp({
  logger,
  readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
  identity,
})
await identity.users.create({ email: 'known@example.com', name: 'Known', password: 'the right password' })

const login = async (email: string) => {
  const started = performance.now()
  const res = await app.request('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'a wrong password' }),
  })
  await res.text()
  if (res.status !== 401) throw new Error(`expected 401, got ${res.status}`)
  return performance.now() - started
}

// Warm up both paths (the decoy hash is made on first use), then interleave so drift hits both alike.
await login('unknown@example.com')
await login('known@example.com')
const unknown: number[] = []
const wrong: number[] = []
for (let i = 0; i < ROUNDS; i++) {
  unknown.push(await login(`unknown${i}@example.com`))
  wrong.push(await login('known@example.com'))
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? 0
}
const ours = median(unknown)
const baseline = median(wrong)
console.log(
  `login-unknown-email-vs-wrong-password: ours=${ours.toFixed(2)}ms, baseline=${baseline.toFixed(2)}ms, ratio=${(ours / baseline).toFixed(3)}`,
)
await database.close()
