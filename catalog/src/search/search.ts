import type { SearchIndexes } from './search-indexes.ts'
import { topK } from './top-k.ts'
import { SIMILARITY_THRESHOLD, searchWords } from './tokens.ts'
import type { IndexedDoc, WorkspaceIndex } from './workspace-index.ts'

export { searchWords } from './tokens.ts'

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
  const m = match(index, query.q, query.includeGone ?? false)
  const { passing, facets } = filterAndCount(index, m.slots, query.filters ?? {})
  const page = topK(passing, offset + limit, compareBy(index, m)).slice(offset)
  return {
    items: page.map((slot) => toHit(index, index.docs[slot] as IndexedDoc)),
    total: passing.length,
    totalIsLowerBound: false,
    facets,
  }
}

/** A few names for search-as-you-type: same matching and ranking, no facets, no gone objects. */
export async function suggestAssets(
  indexes: SearchIndexes,
  query: { workspaceId: string; q: string; limit?: number },
): Promise<{ id: string; schema: string; name: string; kind: string }[]> {
  if (searchWords(query.q).length === 0) return []
  const index = await indexes.get(query.workspaceId)
  const limit = Math.min(Math.max(query.limit ?? 8, 1), 50)
  const m = match(index, query.q, false)
  return topK(m.slots, limit, compareBy(index, m)).map((slot) => {
    const d = index.docs[slot] as IndexedDoc
    return { id: d.id, schema: d.schema, name: d.name, kind: d.kind }
  })
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
  const text = index.matchWords(queryWords, includeGone)
  if (text.slots.length >= FUZZY_BELOW) return { slots: text.slots, phrase, rank: text.rank }
  const similar = index.similarNames(phrase, SIMILARITY_THRESHOLD, includeGone)
  const slots = [...new Set([...text.slots, ...similar.slots])]
  return { slots, phrase, rank: text.rank, similarity: similar.similarity }
}

/** Orders slots best first: exact name, name prefix, text rank (3 decimals), usage, similarity, name, id. */
function compareBy(index: WorkspaceIndex, m: Matches): (a: number, b: number) => number {
  const docs = index.docs
  const nameRank = (d: IndexedDoc) =>
    m.phrase === '' ? 0 : d.lowerName === m.phrase ? 2 : d.lowerName.startsWith(m.phrase) ? 1 : 0
  const textRank = (slot: number) => (m.rank ? Math.round((m.rank[slot] as number) * 1000) : 0)
  const sim = (slot: number) => (m.similarity ? (m.similarity[slot] as number) : 0)
  return (a, b) => {
    const da = docs[a] as IndexedDoc
    const db = docs[b] as IndexedDoc
    return (
      nameRank(db) - nameRank(da) ||
      textRank(b) - textRank(a) ||
      db.usageCount - da.usageCount ||
      sim(b) - sim(a) ||
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
  const passing: number[] = []
  for (const slot of slots) {
    const d = index.docs[slot] as IndexedDoc
    let fails = 0
    if (source && !source.has(d.sourceCode)) fails |= BIT.source
    if (kind && !kind.has(d.kindCode)) fails |= BIT.kind
    if (schema && !schema.has(d.schemaCode)) fails |= BIT.schema
    if (tags && !tags.every((t) => d.tagCodes.includes(t))) fails |= BIT.tag
    if (owners && !d.ownerCodes.some((o) => owners.has(o))) fails |= BIT.owner
    // Counted in a dimension when every OTHER dimension's filter passes.
    if (fails === 0) passing.push(slot)
    if ((fails & ~BIT.source) === 0) bump(counts.source, d.sourceCode)
    if ((fails & ~BIT.kind) === 0) bump(counts.kind, d.kindCode)
    if ((fails & ~BIT.schema) === 0) bump(counts.schema, d.schemaCode)
    if ((fails & ~BIT.tag) === 0) for (const t of d.tagCodes) bump(counts.tag, t)
    if ((fails & ~BIT.owner) === 0) for (const o of d.ownerCodes) bump(counts.owner, o)
  }
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
  return {
    passing,
    facets: { source: top('source'), kind: top('kind'), schema: top('schema'), tag: top('tag'), owner: top('owner') },
  }
}

function bump(counts: Int32Array, code: number): void {
  counts[code] = (counts[code] as number) + 1
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
