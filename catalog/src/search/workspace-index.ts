import { ByteColumn, CodeLists, IntColumn } from './slot-columns.ts'
import { type PostingRange, TermPostings } from './term-postings.ts'
import { SIMILARITY_THRESHOLD, trigrams, words } from './tokens.ts'

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

/** What the index keeps of an asset to answer a hit. */
export type IndexedDoc = Omit<IndexedAsset, 'columnText'> & { lowerName: string }

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
/** Slot flags. */
const ALIVE = 1
const GONE = 2

/**
 * The in-memory search index of one workspace. Assets live in int slots: the hit fields in `docs`, what search
 * loops read (facet codes, usage, flags) in typed columns. Words go to an inverted index (`TermPostings`), names
 * to a trigram index for typos and to a sorted list for name-prefix ranking. An updated asset gets a new slot and
 * its old slot is marked dead; the owner reloads in full when too many are (`wasteRatio`).
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
  readonly flags = new ByteColumn()
  readonly sourceCode = new IntColumn()
  readonly kindCode = new IntColumn()
  readonly schemaCode = new IntColumn()
  readonly usage = new IntColumn()
  readonly tagCodes = new CodeLists()
  readonly ownerCodes = new CodeLists()
  readonly #trigramCount = new ByteColumn()
  readonly #trigramPostings = new Map<string, number[]>()
  readonly #terms = new TermPostings()
  readonly #slotOf = new Map<string, number>()
  #dead = 0
  #generation = 0
  /** Live slots sorted by lower-case name, as of the last merge; later slots are scanned. */
  #byName: { names: string[]; slots: Int32Array; upTo: number } = { names: [], slots: new Int32Array(0), upTo: 0 }
  readonly #buffers = new Map<string, Float32Array | Uint8Array | Uint16Array | Float64Array>()

  /** Number of live assets. */
  get size(): number {
    return this.#slotOf.size
  }

  /** Changes whenever an asset is added or replaced (keys result caches). */
  get generation(): number {
    return this.#generation
  }

  /** Share of slots held by replaced versions of assets. */
  get wasteRatio(): number {
    return this.docs.length === 0 ? 0 : this.#dead / this.docs.length
  }

  /** Adds or replaces an asset; call `flush()` after a batch (it merges recent postings when they have grown). */
  upsert(asset: IndexedAsset): void {
    const slot = this.docs.length
    this.#generation++
    const previous = this.#slotOf.get(asset.id)
    if (previous !== undefined) {
      this.flags.data[previous] = 0
      this.#dead++
    }
    this.#slotOf.set(asset.id, slot)
    const lowerName = asset.name.toLowerCase()
    // A literal of fixed shape (not a spread of `asset`): keeps the objects small and fast.
    this.docs.push({
      id: asset.id,
      sourceId: asset.sourceId,
      schema: asset.schema,
      name: asset.name,
      kind: asset.kind,
      description: asset.description,
      sourceComment: asset.sourceComment,
      tags: asset.tags,
      owners: asset.owners,
      rowEstimate: asset.rowEstimate,
      usageCount: asset.usageCount,
      gone: asset.gone,
      lowerName,
    })
    this.flags.push(ALIVE | (asset.gone ? GONE : 0))
    this.sourceCode.push(this.dims.source.code(asset.sourceId))
    this.kindCode.push(this.dims.kind.code(asset.kind))
    this.schemaCode.push(this.dims.schema.code(asset.schema))
    this.usage.push(Math.min(asset.usageCount, 2 ** 31 - 1))
    this.tagCodes.push(asset.tags.map((t) => this.dims.tag.code(t)))
    this.ownerCodes.push(asset.owners.map((o) => this.dims.owner.code(o)))
    const nameTrigrams = trigrams(lowerName)
    this.#trigramCount.push(Math.min(nameTrigrams.size, 255))
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
    for (const [term, mask] of fields) this.#terms.add(term, slot * 8 + mask)
  }

  /** Drops the assets whose ids `keep` rejects (deleted from the metadata DB); their slots count as waste. */
  removeWhere(keep: (id: string) => boolean): number {
    let removed = 0
    for (const [id, slot] of this.#slotOf) {
      if (keep(id)) continue
      this.flags.data[slot] = 0
      this.#slotOf.delete(id)
      this.#dead++
      removed++
    }
    if (removed > 0) this.#generation++
    return removed
  }

  /** Merges recent postings into the compact segment once they have grown (always with `force`). */
  flush(force = false): void {
    if (this.#terms.flush((slot) => this.#isLive(slot, true), force) || force) {
      const slots = this.allSlots(true).sort((a, b) => compare(this.#name(a), this.#name(b)))
      this.#byName = { names: slots.map((s) => this.#name(s)), slots: Int32Array.from(slots), upTo: this.docs.length }
    }
  }

  /**
   * Live slots whose documents contain every word as a prefix of some term, each with its text rank: the mean
   * over words of the best field weight the word matched in (name 1, descriptions/tags/schema 0.4, columns 0.2).
   * With `typos`, a word that starts no term matches terms that look like a misspelling of it instead, weighted
   * by their similarity.
   * The returned `rank` array is valid until the next query on this index.
   */
  matchWords(queryWords: string[], includeGone: boolean, typos = false): { slots: number[]; rank: Float32Array } {
    const rank = this.#scratch('rank', Float32Array)
    const ranges = queryWords.map((w) => {
      const prefixed = this.#terms.prefixRanges(w)
      // Only a word that is no prefix of any term is taken for a typo (`customers` must not find `customer`).
      return typos && prefixed.length === 0 ? this.#terms.similarRanges(w, SIMILARITY_THRESHOLD) : prefixed
    })
    // Rarest word first: later words only confirm candidates.
    const order = ranges
      .map((r) => ({ r, cost: r.reduce((sum, x) => sum + x.end - x.start, 0) }))
      .sort((a, b) => a.cost - b.cost)
    const stage = this.#scratch('stage', Uint8Array)
    const best = this.#scratch('best', Float32Array)
    // Sums of candidates that may still fail a later word: only survivors get a `rank`.
    const sum = this.#scratch('sum', Float32Array)
    const flags = this.flags.data
    const skip = includeGone ? ALIVE : ALIVE | GONE
    let candidates: number[] = []
    for (let step = 0; step < order.length; step++) {
      for (const range of (order[step] as { r: PostingRange[] }).r) {
        const { list, end, scale } = range
        for (let j = range.start; j < end; j++) {
          const p = list[j] as number
          const slot = p >>> 3
          const w = (WEIGHT[p & 7] as number) * scale
          if (stage[slot] === step) {
            if (step === 0) {
              if (((flags[slot] as number) & skip) !== ALIVE) continue
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
          sum[slot] = (sum[slot] as number) + (best[slot] as number)
        }
      candidates = next
      if (candidates.length === 0) break
    }
    for (const slot of candidates) rank[slot] = (sum[slot] as number) / queryWords.length
    return { slots: candidates, rank }
  }

  /** Every live slot (the catalog home: a query without words). */
  allSlots(includeGone: boolean): number[] {
    const out: number[] = []
    for (let slot = 0; slot < this.docs.length; slot++) if (this.#isLive(slot, includeGone)) out.push(slot)
    return out
  }

  /** Live slots whose lower-case name starts with `prefix` (binary search, plus slots added since the last merge). */
  namePrefixSlots(prefix: string): number[] {
    const { names, slots, upTo } = this.#byName
    const out: number[] = []
    let lo = 0
    let hi = names.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((names[mid] as string) < prefix) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < names.length && (names[i] as string).startsWith(prefix); i++) {
      const slot = slots[i] as number
      if (this.#isLive(slot, true)) out.push(slot)
    }
    for (let slot = upTo; slot < this.docs.length; slot++)
      if (this.#isLive(slot, true) && this.#name(slot).startsWith(prefix)) out.push(slot)
    return out
  }

  /**
   * Live slots whose name has a trigram similarity with `phrase` of at least `threshold`, and the similarity of
   * every slot sharing a trigram (valid until the next query on this index).
   */
  similarNames(phrase: string, threshold: number, includeGone: boolean): { slots: number[]; similarity: Float32Array } {
    const similarity = this.#scratch('similarity', Float32Array)
    const query = trigrams(phrase)
    const shared = this.#scratch('shared', Uint16Array)
    const touched: number[] = []
    for (const t of query)
      for (const slot of this.#trigramPostings.get(t) ?? []) {
        if (shared[slot] === 0) touched.push(slot)
        shared[slot] = (shared[slot] as number) + 1
      }
    const slots: number[] = []
    for (const slot of touched) {
      if (!this.#isLive(slot, includeGone)) continue
      const common = shared[slot] as number
      const sim = common / (query.size + (this.#trigramCount.data[slot] as number) - common)
      similarity[slot] = sim
      if (sim >= threshold) slots.push(slot)
    }
    return { slots, similarity }
  }

  /** A zeroed per-slot Float64Array valid until the next query on this index (sort keys). */
  scratchKeys(): Float64Array {
    return this.#scratch('keys', Float64Array)
  }

  /** Bytes held in typed arrays and posting lists (an estimate for lists), for the benchmark. */
  postingBytes(): number {
    let trigramEntries = 0
    for (const list of this.#trigramPostings.values()) trigramEntries += list.length
    const columns = [this.flags, this.sourceCode, this.kindCode, this.schemaCode, this.usage, this.#trigramCount]
    return (
      this.#terms.bytes +
      trigramEntries * 8 +
      columns.reduce((sum, c) => sum + c.bytes, 0) +
      this.tagCodes.bytes +
      this.ownerCodes.bytes +
      this.#byName.slots.byteLength
    )
  }

  #isLive(slot: number, includeGone: boolean): boolean {
    return ((this.flags.data[slot] as number) & (includeGone ? ALIVE : ALIVE | GONE)) === ALIVE
  }

  #name(slot: number): string {
    return (this.docs[slot] as IndexedDoc).lowerName
  }

  /**
   * A zeroed per-slot array reused across queries (a query runs synchronously, so arrays returned by one query
   * stay valid until the next): allocating several slot-sized arrays per query showed up as GC time.
   */
  #scratch<T extends Float32Array | Uint8Array | Uint16Array | Float64Array>(
    name: string,
    make: new (length: number) => T,
  ): T {
    const n = this.docs.length
    const existing = this.#buffers.get(name) as T | undefined
    if (existing && existing.length >= n) {
      existing.fill(0, 0, n)
      return existing
    }
    const created = new make(Math.max(1024, Math.ceil(n * 1.25)))
    this.#buffers.set(name, created)
    return created
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
