import { open } from 'node:fs/promises'

/** Bounds on what a ZIP container (an .xlsx workbook) may expand to, checked before anything is inflated. */
export interface ZipLimits {
  /** Sum of the entries' uncompressed sizes. */
  maxUncompressedBytes: number
  /** Uncompressed / compressed size of one entry above 1 MiB (spreadsheet XML compresses ~5-30×; bombs 1000×). */
  maxRatio: number
  /** Entries in the archive. */
  maxEntries: number
  /** Uncompressed size of one named entry (the shared strings, which the reader keeps in memory). */
  maxEntryBytes?: Record<string, number>
}

/** The archive would expand past a limit; the message says which. */
export class ZipBombError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ZipBombError'
  }
}

export interface ZipEntry {
  name: string
  compressedSize: number
  uncompressedSize: number
  /** 0: stored, 8: deflated (the only two methods an .xlsx uses). */
  method: number
  /** Offset of the entry's local header in the archive. */
  localHeaderOffset: number
}

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const MAX_COMMENT = 0xffff

/**
 * Reads a ZIP file's central directory (never inflating anything) and refuses it when the declared sizes pass
 * `limits`. Declared sizes can lie, so the reader must still bound what it actually expands (see `xlsx.ts`).
 */
export async function checkZip(file: string, limits: ZipLimits): Promise<ZipEntry[]> {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    const tailLength = Math.min(size, 22 + MAX_COMMENT)
    const tail = Buffer.alloc(tailLength)
    await handle.read(tail, 0, tailLength, size - tailLength)
    let eocd = -1
    for (let i = tailLength - 22; i >= 0; i--)
      if (tail.readUInt32LE(i) === EOCD) {
        eocd = i
        break
      }
    if (eocd < 0) throw new ZipBombError('not a ZIP archive (no end of central directory)')
    const count = tail.readUInt16LE(eocd + 10)
    const directorySize = tail.readUInt32LE(eocd + 12)
    const directoryOffset = tail.readUInt32LE(eocd + 16)
    if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff)
      throw new ZipBombError('ZIP64 archives are not supported')
    if (count > limits.maxEntries) throw new ZipBombError(`${count} entries; at most ${limits.maxEntries} are taken`)
    if (directoryOffset + directorySize > size) throw new ZipBombError('the central directory is outside the file')
    const directory = Buffer.alloc(directorySize)
    await handle.read(directory, 0, directorySize, directoryOffset)
    const entries: ZipEntry[] = []
    let total = 0
    for (let at = 0, i = 0; i < count; i++) {
      if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL)
        throw new ZipBombError('the central directory is damaged')
      const method = directory.readUInt16LE(at + 10)
      const compressedSize = directory.readUInt32LE(at + 20)
      const uncompressedSize = directory.readUInt32LE(at + 24)
      const nameLength = directory.readUInt16LE(at + 28)
      const extraLength = directory.readUInt16LE(at + 30)
      const commentLength = directory.readUInt16LE(at + 32)
      const localHeaderOffset = directory.readUInt32LE(at + 42)
      const name = directory.toString('utf8', at + 46, at + 46 + nameLength)
      at += 46 + nameLength + extraLength + commentLength
      if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff)
        throw new ZipBombError('ZIP64 entries are not supported')
      total += uncompressedSize
      if (uncompressedSize > 1024 * 1024 && uncompressedSize > limits.maxRatio * Math.max(compressedSize, 1))
        throw new ZipBombError(
          `${name} expands ${Math.round(uncompressedSize / Math.max(compressedSize, 1))}× (at most ${limits.maxRatio}× is taken)`,
        )
      const entryLimit = limits.maxEntryBytes?.[name]
      if (entryLimit !== undefined && uncompressedSize > entryLimit)
        throw new ZipBombError(`${name} is ${uncompressedSize} bytes uncompressed; at most ${entryLimit} are taken`)
      entries.push({ name, compressedSize, uncompressedSize, method, localHeaderOffset })
    }
    if (total > limits.maxUncompressedBytes)
      throw new ZipBombError(`expands to ${total} bytes; at most ${limits.maxUncompressedBytes} are taken`)
    return entries
  } finally {
    await handle.close()
  }
}
