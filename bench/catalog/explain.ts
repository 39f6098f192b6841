// Ad-hoc diagnosis (not a benchmark): per-statement timings of catalog search on generated metadata in PGlite.
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { type CatalogTables, searchAssets } from '@workbench/catalog'
import { Kysely, PGliteDialect } from 'kysely'
import { migrateToLatest } from '../../workbench/src/db/migrate.ts'
import type { Database } from '../../workbench/src/db/schema.ts'
import { generate } from './search.bench.ts'

const pglite = await PGlite.create(undefined, { extensions: { pg_trgm } })
let logging = false
const db = new Kysely<Database>({
  dialect: new PGliteDialect({ pglite }),
  log: (e) => {
    if (logging) console.log(`  ${e.queryDurationMillis.toFixed(1)}ms ${e.query.sql.replace(/\s+/g, ' ').slice(0, 90)}`)
  },
})
await migrateToLatest(db)
const ws = await db.insertInto('workspaces').values({ name: 'b' }).returning('id').executeTakeFirstOrThrow()
const cat = db as unknown as Kysely<CatalogTables>
await generate(cat, ws.id, Number(process.env.N ?? 2000))
for (const q of ['customer', 'email', 'email', 'custmer', 'discount', 'sales_customer_daily_1']) {
  logging = true
  console.log(q)
  await searchAssets(cat, { workspaceId: ws.id, q })
  logging = false
}
if (process.env.EXPLAIN) {
  const { sql } = await import('kysely')
  const plan = await sql
    .raw(
      `EXPLAIN ANALYZE SELECT a.id FROM catalog_assets a WHERE (a.search_vector @@ to_tsquery('simple', 'customer:*') OR lower(a.name) LIKE 'customer%' OR lower(a.name) % 'customer') AND a.workspace_id = '${ws.id}' AND a.gone_at IS NULL ORDER BY CASE WHEN lower(a.name) = 'customer' THEN 2 ELSE 0 END DESC, round(ts_rank(a.search_vector, to_tsquery('simple', 'customer:*'))::numeric, 3) DESC, a.usage_count DESC, similarity(lower(a.name), 'customer') DESC LIMIT 20`,
    )
    .execute(db)
  for (const r of plan.rows as Record<string, string>[]) console.log(Object.values(r)[0])
}
await db.destroy()
