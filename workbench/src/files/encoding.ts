import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { open, rename, stat } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import chardet from 'chardet'
import iconv from 'iconv-lite'

/** Text encodings a delimited or JSON file may be in; everything is transcoded to UTF-8 before DuckDB reads it. */
export const ENCODINGS = ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'windows-1252', 'iso-8859-1'] as const
export type TextEncoding = (typeof ENCODINGS)[number]

const SAMPLE_BYTES = 256 * 1024

/**
 * The encoding of a text file, from its first bytes: a byte-order mark wins; else valid UTF-8 is UTF-8; else
 * chardet's best guess among the single-byte encodings (Windows-1252 for Latin-1 lookalikes, since it is a
 * superset that also maps 0x80–0x9F).
 */
export async function detectEncoding(file: string): Promise<TextEncoding> {
  const sample = await head(file, SAMPLE_BYTES)
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf-8-bom'
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf-16le'
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf-16be'
  const nul = utf16WithoutBom(sample)
  if (nul) return nul
  if (isUtf8(sample)) return 'utf-8'
  const guess = (chardet.detect(sample) ?? '').toLowerCase()
  if (guess === 'utf-16le' || guess === 'utf-16be') return guess
  // ISO-8859-1 guesses too: Windows-1252 decodes every printable Latin-1 byte the same way.
  return 'windows-1252'
}

/**
 * A UTF-8 version of `file` for DuckDB: the file itself when it already is plain UTF-8, else a transcoded copy
 * at `target` (streamed; the byte-order mark dropped). Line breaks are kept, so line numbers stay the same.
 */
export async function utf8Version(file: string, encoding: TextEncoding, target: string): Promise<string> {
  if (encoding === 'utf-8') return file
  const existing = await stat(target).catch(() => undefined)
  if (existing) return target
  const source = encoding === 'utf-8-bom' ? 'utf-8' : encoding
  // A private temporary name: two previews of the same file may transcode at once; the rename is atomic.
  const partial = `${target}.${randomUUID()}.tmp`
  await pipeline(
    createReadStream(file),
    iconv.decodeStream(source, { stripBOM: true }),
    iconv.encodeStream('utf-8'),
    createWriteStream(partial),
  )
  await rename(partial, target)
  return target
}

/** The first `bytes` bytes of a file (fewer if it is shorter). */
export async function head(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.alloc(bytes)
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/** UTF-16 text without a byte-order mark: mostly-ASCII text has a NUL in every other byte. */
function utf16WithoutBom(sample: Buffer): TextEncoding | undefined {
  let even = 0
  let odd = 0
  const n = Math.min(sample.length, 4096)
  for (let i = 0; i < n; i++) if (sample[i] === 0) i % 2 === 0 ? even++ : odd++
  if (n < 4) return undefined
  if (odd > n / 4 && even < n / 100) return 'utf-16le'
  if (even > n / 4 && odd < n / 100) return 'utf-16be'
  return undefined
}

/** Valid UTF-8, tolerating a multi-byte character cut off at the end of the sample. */
function isUtf8(sample: Buffer): boolean {
  let end = sample.length
  // Back off over a trailing, possibly truncated, multi-byte sequence (at most 3 continuation bytes).
  for (let i = 0; i < 4 && end > 0; i++) {
    const byte = sample[end - 1] ?? 0
    if (byte < 0x80) break
    end--
    if (byte >= 0xc0) break
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, end))
    return true
  } catch {
    return false
  }
}
