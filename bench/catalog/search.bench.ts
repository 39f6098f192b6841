import { randomUUID } from 'node:crypto'
import { loadavg } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type CatalogTables, SearchIndexes, searchAssets, updateAsset } from '@workbench/catalog'
import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import { catalogDb } from '../../workbench/src/catalog/catalog-db.ts'
import { type MetadataDb, openDatabase } from '../../workbench/src/db/database.ts'
import { migrateToLatest } from '../../workbench/src/db/migrate.ts'
import { startPostgresServer } from '../../workbench/test/support/postgres-server.ts'
import { type BenchResult, percentile } from '../harness.ts'

/**
 * Catalog search over generated metadata (CATALOG_BENCH_TABLES tables, 10 columns each; default 100k / 1M):
 * our search (in-process index, warm: ranked, typo tolerant, exact facet counts, a version check against the DB per
 * search) against a naive `ts_rank ORDER BY … LIMIT 20` SQL query over a GIN-indexed tsvector of the same text
 * (no facets, no typo tolerance), with 1 and 20 concurrent clients, on PGlite and on PostgreSQL. Also reports the
 * cold build time of the index, its memory, and a search right after an edit (incremental reload).
 */
const TABLES = Number(process.env.CATALOG_BENCH_TABLES ?? 100_000)
const COLUMNS_PER_TABLE = 10
const QUERIES_PER_CLIENT = Number(process.env.CATALOG_BENCH_QUERIES ?? 100)

const DOMAINS = ['sales', 'finance', 'crm', 'hr', 'marketing', 'ops', 'supply', 'web', 'billing', 'support']
const ENTITIES = [
  'customer',
  'order',
  'invoice',
  'payment',
  'product',
  'employee',
  'campaign',
  'shipment',
  'ticket',
  'account',
  'lead',
  'contract',
  'refund',
  'session',
  'vendor',
]
const SUFFIXES = ['daily', 'monthly', 'raw', 'clean', 'agg', 'snapshot', 'history', 'staging']
const COLUMN_WORDS = [
  'id',
  'created_at',
  'updated_at',
  'amount',
  'currency',
  'status',
  'email',
  'country',
  'city',
  'quantity',
  'price',
  'discount',
  'region',
  'channel',
  'owner_id',
  'score',
  'notes',
  'phone',
  'category',
  'source',
]
/** A mix of what people type: exact names, prefixes, words, column names, typos, multi-word. */
const QUERIES = [
  'sales_customer_daily_1',
  'finance_invoice',
  'crm_lead',
  'customer',
  'invoice monthly',
  'payment',
  'shipment raw',
  'employee',
  'email',
  'discount',
  'custmer',
  'invocie',
  'refund history',
  'vendor snapshot',
  'marketing campaign',
  'owner_id',
  'billing account agg',
  'support ticket',
  'web session',
  'contract',
]

/**
 * Generates `TABLES` assets with their columns, plus the naive baseline's search document: a `bench_vector`
 * tsvector (A name, B description/tags/schema, C columns) with a GIN index. The product does not store one.
 */
export async function generate(db: Kysely<CatalogTables>, workspaceId: string, TABLES: number): Promise<void> {
  const sourceId = randomUUID()
  await db
    .insertInto('catalog_sources')
    .values({ id: sourceId, workspace_id: workspaceId, kind: 'generated', name: 'bench' })
    .execute()
  await sql`ALTER TABLE catalog_assets ADD COLUMN IF NOT EXISTS bench_vector tsvector`.execute(db)
  const arr = (words: string[]) => sql.raw(`ARRAY[${words.map((w) => `'${w}'`).join(',')}]`)
  const batch = 10_000
  for (let from = 1; from <= TABLES; from += batch) {
    const to = Math.min(TABLES, from + batch - 1)
    await sql`
      INSERT INTO catalog_assets (id, workspace_id, source_id, schema_name, name, kind, description, owners, tags, row_estimate, usage_count)
      SELECT 'a' || g, ${workspaceId}, ${sourceId}, (${arr(DOMAINS)})[1 + g % 10],
             (${arr(DOMAINS)})[1 + g % 10] || '_' || (${arr(ENTITIES)})[1 + (g / 10) % 15] || '_' || (${arr(SUFFIXES)})[1 + (g / 150) % 8] || '_' || g,
             CASE WHEN g % 7 = 0 THEN 'view' ELSE 'table' END,
             CASE WHEN g % 3 = 0 THEN 'Generated ' || (${arr(ENTITIES)})[1 + g % 15] || ' data for the ' || (${arr(DOMAINS)})[1 + g % 10] || ' team' END,
             CASE WHEN g % 5 = 0 THEN ARRAY['owner' || (g % 40) || '@corp.io'] ELSE '{}'::text[] END,
             CASE WHEN g % 11 = 0 THEN ARRAY['PII.email'] WHEN g % 13 = 0 THEN ARRAY['gold'] ELSE '{}'::text[] END,
             g * 10, g % 17
      FROM generate_series(${from}::int, ${to}::int) g
    `.execute(db)
    await sql`
      INSERT INTO catalog_columns (asset_id, name, ordinal, type, nullable)
      SELECT 'a' || g, (${arr(COLUMN_WORDS)})[1 + (g + c * 3) % 20] || '_' || c, c, 'VARCHAR', true
      FROM generate_series(${from}::int, ${to}::int) g, generate_series(1, ${COLUMNS_PER_TABLE}) c
    `.execute(db)
    await sql`
      UPDATE catalog_assets a SET bench_vector =
        setweight(to_tsvector('simple', a.name || ' ' || translate(a.name, '_.-', '   ')), 'A') ||
        setweight(to_tsvector('simple', coalesce(a.description, '') || ' ' || translate(array_to_string(a.tags, ' '), '._-', '   ') || ' ' || a.schema_name), 'B') ||
        setweight(to_tsvector('simple', c.doc), 'C')
      FROM (SELECT asset_id, string_agg(name || ' ' || translate(name, '_.-', '   '), ' ') AS doc FROM catalog_columns
            WHERE asset_id IN (SELECT 'a' || g FROM generate_series(${from}::int, ${to}::int) g) GROUP BY asset_id) c
      WHERE c.asset_id = a.id
    `.execute(db)
  }
  await sql`CREATE INDEX IF NOT EXISTS catalog_assets_bench_vector_idx ON catalog_assets USING gin (bench_vector)`.execute(
    db,
  )
  await sql`ANALYZE`.execute(db)
}

