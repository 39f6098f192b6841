import { randomUUID } from 'node:crypto'

/** Where a value sits in a JSON document: object keys and array indexes from the root. */
export type JsonPath = (string | number)[]

/** A number whose JSON text a JavaScript number would not write back the same way, and where it is. */
export interface ExactNumber {
  path: JsonPath
  /** The number as written in the source (`1.0`, `-0.0`, `9007199254740993`). */
  text: string
}

const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * The numbers of a JSON text that `JSON.parse` + `JSON.stringify` would change for a reader that tells integers
 * from floats (Python's `json`, so nbformat): integers beyond 2^53 (rounded), integral floats such as `1.0` (written
 * `1`, read back as an int) and `-0.0` (written `0`). Every other number survives a JavaScript round trip.
 *
 * `text` must be valid JSON (parse it first): this scanner only tracks where it is, it does not check syntax.
 */
export function findInexactNumbers(text: string): ExactNumber[] {
  const found: ExactNumber[] = []
  const path: JsonPath = []
  // One entry per open container: true for an object (the top of `path` is its current key), false for an array.
  const inObject: boolean[] = []
  let expectKey = false
  let i = 0
  const end = text.length
  while (i < end) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const close = stringEnd(text, i)
      if (expectKey) {
        const raw = text.slice(i + 1, close - 1)
        path[path.length - 1] = raw.includes('\\') ? (JSON.parse(text.slice(i, close)) as string) : raw
        expectKey = false
      }
      i = close
    } else if (c === 0x7b /* { */) {
      inObject.push(true)
      path.push('')
      expectKey = true
      i++
    } else if (c === 0x5b /* [ */) {
      inObject.push(false)
      path.push(0)
      i++
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      inObject.pop()
      path.pop()
      expectKey = false
      i++
    } else if (c === 0x2c /* , */) {
      if (inObject[inObject.length - 1]) expectKey = true
      else path[path.length - 1] = (path[path.length - 1] as number) + 1
      i++
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1
      while (j < end && isNumberChar(text.charCodeAt(j))) j++
      const raw = text.slice(i, j)
      if (isInexact(raw)) found.push({ path: path.slice(), text: raw })
      i = j
    } else {
      i++
    }
  }
  return found
}

/** Whether JavaScript would write `raw` back as a different number, or as an int where it was a float. */
export function isInexact(raw: string): boolean {
  // Short plain integers are the bulk of every notebook: exact as doubles.
  if (raw.length < 16 && /^-?\d+$/.test(raw)) return false
  const written = JSON.stringify(Number(raw))
  const writtenAsFloat = /[.eE]/.test(written)
  if (/[.eE]/.test(raw)) return !writtenAsFloat // integral (1.0, -0.0, 1e5) or non-finite (1e400)
  return writtenAsFloat || BigInt(written) !== BigInt(raw)
}

function isNumberChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d
}

/** Index just past the closing quote of the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1
  for (;;) {
    const quote = text.indexOf('"', i)
    if (quote < 0) return text.length
    let backslashes = 0
    for (let k = quote - 1; k > start && text.charCodeAt(k) === BACKSLASH; k--) backslashes++
    if (backslashes % 2 === 0) return quote + 1
    i = quote + 1
  }
}

/**
 * `JSON.stringify(value)` with the numbers of `exact` written as their source text, where the value at that path is
 * still the number the text stands for (an edited value is written as it now is). `value` is modified: pass a copy.
 */
export function stringifyWithExactNumbers(value: unknown, exact: ExactNumber[]): string {
  if (exact.length === 0) return JSON.stringify(value)
  const token = `exact-number:${randomUUID()}:`
  const texts: string[] = []
  for (const { path, text } of exact) {
    const parent = containerAt(value, path.slice(0, -1))
    const key = path[path.length - 1]
    if (parent === undefined || key === undefined) continue
    const current = (parent as Record<string | number, unknown>)[key]
    // -0 is stored as 0 and a rounded big integer as its double: both still compare equal to Number(text).
    if (typeof current !== 'number' || current !== Number(text)) continue
    ;(parent as Record<string | number, unknown>)[key] = `${token}${texts.length}`
    texts.push(text)
  }
  if (texts.length === 0) return JSON.stringify(value)
  const placeholder = new RegExp(`"${token}(\\d+)"`, 'g')
  return JSON.stringify(value).replace(placeholder, (_, index: string) => texts[Number(index)] ?? 'null')
}

function containerAt(root: unknown, path: JsonPath): object | undefined {
  let node = root
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined
    node = (node as Record<string | number, unknown>)[key]
  }
  return typeof node === 'object' && node !== null ? node : undefined
}
