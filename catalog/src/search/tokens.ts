/**
 * Words and trigrams, the units the search index is made of. Documents and queries go through the same
 * functions, so what the user types can never be "invalid": operators, quotes and punctuation are word breaks.
 */

/** Lower-case runs of letters and digits (`customer_orders` -> `customer`, `orders`). */
export function words(text: string | null | undefined): string[] {
  return text ? (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) : []
}

/**
 * Splits what the user typed into plain words (letters and digits). Everything else — operators, quotes,
 * punctuation, `_` — is a word break, so no input can produce an invalid query. At most 16 words.
 */
export function searchWords(q: string): string[] {
  return words(q).slice(0, 16)
}

/**
 * The trigrams of `text` as pg_trgm computes them: each word padded with two spaces before and one after, so
 * `similarity` here agrees with PostgreSQL's `similarity()` (and its `%` threshold of 0.3).
 */
export function trigrams(text: string): Set<string> {
  const out = new Set<string>()
  for (const word of words(text)) {
    const padded = `  ${word} `
    const chars = Array.from(padded)
    for (let i = 0; i + 3 <= chars.length; i++) out.add(`${chars[i]}${chars[i + 1]}${chars[i + 2]}`)
  }
  return out
}

/** pg_trgm's default similarity threshold: below it a name is not a likely misspelling of the query. */
export const SIMILARITY_THRESHOLD = 0.3

/** Shared trigrams over all distinct trigrams of both strings (pg_trgm `similarity`). */
export function similarity(a: string, b: string): number {
  const ta = trigrams(a)
  const tb = trigrams(b)
  if (ta.size === 0 || tb.size === 0) return 0
  let shared = 0
  for (const t of ta) if (tb.has(t)) shared++
  return shared / (ta.size + tb.size - shared)
}
