import { type Kysely, type RawBuilder, type Sql, sql } from 'kysely'
import type { CatalogTables } from '../types.ts'

/** The dimensions search results can be filtered and counted by. */
export const FACETS = ['source', 'kind', 'schema', 'tag', 'owner'] as const
export type Facet = (typeof FACETS)[number]

export interface SearchQuery {
  workspaceId: string
  /** Free text; any string is accepted (operators and quotes are treated as word breaks). */
  q: string
  filters?: Partial<Record<Facet, string[]>>
  limit?: number
  offset?: number
  /** Also list objects no longer found in their source. */
  includeGone?: boolean
}

export interface SearchHit {
  id: string
  sourceId: string
  sourceName: string
  schema: string
  name: string
  kind: 'table' | 'view'
  description: string | null
  tags: string[]
  owners: string[]
  rowEstimate: number | null
  usageCount: number
  gone: boolean
}

export interface FacetCount {
  value: string
  /** Display name where the value is an id (sources). */
  label: string
  count: number
}

export interface SearchResult {
  items: SearchHit[]
  total: number
  /** True when more than 10,000 assets match: `total` and facet counts then cover the first 10,000 only. */
  totalIsLowerBound: boolean
  facets: Record<Facet, FacetCount[]>
}

/**
 * Splits what the user typed into plain words (letters and digits). Everything else — operators, quotes,
 * punctuation, `_` — is a word break, so no input can produce an invalid text-search query.
 */
export function searchWords(q: string): string[] {
  return (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 16)
}

interface Matcher {
  where: RawBuilder<unknown>
  nameRank: RawBuilder<unknown>
  textRank: RawBuilder<unknown>
  similarity: RawBuilder<unknown>
}

/**
 * The match and rank expressions for `q`: full text (every word as a prefix) ranks exact name, then name prefix,
 * then text rank. With `fuzzy`, trigram similarity of the name also matches (typos). A `q` without any word lists
 * everything.
 */
function matcher(q: string, fuzzy: boolean): Matcher {
  const words = searchWords(q)
  const phrase = q.trim().toLowerCase()
  if (words.length === 0 || phrase.length === 0) {
    const zero = sql`0::int`
    return { where: sql`true`, nameRank: zero, textRank: zero, similarity: zero }
  }
  const tsquery = sql`to_tsquery('simple', ${words.map((w) => `${w}:*`).join(' & ')})`
  const prefix = `${phrase.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  return {
    // Every name is in the tsvector (as written and split at `_`), so the text match covers name prefixes too
    // and one GIN index answers; trigrams (their own GIN index) join only when typos are likely.
    where: fuzzy
      ? sql`(a.search_vector @@ ${tsquery} OR lower(a.name) % ${phrase})`
      : sql`a.search_vector @@ ${tsquery}`,
    nameRank: sql`CASE WHEN lower(a.name) = ${phrase} THEN 2 WHEN lower(a.name) LIKE ${prefix} THEN 1 ELSE 0 END`,
    textRank: sql`round(ts_rank(a.search_vector, ${tsquery})::numeric, 3)`,
    similarity: fuzzy ? sql`similarity(lower(a.name), ${phrase})` : sql`0::int`,
  }
}

/**
 * Facets count at most this many matches: a query matching half of a 100k-table catalog would otherwise aggregate
 * all of them on every keystroke. Above it, counts and the total are lower bounds (`totalIsLowerBound`).
 */
const FACET_SAMPLE = 10_000

/** Below this many text matches, a query is probably misspelled: trigram similarity joins the match. */
const FUZZY_BELOW = 5

/** Text match or text-or-trigram match for `q`: decided once per query so every page agrees. */
async function chooseMatcher(db: Kysely<CatalogTables>, query: SearchQuery): Promise<Matcher> {
  const exact = matcher(query.q, false)
  if (searchWords(query.q).length === 0) return exact
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (SELECT 1 FROM catalog_assets a WHERE ${exact.where} AND ${baseFilter(query)} LIMIT ${FUZZY_BELOW}) x
  `.execute(db)
  return (rows[0]?.n ?? 0) < FUZZY_BELOW ? matcher(query.q, true) : exact
}

/** Workspace and gone filters: what every count shares. */
function baseFilter(query: SearchQuery): RawBuilder<unknown> {
  return query.includeGone
    ? sql`a.workspace_id = ${query.workspaceId}`
    : sql`a.workspace_id = ${query.workspaceId} AND a.gone_at IS NULL`
}

/** Facet filters; `except` leaves one dimension out, so its counts show what choosing another value would give. */
function facetFilter(query: SearchQuery, except?: Facet): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`true`]
  const f = query.filters ?? {}
  const list = (values: string[]) => sql.join(values.map((v) => sql`${v}`))
  if (f.source?.length && except !== 'source') parts.push(sql`a.source_id IN (${list(f.source)})`)
  if (f.kind?.length && except !== 'kind') parts.push(sql`a.kind IN (${list(f.kind)})`)
  if (f.schema?.length && except !== 'schema') parts.push(sql`a.schema_name IN (${list(f.schema)})`)
  if (f.tag?.length && except !== 'tag') parts.push(sql`a.tags @> ${sql`ARRAY[${list(f.tag)}]::text[]`}`)
  if (f.owner?.length && except !== 'owner') parts.push(sql`a.owners && ${sql`ARRAY[${list(f.owner)}]::text[]`}`)
  return sql.join(parts, sql` AND `)
}

/**
 * Full-text search over asset names, descriptions, column names and tags, with facet counts.
 * Ranking: exact name, then name prefix, then text rank, then usage, then trigram similarity (typos).
 *
 * @example
 * const { items, total, facets } = await searchAssets(db, { workspaceId, q: 'customer email', limit: 20 })
 */
