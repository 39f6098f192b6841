import type { SearchIndexes } from './search-indexes.ts'
import { SIMILARITY_THRESHOLD, searchWords } from './tokens.ts'
import { topK } from './top-k.ts'
import type { IndexedDoc, WorkspaceIndex } from './workspace-index.ts'

export { searchWords, similarity } from './tokens.ts'

/** The dimensions search results can be filtered and counted by. */
export const FACETS = ['source', 'kind', 'schema', 'tag', 'owner'] as const
export type Facet = (typeof FACETS)[number]

export interface SearchQuery {
  workspaceId: string
  /** Free text; any string is accepted (operators and quotes are treated as word breaks). */
  q: string
  /** Values of one dimension are alternatives, except tags: an asset must carry every listed tag. */
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
  /** Every match, exactly. */
  total: number
  /** Kept for API compatibility: counts are exact, so this is always false. */
  totalIsLowerBound: boolean
  facets: Record<Facet, FacetCount[]>
}

/** Below this many text matches, a query is probably misspelled: trigram similarity of names joins the match. */
const FUZZY_BELOW = 5
/** Values listed per facet. */
const FACET_TOP = 20

/**
 * Full-text search over asset names, descriptions, column names and tags, with exact facet counts, from the
 * workspace's in-memory index (brought up to date with the metadata DB first).
 * Ranking: exact name, then name prefix, then text rank, then usage, then trigram similarity (typos), then name.
 *
 * @example
 * const { items, total, facets } = await searchAssets(indexes, { workspaceId, q: 'customer email', limit: 20 })
 */
export async function searchAssets(indexes: SearchIndexes, query: SearchQuery): Promise<SearchResult> {
  const index = await indexes.get(query.workspaceId)
  const limit = Math.min(Math.max(query.limit ?? 20, 1), 200)
  const offset = Math.max(query.offset ?? 0, 0)
  const key = JSON.stringify([
    'search',
    query.q.trim().toLowerCase(),
    query.filters,
    !!query.includeGone,
    limit,
    offset,
  ])
  return cached(indexes, index, key, () => {
    const m = match(index, query.q, query.includeGone ?? false)
    const { passing, facets } = filterAndCount(index, m.slots, query.filters ?? {})
    const page = topK(passing, offset + limit, compareBy(index, m)).slice(offset)
    return {
      items: page.map((slot) => toHit(index, index.docs[slot] as IndexedDoc)),
      total: passing.length,
      totalIsLowerBound: false,
      facets,
    }
  })
}

/** A few names for search-as-you-type: same matching and ranking, no facets, no gone objects. */
export async function suggestAssets(
  indexes: SearchIndexes,
  query: { workspaceId: string; q: string; limit?: number },
): Promise<{ id: string; schema: string; name: string; kind: string }[]> {
  if (searchWords(query.q).length === 0) return []
  const index = await indexes.get(query.workspaceId)
  const limit = Math.min(Math.max(query.limit ?? 8, 1), 50)
  return cached(indexes, index, JSON.stringify(['suggest', query.q.trim().toLowerCase(), limit]), () => {
    const m = match(index, query.q, false)
    return topK(m.slots, limit, compareBy(index, m)).map((slot) => {
      const d = index.docs[slot] as IndexedDoc
      return { id: d.id, schema: d.schema, name: d.name, kind: d.kind }
    })
  })
}

/** Recent results per index, valid while the index does not change (search as you type repeats itself). */
const caches = new WeakMap<WorkspaceIndex, { generation: number; entries: Map<string, unknown> }>()

/** `compute()`'s result for `key`, from the cache when the index has not changed since; shared, not to mutate. */
function cached<T>(indexes: SearchIndexes, index: WorkspaceIndex, key: string, compute: () => T): T {
  if (indexes.resultCache <= 0) return compute()
  let cache = caches.get(index)
  if (!cache || cache.generation !== index.generation) {
    cache = { generation: index.generation, entries: new Map() }
    caches.set(index, cache)
  }
  const hit = cache.entries.get(key)
  if (hit !== undefined) {
    // Least recently used goes first: re-insert on use.
    cache.entries.delete(key)
    cache.entries.set(key, hit)
    return hit as T
  }
  const value = compute()
  cache.entries.set(key, value)
  if (cache.entries.size > indexes.resultCache) cache.entries.delete(cache.entries.keys().next().value as string)
  return value
}