/**
 * JS heap after a full GC, in MB. Typed arrays (the postings) are outside the heap and counted by
 * `postingBytes()`; `arrayBuffers` would also count PGlite's WebAssembly memory.
 */
function heapMb(): number {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  gc()
  return process.memoryUsage().heapUsed / 1024 / 1024
}

async function measure(clients: number, run: (q: string) => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  const times: number[] = []
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < QUERIES_PER_CLIENT; i++) {
        const q = QUERIES[(i + c) % QUERIES.length] as string
        const started = performance.now()
        await run(q)
        times.push(performance.now() - started)
      }
    }),
  )
  return { p50: percentile(times, 50), p95: percentile(times, 95) }
}

async function benchOne(kind: 'pglite' | 'postgres', metadata: MetadataDb): Promise<BenchResult[]> {
  const migration = await migrateToLatest(metadata.db)
  if (migration.error) throw migration.error
  const workspace = await metadata.db
    .insertInto('workspaces')
    .values({ name: 'bench' })
    .returning('id')
    .executeTakeFirstOrThrow()
  const db = catalogDb(metadata.db)
  const started = performance.now()
  await generate(db, workspace.id, TABLES)
  const generateSeconds = Math.round((performance.now() - started) / 1000)
  const heapBefore = heapMb()
  const indexes = new SearchIndexes(db)
  const buildStarted = performance.now()
  await indexes.get(workspace.id)
  const buildMs = Math.round(performance.now() - buildStarted)
  const indexHeapMb = Math.round(heapMb() - heapBefore)
  const postingsMb = Math.round((await indexes.get(workspace.id)).postingBytes() / 1024 / 1024)
  const ours = (q: string) => searchAssets(indexes, { workspaceId: workspace.id, q, limit: 20 })
  const naive = (q: string) =>
    sql`
    SELECT id, name FROM catalog_assets
    WHERE workspace_id = ${workspace.id} AND bench_vector @@ plainto_tsquery('simple', ${q})
    ORDER BY ts_rank(bench_vector, plainto_tsquery('simple', ${q})) DESC LIMIT 20
  `.execute(db)
  // Freshness: the first search after an edit reads the changed asset again.
  await updateAsset(db, 'a42', { description: 'edited for the freshness check' })
  const editStarted = performance.now()
  await ours('freshness')
  const afterEditMs = Math.round((performance.now() - editStarted) * 10) / 10
  for (const q of QUERIES) {
    await ours(q)
    await naive(q)
  }
  const results: BenchResult[] = []
  const notes = {
    tables: TABLES,
    columns: TABLES * COLUMNS_PER_TABLE,
    generateSeconds,
    coldBuildMs: buildMs,
    indexHeapMb,
    postingsMb,
    searchAfterEditMs: afterEditMs,
  }
  // `ours` computes every search (result cache off); the cached line shows repeated queries, as typing gives.
  for (const [label, cache] of [
    ['', 0],
    [' (result cache)', 256],
  ] as const) {
    indexes.resultCache = cache
    for (const clients of [1, 20]) {
      const a = await measure(clients, ours)
      const b = await measure(clients, naive)
      const load = { ...notes, load1: loadavg()[0]?.toFixed(1) ?? '' }
      const name = `catalog search${label}`
      results.push({
        name: `${name} p50 ${kind} ${clients} client(s)`,
        ours: a.p50,
        baseline: b.p50,
        unit: 'ms',
        notes: load,
      })
      results.push({
        name: `${name} p95 ${kind} ${clients} client(s)`,
        ours: a.p95,
        baseline: b.p95,
        unit: 'ms',
        notes: load,
      })
      console.log(
        `${name} ${kind} ${clients} client(s): p50 ${a.p50.toFixed(1)} / p95 ${a.p95.toFixed(1)} ms (naive ${b.p50.toFixed(1)} / ${b.p95.toFixed(1)})`,
      )
    }
  }
  return results
}

export default async function catalogSearch(): Promise<BenchResult[]> {
  const results: BenchResult[] = []
  // CATALOG_BENCH_KINDS=postgres (or pglite) runs one database only, e.g. for a rerun on a busy machine.
  const kinds = (process.env.CATALOG_BENCH_KINDS ?? 'pglite,postgres').split(',')
  if (kinds.includes('pglite')) {
    const lite = await openDatabase({ kind: 'pglite', dataDir: 'memory://' })
    try {
      results.push(...(await benchOne('pglite', lite)))
    } finally {
      await lite.close()
    }
  }
  if (!kinds.includes('postgres')) return results
  const server = await startPostgresServer()
  try {
    const name = `bench_${randomUUID().slice(0, 8)}`
    const admin = new pg.Client({ connectionString: server.url })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${name}`)
    await admin.end()
    const url = new URL(server.url)
    url.pathname = `/${name}`
    const postgres = await openDatabase({ kind: 'postgres', url: url.toString() })
    try {
      results.push(...(await benchOne('postgres', postgres)))
    } finally {
      await postgres.close()
    }
  } finally {
    server.stop()
  }
  return results
}
