import { trigrams, words } from './tokens.ts'

/** One asset as loaded from the metadata DB into a search index. */
export interface IndexedAsset {
  id: string
  sourceId: string
  schema: string
  name: string
  kind: 'table' | 'view'
  description: string | null
  sourceComment: string | null
  tags: string[]
  owners: string[]
  rowEstimate: number | null
  usageCount: number
  gone: boolean
  /** Column names, descriptions and source comments (indexed, not kept). */
  columnText: string
}

/** What the index keeps of an asset: the hit fields plus interned facet codes. */
export interface IndexedDoc extends Omit<IndexedAsset, 'columnText'> {
  lowerName: string
  sourceCode: number
  kindCode: number
  schemaCode: number
  tagCodes: number[]
  ownerCodes: number[]
  trigramCount: number
}

/** Interns the values of one facet dimension as small ints (counting then works on typed arrays). */
export class Dictionary {
  readonly values: string[] = []
  readonly #codes = new Map<string, number>()

  code(value: string): number {
    let code = this.#codes.get(value)
    if (code === undefined) {
      code = this.values.length
      this.values.push(value)
      this.#codes.set(value, code)
    }
    return code
  }

  find(value: string): number | undefined {
    return this.#codes.get(value)
  }
}

/** Field bits of a posting, and their weights as in ts_rank (A = name, B = descriptions/tags/schema, C = columns). */
const FIELD_A = 1
const FIELD_B = 2
const FIELD_C = 4
const WEIGHT = Float32Array.from({ length: 8 }, (_, mask) =>
  mask & FIELD_A ? 1 : mask & FIELD_B ? 0.4 : mask & FIELD_C ? 0.2 : 0,
)

/** An immutable, compact segment of the inverted index: sorted terms, and postings `slot * 8 + fields` per term. */
interface Segment {
  terms: string[]
  offsets: Int32Array
  postings: Int32Array
}

const EMPTY: Segment = { terms: [], offsets: new Int32Array(1), postings: new Int32Array(0) }

/**
 * The in-memory search index of one workspace: docs in int slots, an inverted index of words (one compact
 * segment plus a small delta of recent changes, merged when it grows) and a trigram index of names for typos.
 * An updated asset gets a new slot and its old slot is marked dead; the owner reloads in full when too many
 * slots are dead (`wasteRatio`).
 */
export class WorkspaceIndex {
  readonly docs: IndexedDoc[] = []
  /** Source id -> display name (facet labels, hits). */
  sourceNames = new Map<string, string>()
  readonly dims = {
    source: new Dictionary(),
    kind: new Dictionary(),
    schema: new Dictionary(),
    tag: new Dictionary(),
    owner: new Dictionary(),
  }
  #alive = new Uint8Array(1024)
  #dead = 0
  readonly #slotOf = new Map<string, number>()
  #main: Segment = EMPTY
  #delta = new Map<string, number[]>()
  #deltaTerms: string[] | undefined
  #deltaSize = 0
  readonly #trigramPostings = new Map<string, number[]>()

  /** Number of live assets. */
  get size(): number {
    return this.#slotOf.size
  }

  /** Share of slots held by replaced versions of assets. */
  get wasteRatio(): number {
    return this.docs.length === 0 ? 0 : this.#dead / this.docs.length
  }

  isAlive(slot: number): boolean {
    return this.#alive[slot] === 1
  }