export async function searchAssets(db: Kysely<CatalogTables>, query: SearchQuery): Promise<SearchResult> {
  const m = await chooseMatcher(db, query)
  const limit = Math.min(Math.max(query.limit ?? 20, 1), 200)
  const offset = Math.max(query.offset ?? 0, 0)
  const where = sql`${m.where} AND ${baseFilter(query)} AND ${facetFilter(query)}`
  // The page and the facet counts are independent: on PostgreSQL they run on two pooled connections at once.
  const [page, facets] = await Promise.all([
    sql<HitRow>`
    SELECT a.id, a.source_id, s.name AS source_name, a.schema_name, a.name, a.kind, a.description, a.source_comment,
           a.tags, a.owners, a.row_estimate, a.usage_count, a.gone_at
    FROM catalog_assets a JOIN catalog_sources s ON s.id = a.source_id
    WHERE ${where}
    ORDER BY ${m.nameRank} DESC, ${m.textRank} DESC, a.usage_count DESC, ${m.similarity} DESC, lower(a.name) COLLATE "C", a.id
    LIMIT ${limit} OFFSET ${offset}
  `.execute(db),
    facetCounts(db, query, m),
  ])
  // Every asset has exactly one kind, so the kind counts (within the kind filter) add up to the total.
  const kinds = query.filters?.kind?.length ? query.filters.kind : undefined
  const total = facets.kind.filter((f) => !kinds || kinds.includes(f.value)).reduce((sum, f) => sum + f.count, 0)
  return { items: page.rows.map(toHit), total, totalIsLowerBound: total >= FACET_SAMPLE, facets }
}

async function facetCounts(db: Kysely<CatalogTables>, query: SearchQuery, m: Matcher) {
  // The text match runs once (materialised); each dimension then applies the other dimensions' filters.
  const dimension = (facet: Facet, value: Sql | RawBuilder<unknown>, from: RawBuilder<unknown> = sql``) => sql`
    (SELECT ${facet}::text AS facet, v AS value, count(*)::int AS count FROM (
       SELECT ${value} AS v FROM matched a ${from} WHERE ${facetFilter(query, facet)}
     ) x GROUP BY v ORDER BY count(*) DESC, v COLLATE "C" LIMIT 20)`
  const rows = await sql<{ facet: Facet; value: string; count: number }>`
    WITH matched AS MATERIALIZED (
      SELECT a.source_id, a.kind, a.schema_name, a.tags, a.owners FROM catalog_assets a
      WHERE ${m.where} AND ${baseFilter(query)}
      LIMIT ${FACET_SAMPLE}
    )
    ${dimension('source', sql`a.source_id`)}
    UNION ALL ${dimension('kind', sql`a.kind`)}
    UNION ALL ${dimension('schema', sql`a.schema_name`)}
    UNION ALL ${dimension('tag', sql`t.tag`, sql`CROSS JOIN LATERAL unnest(a.tags) AS t(tag)`)}
    UNION ALL ${dimension('owner', sql`o.owner`, sql`CROSS JOIN LATERAL unnest(a.owners) AS o(owner)`)}
  `.execute(db)
  const sources = await db
    .selectFrom('catalog_sources')
    .select(['id', 'name'])
    .where('workspace_id', '=', query.workspaceId)
    .execute()
  const label = new Map(sources.map((s) => [s.id, s.name]))
  const facets: Record<Facet, FacetCount[]> = { source: [], kind: [], schema: [], tag: [], owner: [] }
  for (const r of rows.rows)
    facets[r.facet].push({
      value: r.value,
      label: r.facet === 'source' ? (label.get(r.value) ?? r.value) : r.value,
      count: r.count,
    })
  return facets
}

/** A few names for search-as-you-type: same matching and ranking, no facets. */
export async function suggestAssets(
  db: Kysely<CatalogTables>,
  query: { workspaceId: string; q: string; limit?: number },
): Promise<{ id: string; schema: string; name: string; kind: string }[]> {
  if (searchWords(query.q).length === 0) return []
  const m = await chooseMatcher(db, { ...query, includeGone: false })
  const limit = Math.min(Math.max(query.limit ?? 8, 1), 50)
  const rows = await sql<{ id: string; schema_name: string; name: string; kind: string }>`
    SELECT a.id, a.schema_name, a.name, a.kind FROM catalog_assets a
    WHERE ${m.where} AND a.workspace_id = ${query.workspaceId} AND a.gone_at IS NULL
    ORDER BY ${m.nameRank} DESC, ${m.textRank} DESC, a.usage_count DESC, ${m.similarity} DESC, lower(a.name)
    LIMIT ${limit}
  `.execute(db)
  return rows.rows.map((r) => ({ id: r.id, schema: r.schema_name, name: r.name, kind: r.kind }))
}

interface HitRow {
  id: string
  source_id: string
  source_name: string
  schema_name: string
  name: string
  kind: 'table' | 'view'
  description: string | null
  source_comment: string | null
  tags: string[]
  owners: string[]
  row_estimate: string | null
  usage_count: number
  gone_at: Date | null
}

function toHit(r: HitRow): SearchHit {
  return {
    id: r.id,
    sourceId: r.source_id,
    sourceName: r.source_name,
    schema: r.schema_name,
    name: r.name,
    kind: r.kind,
    description: r.description ?? r.source_comment,
    tags: r.tags,
    owners: r.owners,
    rowEstimate: r.row_estimate === null ? null : Number(r.row_estimate),
    usageCount: r.usage_count,
    gone: r.gone_at !== null,
  }
}
