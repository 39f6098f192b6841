import type { Kysely } from 'kysely'
import { qualifiedName } from '../discovery/duckdb-source.ts'
import { quoteIdent } from '../sql-quote.ts'
import type { CatalogTables, DiscoverySource } from '../types.ts'
import type { AssetWithColumns } from './asset-columns.ts'

export interface ColumnProfile {
  name: string
  type: string
  rows: number
  nullShare: number
  distinct: number
  distinctApproximate: boolean
  min: string | null
  max: string | null
  mean: number | null
  stddev: number | null
  topValues: { value: string | null; count: number }[]
  /** Equal-width bins over [min, max], numbers only. */
  histogram: { from: number; to: number; count: number }[] | null
}

export interface TableProfile {
  columns: ColumnProfile[]
  computedAt: string
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|DECIMAL|NUMERIC|REAL|FLOAT|DOUBLE|DOUBLE PRECISION|INT2|INT4|INT8|FLOAT4|FLOAT8)\b/i
/** Above this many rows, distinct counts are approximate (DuckDB's HyperLogLog). */
const APPROX_FROM_ROWS = 100_000

/**
 * Profiles every column of an asset in its source (DuckDB, or pushed down to PostgreSQL/MySQL as plain SQL) and
 * caches the result with the time it was computed. Values with PII tags are not part of top values or min/max
 * for callers that must not see them: the route masks them.
 */
export async function computeProfile(
  db: Kysely<CatalogTables>,
  asset: AssetWithColumns,
  source: DiscoverySource,
  options: { bins?: number } = {},
): Promise<TableProfile> {
  const run = source.runSql
  if (!run) throw new Error(`the ${source.kind} source cannot be read`)
  const bins = options.bins ?? 10
  const table = qualifiedName(source.dialect, asset.schema, asset.name)
  const text = (expr: string) => (source.dialect === 'mysql' ? `CAST(${expr} AS CHAR)` : `CAST(${expr} AS VARCHAR)`)
  const approximate = source.dialect === 'duckdb' && (asset.rowEstimate ?? 0) > APPROX_FROM_ROWS
  // Users can write macros into their DuckDB (`CREATE MACRO count(x) …`): built-ins are named by their catalog.
  const f = (name: string) => (source.dialect === 'duckdb' ? `system.main.${name}` : name)
  const columns: ColumnProfile[] = []
  for (const column of asset.columns) {
    const col = quoteIdent(source.dialect, column.name)
    const numeric = NUMERIC.test(column.type)
    const distinct = approximate ? `${f('approx_count_distinct')}(${col})` : `${f('count')}(DISTINCT ${col})`
    const stats = await run(
      `SELECT ${f('count')}(*) AS n, ${f('count')}(${col}) AS nn, ${distinct} AS d, ${text(`${f('min')}(${col})`)} AS lo,
              ${text(`${f('max')}(${col})`)} AS hi,
              ${numeric ? `${f('avg')}(${col}), ${f('stddev_samp')}(${col})` : 'NULL, NULL'} FROM ${table}`,
    )
    const [n, nn, d, lo, hi, mean, stddev] = (stats.rows[0] ?? []) as unknown[]
    const rows = Number(n ?? 0)
    const top = await run(
      `SELECT ${text(col)} AS v, ${f('count')}(*) AS c FROM ${table} GROUP BY ${col} ORDER BY ${f('count')}(*) DESC, 1 LIMIT 5`,
    )
    let histogram: ColumnProfile['histogram'] = null
    const min = Number(lo)
    const max = Number(hi)
    if (numeric && lo !== null && hi !== null && Number.isFinite(min) && Number.isFinite(max)) {
      const width = max > min ? (max - min) / bins : 1
      const h = await run(
        `SELECT ${f('least')}(${bins - 1}, CAST(${f('floor')}((${col} - ${min}) / ${width}) AS INTEGER)) AS b, ${f('count')}(*) AS c
         FROM ${table} WHERE ${col} IS NOT NULL GROUP BY 1 ORDER BY 1`,
      )
      const counts = new Map(h.rows.map((r) => [Number(r[0]), Number(r[1])]))
      histogram = Array.from({ length: max > min ? bins : 1 }, (_, i) => ({
        from: min + i * width,
        to: max > min ? min + (i + 1) * width : max,
        count: counts.get(i) ?? 0,
      }))
    }
    columns.push({
      name: column.name,
      type: column.type,
      rows,
      nullShare: rows === 0 ? 0 : (rows - Number(nn ?? 0)) / rows,
      distinct: Number(d ?? 0),
      distinctApproximate: approximate,
      min: lo === null || lo === undefined ? null : String(lo),
      max: hi === null || hi === undefined ? null : String(hi),
      mean: mean === null || mean === undefined ? null : Number(mean),
      stddev: stddev === null || stddev === undefined ? null : Number(stddev),
      topValues: top.rows.map((r) => ({ value: r[0] === null ? null : String(r[0]), count: Number(r[1]) })),
      histogram,
    })
  }
  const profile: TableProfile = { columns, computedAt: new Date().toISOString() }
  await db
    .insertInto('catalog_profiles')
    .values({ asset_id: asset.id, profile: JSON.stringify(profile), computed_at: profile.computedAt })
    .onConflict((oc) =>
      oc.column('asset_id').doUpdateSet({ profile: JSON.stringify(profile), computed_at: profile.computedAt }),
    )
    .execute()
  return profile
}

/** The cached profile of an asset, if one was computed. */
export async function cachedProfile(db: Kysely<CatalogTables>, assetId: string): Promise<TableProfile | undefined> {
  const row = await db
    .selectFrom('catalog_profiles')
    .select('profile')
    .where('asset_id', '=', assetId)
    .executeTakeFirst()
  return row ? ((typeof row.profile === 'string' ? JSON.parse(row.profile) : row.profile) as TableProfile) : undefined
}
