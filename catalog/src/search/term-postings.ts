import { trigrams } from './tokens.ts'

/** Postings of one term (or part of a segment's array), with the weight factor its matches get. */
export interface PostingRange {
  list: Int32Array | number[]
  start: number
  end: number
  /** 1 for a prefix match; the trigram similarity for a term matched as a likely typo. */
  scale: number
}

/** An immutable, compact segment: sorted terms and, per term, postings `slot * 8 + field bits`. */
interface Segment {
  terms: string[]
  offsets: Int32Array
  postings: Int32Array
}

const EMPTY: Segment = { terms: [], offsets: new Int32Array(1), postings: new Int32Array(0) }

/**
 * The inverted index: term -> postings. Most postings live in one compact segment (typed arrays); recent ones in
 * a small delta that is merged into a new segment once it is a noticeable share (dead slots are dropped then).
 * Lookups are by prefix (binary search in the sorted terms) and, for typos, by trigram similarity of terms.
 */
export class TermPostings {
  #main: Segment = EMPTY
  #delta = new Map<string, number[]>()
  #deltaTerms: string[] | undefined
  #deltaSize = 0
  /** Trigram -> indexes into the main segment's terms (built on first typo lookup after a merge). */
  #termTrigrams: Map<string, number[]> | undefined
  #termTrigramCount = new Uint8Array(0)

  add(term: string, posting: number): void {
    const list = this.#delta.get(term)
    if (list) list.push(posting)
    else {
      this.#delta.set(term, [posting])
      this.#deltaTerms = undefined
    }
    this.#deltaSize++
  }

  /**
   * Merges the delta into the segment when it has grown (always with `force`), dropping postings of dead slots.
   * Returns whether it merged.
   */
  flush(isAlive: (slot: number) => boolean, force = false): boolean {
    if (this.#deltaSize === 0) return false
    if (!force && this.#deltaSize < Math.max(20_000, this.#main.postings.length / 8)) return false
    const main = this.#main
    const terms = [...new Set([...main.terms, ...this.#delta.keys()])].sort()
    const mainIndex = new Map(main.terms.map((t, i) => [t, i]))
    const offsets = new Int32Array(terms.length + 1)
    const postings = new Int32Array(main.postings.length + this.#deltaSize)
    let total = 0
    const copy = (list: ArrayLike<number>, from: number, to: number) => {
      for (let j = from; j < to; j++) {
        const p = list[j] as number
        if (isAlive(p >>> 3)) postings[total++] = p
      }
    }
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i] as string
      offsets[i] = total
      const m = mainIndex.get(term)
      if (m !== undefined) copy(main.postings, main.offsets[m] as number, main.offsets[m + 1] as number)
      const delta = this.#delta.get(term)
      if (delta) copy(delta, 0, delta.length)
    }
    offsets[terms.length] = total
    this.#main = { terms, offsets, postings: postings.slice(0, total) }
    this.#delta = new Map()
    this.#deltaTerms = undefined
    this.#deltaSize = 0
    this.#termTrigrams = undefined
    return true
  }

  /** Postings of every term starting with `prefix`. */
  prefixRanges(prefix: string): PostingRange[] {
    const out: PostingRange[] = []
    const main = this.#main
    for (let i = lowerBound(main.terms, prefix); i < main.terms.length; i++) {
      if (!(main.terms[i] as string).startsWith(prefix)) break
      out.push({ list: main.postings, start: main.offsets[i] as number, end: main.offsets[i + 1] as number, scale: 1 })
    }
    for (const term of this.#deltaRange(prefix)) {
      const list = this.#delta.get(term) as number[]
      out.push({ list, start: 0, end: list.length, scale: 1 })
    }
    return out
  }

  /**
   * Postings of terms that do not start with `word` but look like a misspelling of it (trigram similarity at
   * least `threshold`), scaled by that similarity. Numbers are never corrected.
   */
  similarRanges(word: string, threshold: number): PostingRange[] {
    const query = trigrams(word)
    if (query.size === 0 || /^\p{N}+$/u.test(word)) return []
    const out: PostingRange[] = []
    const main = this.#main
    const shared = new Map<number, number>()
    for (const t of query) for (const i of this.#trigramIndex().get(t) ?? []) shared.set(i, (shared.get(i) ?? 0) + 1)
    for (const [i, common] of shared) {
      const term = main.terms[i] as string
      const sim = common / (query.size + (this.#termTrigramCount[i] as number) - common)
      if (sim >= threshold && !term.startsWith(word))
        out.push({
          list: main.postings,
          start: main.offsets[i] as number,
          end: main.offsets[i + 1] as number,
          scale: sim,
        })
    }
    for (const [term, list] of this.#delta) {
      if (term.startsWith(word)) continue
      const other = trigrams(term)
      let common = 0
      for (const t of query) if (other.has(t)) common++
      const sim = common / (query.size + other.size - common)
      if (sim >= threshold) out.push({ list, start: 0, end: list.length, scale: sim })
    }
    return out
  }

  /** Bytes of the typed arrays and (estimated) delta lists. */
  get bytes(): number {
    return this.#main.postings.byteLength + this.#main.offsets.byteLength + this.#deltaSize * 8
  }

  #deltaRange(prefix: string): string[] {
    if (this.#delta.size === 0) return []
    this.#deltaTerms ??= [...this.#delta.keys()].sort()
    const terms = this.#deltaTerms
    const out: string[] = []
    for (let i = lowerBound(terms, prefix); i < terms.length && (terms[i] as string).startsWith(prefix); i++)
      out.push(terms[i] as string)
    return out
  }

  #trigramIndex(): Map<string, number[]> {
    if (this.#termTrigrams) return this.#termTrigrams
    const index = new Map<string, number[]>()
    this.#termTrigramCount = new Uint8Array(this.#main.terms.length)
    this.#main.terms.forEach((term, i) => {
      if (/^\p{N}+$/u.test(term)) return
      const own = trigrams(term)
      this.#termTrigramCount[i] = Math.min(own.size, 255)
      for (const t of own) {
        const list = index.get(t)
        if (list) list.push(i)
        else index.set(t, [i])
      }
    })
    this.#termTrigrams = index
    return index
  }
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
