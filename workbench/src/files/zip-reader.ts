import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { createInflateRaw } from 'node:zlib'
import { ZipBombError, type ZipEntry } from './zip-guard.ts'

const LOCAL = 0x04034b50

/**
 * The inflated bytes of one entry, as a stream. An entry that inflates past the size its central directory
 * declared (which `checkZip` bounded) fails with a `ZipBombError`, so declared sizes cannot lie.
 */
export async function entryChunks(file: string, entry: ZipEntry): Promise<AsyncIterable<Buffer>> {
  const handle = await open(file, 'r')
  let dataStart: number
  try {
    const header = Buffer.alloc(30)
    await handle.read(header, 0, 30, entry.localHeaderOffset)
    if (header.readUInt32LE(0) !== LOCAL) throw new ZipBombError(`the local header of ${entry.name} is damaged`)
    dataStart = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28)
  } finally {
    await handle.close()
  }
  if (entry.compressedSize === 0) return (async function* () {})()
  const raw = createReadStream(file, { start: dataStart, end: dataStart + entry.compressedSize - 1 })
  if (entry.method === 0) return bounded(raw, entry)
  if (entry.method !== 8) throw new ZipBombError(`${entry.name} uses compression method ${entry.method}`)
  return bounded(raw.pipe(createInflateRaw()), entry)
}

async function* bounded(source: AsyncIterable<Buffer>, entry: ZipEntry): AsyncIterable<Buffer> {
  let total = 0
  for await (const chunk of source) {
    total += chunk.length
    if (total > entry.uncompressedSize)
      throw new ZipBombError(`${entry.name} inflates past its declared ${entry.uncompressedSize} bytes`)
    yield chunk
  }
}

/** One entry, inflated whole, as UTF-8 text (for the small parts of a workbook: its index, styles, strings). */
export async function entryText(file: string, entry: ZipEntry): Promise<string> {
  const parts: Buffer[] = []
  for await (const chunk of await entryChunks(file, entry)) parts.push(chunk)
  return Buffer.concat(parts).toString('utf8')
}