interface Matches {
  slots: number[]
  phrase: string
  rank?: Float32Array
  similarity?: Float32Array
}

/** Text match (every word as a prefix), or text-or-similar-name when few assets match; no words lists all. */
function match(index: WorkspaceIndex, q: string, includeGone: boolean): Matches {
  const queryWords = searchWords(q)
  const phrase = q.trim().toLowerCase()
  if (queryWords.length === 0 || phrase.length === 0) return { slots: index.allSlots(includeGone), phrase: '' }
  const exact = index.matchWords(queryWords, includeGone)
  if (exact.slots.length >= FUZZY_BELOW) return { slots: exact.slots, phrase, rank: exact.rank }
  // Few matches: probably a typo. Words also match similar terms, and names similar to the whole phrase join.
  const text = index.matchWords(queryWords, includeGone, true)
  const similar = index.similarNames(phrase, SIMILARITY_THRESHOLD, includeGone)
  const slots = [...new Set([...text.slots, ...similar.slots])]
  return { slots, phrase, rank: text.rank, similarity: similar.similarity }
}

/**
 * Orders slots best first: exact name, name prefix, text rank (3 decimals), usage — folded into one number per
 * candidate so most comparisons are one subtraction — then similarity, name, id.
 */
function compareBy(index: WorkspaceIndex, m: Matches): (a: number, b: number) => number {
  const docs = index.docs
  const keys = index.scratchKeys()
  const usage = index.usage.data
  const rank = m.rank
  for (const slot of m.slots)
    keys[slot] = (rank ? Math.round((rank[slot] as number) * 1000) : 0) * 2 ** 32 + (usage[slot] as number)
  // Only names starting with the phrase rank above text: found by binary search, not by reading every match.
  if (m.phrase !== '')
    for (const slot of index.namePrefixSlots(m.phrase)) {
      const nameRank = (docs[slot] as IndexedDoc).lowerName === m.phrase ? 2 : 1
      keys[slot] = (keys[slot] as number) + nameRank * 1001 * 2 ** 32
    }
  const sim = m.similarity
  return (a, b) => {
    const byKey = (keys[b] as number) - (keys[a] as number)
    if (byKey !== 0) return byKey
    const bySim = sim ? (sim[b] as number) - (sim[a] as number) : 0
    if (bySim !== 0) return bySim
    const da = docs[a] as IndexedDoc
    const db = docs[b] as IndexedDoc
    return (
      (da.lowerName < db.lowerName ? -1 : da.lowerName > db.lowerName ? 1 : 0) ||
      (da.id < db.id ? -1 : da.id > db.id ? 1 : 0)
    )
  }
}

const BIT: Record<Facet, number> = { source: 1, kind: 2, schema: 4, tag: 8, owner: 16 }

/**
 * Applies the facet filters and counts every facet over ALL matches. A dimension's own filter does not narrow its
 * counts (its other values stay choosable); the other dimensions' filters do.
 */