  /** Adds or replaces assets; call `flush()` after a batch (it merges the delta when it has grown). */
  upsert(asset: IndexedAsset): void {
    const slot = this.docs.length
    const previous = this.#slotOf.get(asset.id)
    if (previous !== undefined) {
      this.#alive[previous] = 0
      this.#dead++
    }
    if (slot >= this.#alive.length) {
      const grown = new Uint8Array(this.#alive.length * 2)
      grown.set(this.#alive)
      this.#alive = grown
    }
    this.#alive[slot] = 1
    this.#slotOf.set(asset.id, slot)
    const lowerName = asset.name.toLowerCase()
    const nameTrigrams = trigrams(lowerName)
    const { columnText: _, ...rest } = asset
    this.docs.push({
      ...rest,
      lowerName,
      sourceCode: this.dims.source.code(asset.sourceId),
      kindCode: this.dims.kind.code(asset.kind),
      schemaCode: this.dims.schema.code(asset.schema),
      tagCodes: asset.tags.map((t) => this.dims.tag.code(t)),
      ownerCodes: asset.owners.map((o) => this.dims.owner.code(o)),
      trigramCount: nameTrigrams.size,
    })
    for (const t of nameTrigrams) {
      const list = this.#trigramPostings.get(t)
      if (list) list.push(slot)
      else this.#trigramPostings.set(t, [slot])
    }
    const fields = new Map<string, number>()
    const add = (text: string | null, field: number) => {
      for (const w of words(text)) fields.set(w, (fields.get(w) ?? 0) | field)
    }
    add(asset.name, FIELD_A)
    add(asset.description, FIELD_B)
    add(asset.sourceComment, FIELD_B)
    add(asset.tags.join(' '), FIELD_B)
    add(asset.schema, FIELD_B)
    add(asset.columnText, FIELD_C)
    for (const [term, mask] of fields) {
      const list = this.#delta.get(term)
      if (list) list.push(slot * 8 + mask)
      else {
        this.#delta.set(term, [slot * 8 + mask])
        this.#deltaTerms = undefined
      }
    }
    this.#deltaSize += fields.size
  }

  /** Merges the delta into the compact segment once it is a noticeable share of it (and always with `force`). */
  flush(force = false): void {
    if (this.#deltaSize === 0) return
    if (!force && this.#deltaSize < Math.max(20_000, this.#main.postings.length / 8)) return
    const terms = [...new Set([...this.#main.terms, ...this.#delta.keys()])].sort()
    const mainIndex = new Map(this.#main.terms.map((t, i) => [t, i]))
    const offsets = new Int32Array(terms.length + 1)
    let total = 0
    const keep = (p: number) => this.#alive[p >>> 3] === 1
    const parts: (ArrayLike<number> | undefined)[][] = []
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i] as string
      const m = mainIndex.get(term)
      const fromMain =
        m === undefined
          ? undefined
          : this.#main.postings.subarray(this.#main.offsets[m] as number, this.#main.offsets[m + 1] as number)
      parts.push([fromMain, this.#delta.get(term)])
    }
    const postings = new Int32Array(this.#main.postings.length + this.#deltaSize)
    for (let i = 0; i < terms.length; i++) {
      offsets[i] = total
      for (const list of parts[i] as (ArrayLike<number> | undefined)[]) {
        if (!list) continue
        for (let j = 0; j < list.length; j++) {
          const p = list[j] as number
          if (keep(p)) postings[total++] = p
        }
      }
    }
    offsets[terms.length] = total
    this.#main = { terms, offsets, postings: postings.slice(0, total) }
    this.#delta = new Map()
    this.#deltaTerms = undefined
    this.#deltaSize = 0
  }

  /**
   * Live slots whose documents contain every word as a prefix of some term, each with its text rank: the mean
   * over words of the best field weight the word matched in (name 1, descriptions/tags/schema 0.4, columns 0.2).
   */
  matchWords(queryWords: string[], includeGone: boolean): { slots: number[]; rank: Float32Array } {
    const n = this.docs.length
    const rank = new Float32Array(n)
    const ranges = queryWords.map((w) => this.#postingRanges(w))
    // Rarest word first: later words only confirm candidates.
    const order = ranges.map((r, i) => ({ r, cost: r.reduce((sum, x) => sum + x.end - x.start, 0), i }))
    order.sort((a, b) => a.cost - b.cost)
    const stage = new Uint8Array(n)
    const best = new Float32Array(n)
    let candidates: number[] = []
    for (let step = 0; step < order.length; step++) {
      for (const { list, start, end } of (order[step] as { r: PostingRange[] }).r) {
        for (let j = start; j < end; j++) {
          const p = list[j] as number
          const slot = p >>> 3
          const w = WEIGHT[p & 7] as number
          if (stage[slot] === step) {
            if (step === 0) {
              if (this.#alive[slot] !== 1 || (!includeGone && this.docs[slot]?.gone)) continue
              candidates.push(slot)
            }
            stage[slot] = step + 1
            best[slot] = w
          } else if (stage[slot] === step + 1 && w > (best[slot] as number)) best[slot] = w
        }
      }
      const next: number[] = []
      for (const slot of candidates)
        if (stage[slot] === step + 1) {
          next.push(slot)
          rank[slot] = (rank[slot] as number) + (best[slot] as number)
        }
      candidates = next
      if (candidates.length === 0) break
    }
    for (const slot of candidates) rank[slot] = (rank[slot] as number) / queryWords.length
    return { slots: candidates, rank }
  }

  /** Every live slot (the catalog home: a query without words). */
  allSlots(includeGone: boolean): number[] {
    const out: number[] = []
    for (let slot = 0; slot < this.docs.length; slot++)
      if (this.#alive[slot] === 1 && (includeGone || !this.docs[slot]?.gone)) out.push(slot)
    return out
  }

  /** Live slots whose name has a trigram similarity with `phrase` of at least `threshold`, with the similarity. */
  similarNames(
    phrase: string,
    threshold: number,
    includeGone: boolean,
  ): { slots: number[]; similarity: Float32Array } {
    const n = this.docs.length
    const similarity = new Float32Array(n)
    const query = trigrams(phrase)
    const shared = new Uint16Array(n)
    const touched: number[] = []
    for (const t of query)
      for (const slot of this.#trigramPostings.get(t) ?? []) {
        if (shared[slot] === 0) touched.push(slot)
        shared[slot] = (shared[slot] as number) + 1
      }
    const slots: number[] = []
    for (const slot of touched) {
      const doc = this.docs[slot] as IndexedDoc
      if (this.#alive[slot] !== 1 || (!includeGone && doc.gone)) continue
      const common = shared[slot] as number
      const sim = common / (query.size + doc.trigramCount - common)
      similarity[slot] = sim
      if (sim >= threshold) slots.push(slot)
    }
    return { slots, similarity }
  }

  /** Rough bytes held by the index structures (typed arrays and posting lists), for the benchmark. */
  postingBytes(): number {
    let trigramEntries = 0
    for (const list of this.#trigramPostings.values()) trigramEntries += list.length
    return this.#main.postings.byteLength + this.#main.offsets.byteLength + this.#deltaSize * 8 + trigramEntries * 8
  }

  #postingRanges(prefix: string): PostingRange[] {
    const out: PostingRange[] = []
    const main = this.#main
    for (let i = lowerBound(main.terms, prefix); i < main.terms.length; i++) {
      if (!(main.terms[i] as string).startsWith(prefix)) break
      out.push({ list: main.postings, start: main.offsets[i] as number, end: main.offsets[i + 1] as number })
    }
    if (this.#delta.size > 0) {
      this.#deltaTerms ??= [...this.#delta.keys()].sort()
      const terms = this.#deltaTerms
      for (let i = lowerBound(terms, prefix); i < terms.length; i++) {
        const term = terms[i] as string
        if (!term.startsWith(prefix)) break
        const list = this.#delta.get(term) as number[]
        out.push({ list, start: 0, end: list.length })
      }
    }
    return out
  }
}

interface PostingRange {
  list: ArrayLike<number>
  start: number
  end: number
}

/** First index in sorted `terms` whose term is >= `key`. */
function lowerBound(terms: string[], key: string): number {
  let lo = 0
  let hi = terms.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((terms[mid] as string) < key) lo = mid + 1
    else hi = mid
  }
  return lo
}
