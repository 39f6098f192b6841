import { open } from 'node:fs/promises'

const CHUNK = 4 * 1024 * 1024

/**
 * Lines in a text file: its line feeds, plus one for a last line without one. Shown beside the rows an import
 * read, so a file whose quotes swallowed lines (or whose rows span lines) is visible at a glance.
 */
export async function countLines(file: string): Promise<number> {
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.allocUnsafe(CHUNK)
    let lines = 0
    let last = 0x0a
    let size = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null)
      if (bytesRead === 0) break
      size += bytesRead
      const chunk = bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead)
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++
      last = chunk[bytesRead - 1] ?? last
    }
    return size > 0 && last !== 0x0a ? lines + 1 : lines
  } finally {
    await handle.close()
  }
}