function filterAndCount(
  index: WorkspaceIndex,
  slots: number[],
  filters: Partial<Record<Facet, string[]>>,
): { passing: number[]; facets: Record<Facet, FacetCount[]> } {
  const wanted = (facet: Facet) => {
    const values = filters[facet]
    if (!values?.length) return undefined
    return values.map((v) => index.dims[facet].find(v) ?? -1)
  }
  const source = set(wanted('source'))
  const kind = set(wanted('kind'))
  const schema = set(wanted('schema'))
  const tags = wanted('tag')
  const owners = set(wanted('owner'))
  const counts = {
    source: new Int32Array(index.dims.source.values.length),
    kind: new Int32Array(index.dims.kind.values.length),
    schema: new Int32Array(index.dims.schema.values.length),
    tag: new Int32Array(index.dims.tag.values.length),
    owner: new Int32Array(index.dims.owner.values.length),
  }
  const sourceOf = index.sourceCode.data
  const kindOf = index.kindCode.data
  const schemaOf = index.schemaCode.data
  const tagPool = index.tagCodes.pool.data
  const ownerPool = index.ownerCodes.pool.data
  const tagOffsets = index.tagCodes.offsets.data
  const ownerOffsets = index.ownerCodes.offsets.data
  if (!source && !kind && !schema && !tags && !owners) {
    // No filter (the common case): every match passes and counts everywhere.
    for (const slot of slots) {
      bump(counts.source, sourceOf[slot] as number)
      bump(counts.kind, kindOf[slot] as number)
      bump(counts.schema, schemaOf[slot] as number)
      for (let i = tagOffsets[slot] as number, end = tagOffsets[slot + 1] as number; i < end; i++)
        bump(counts.tag, tagPool[i] as number)
      for (let i = ownerOffsets[slot] as number, end = ownerOffsets[slot + 1] as number; i < end; i++)
        bump(counts.owner, ownerPool[i] as number)
    }
    return { passing: slots, facets: facetLists(index, counts) }
  }
  const passing: number[] = []
  for (const slot of slots) {
    const sourceCode = sourceOf[slot] as number
    const kindCode = kindOf[slot] as number
    const schemaCode = schemaOf[slot] as number
    const tagStart = tagOffsets[slot] as number
    const tagEnd = tagOffsets[slot + 1] as number
    const ownerStart = ownerOffsets[slot] as number
    const ownerEnd = ownerOffsets[slot + 1] as number
    let fails = 0
    if (source && !source.has(sourceCode)) fails |= BIT.source
    if (kind && !kind.has(kindCode)) fails |= BIT.kind
    if (schema && !schema.has(schemaCode)) fails |= BIT.schema
    if (tags && !tags.every((t) => includes(tagPool, tagStart, tagEnd, t))) fails |= BIT.tag
    if (owners && !someIn(ownerPool, ownerStart, ownerEnd, owners)) fails |= BIT.owner
    // Counted in a dimension when every OTHER dimension's filter passes.
    if (fails === 0) passing.push(slot)
    if ((fails & ~BIT.source) === 0) bump(counts.source, sourceCode)
    if ((fails & ~BIT.kind) === 0) bump(counts.kind, kindCode)
    if ((fails & ~BIT.schema) === 0) bump(counts.schema, schemaCode)
    if ((fails & ~BIT.tag) === 0) for (let i = tagStart; i < tagEnd; i++) bump(counts.tag, tagPool[i] as number)
    if ((fails & ~BIT.owner) === 0)
      for (let i = ownerStart; i < ownerEnd; i++) bump(counts.owner, ownerPool[i] as number)
  }
  return { passing, facets: facetLists(index, counts) }
}

/** The top values of each facet by count (then value), with labels. */
function facetLists(index: WorkspaceIndex, counts: Record<Facet, Int32Array>): Record<Facet, FacetCount[]> {
  const top = (facet: Facet): FacetCount[] => {
    const values = index.dims[facet].values
    const list: { value: string; count: number }[] = []
    counts[facet].forEach((count, code) => {
      if (count > 0) list.push({ value: values[code] as string, count })
    })
    list.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    return list.slice(0, FACET_TOP).map(({ value, count }) => ({
      value,
      label: facet === 'source' ? (index.sourceNames.get(value) ?? value) : value,
      count,
    }))
  }
  return { source: top('source'), kind: top('kind'), schema: top('schema'), tag: top('tag'), owner: top('owner') }
}

function bump(counts: Int32Array, code: number): void {
  counts[code] = (counts[code] as number) + 1
}

function includes(pool: Int32Array, start: number, end: number, code: number): boolean {
  for (let i = start; i < end; i++) if (pool[i] === code) return true
  return false
}

function someIn(pool: Int32Array, start: number, end: number, codes: Set<number>): boolean {
  for (let i = start; i < end; i++) if (codes.has(pool[i] as number)) return true
  return false
}

function set(codes: number[] | undefined): Set<number> | undefined {
  return codes ? new Set(codes) : undefined
}

function toHit(index: WorkspaceIndex, d: IndexedDoc): SearchHit {
  return {
    id: d.id,
    sourceId: d.sourceId,
    sourceName: index.sourceNames.get(d.sourceId) ?? '',
    schema: d.schema,
    name: d.name,
    kind: d.kind,
    description: d.description ?? d.sourceComment,
    tags: d.tags,
    owners: d.owners,
    rowEstimate: d.rowEstimate,
    usageCount: d.usageCount,
    gone: d.gone,
  }
}
