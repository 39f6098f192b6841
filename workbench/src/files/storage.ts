import { mkdir, open, rename, rm, stat, statfs, truncate } from 'node:fs/promises'
import path from 'node:path'

/**
 * Where uploaded bytes live. Everything is under the workspace data folder (the folder the workspace DuckDB is
 * sandboxed to), so DuckDB's readers can open the files directly:
 * `<dataDir>/workspaces/<workspaceId>/data/files/<fileId>/...` and partial uploads in `.../files/.partial/`.
 */
export class FileStorage {
  constructor(readonly dataDir: string) {}

  /** The workspace data folder (the DuckDB sandbox). Ids come from the database, never from raw input. */
  workspaceDataDir(workspaceId: string): string {
    return path.join(this.dataDir, 'workspaces', safeSegment(workspaceId), 'data')
  }

  filesDir(workspaceId: string): string {
    return path.join(this.workspaceDataDir(workspaceId), 'files')
  }

  partialPath(workspaceId: string, fileId: string): string {
    return path.join(this.filesDir(workspaceId), '.partial', `${safeSegment(fileId)}.part`)
  }

  /** The folder of a completed file: its original bytes and anything derived from them (UTF-8 copy, sheets). */
  fileDir(workspaceId: string, fileId: string): string {
    return path.join(this.filesDir(workspaceId), safeSegment(fileId))
  }

  originalPath(workspaceId: string, fileId: string): string {
    return path.join(this.fileDir(workspaceId, fileId), 'original')
  }

  /** Bytes received so far for a partial upload (0 when nothing arrived yet). */
  async received(workspaceId: string, fileId: string): Promise<number> {
    try {
      return (await stat(this.partialPath(workspaceId, fileId))).size
    } catch {
      return 0
    }
  }

  /** Free bytes on the file system holding the data folder, or undefined when it cannot be told. */
  async freeBytes(workspaceId: string): Promise<number | undefined> {
    try {
      const dir = this.filesDir(workspaceId)
      await mkdir(dir, { recursive: true })
      const fs = await statfs(dir)
      return fs.bavail * fs.bsize
    } catch {
      return undefined
    }
  }

  /**
   * Appends `body` to the partial file at `offset` (bytes after it are dropped first, so a chunk can be sent
   * again), streaming: nothing is buffered beyond a chunk. Stops with {@link TooLargeError} as soon as the file
   * would exceed `maxTotal`, keeping what was written before that point. If the body breaks off, the bytes
   * that arrived stay, and the caller can resume from {@link received}. `onWritten` is told of each range of
   * bytes once it is on disk, while the rest of the body is still arriving.
   */
  async append(
    workspaceId: string,
    fileId: string,
    offset: number,
    body: AsyncIterable<Uint8Array> | null,
    maxTotal: number,
    onWritten?: (from: number, to: number) => Promise<void>,
  ): Promise<number> {
    const file = this.partialPath(workspaceId, fileId)
    await mkdir(path.dirname(file), { recursive: true })
    const current = await this.received(workspaceId, fileId)
    if (offset > current) throw new OffsetError(current)
    if (offset < current) await truncate(file, offset)
    if (!body) return offset
    let total = offset
    // Network reads arrive in small pieces; they are gathered into one vectored write per WRITE_BYTES (bounded
    // memory, no copying into a bigger buffer), and whatever arrived before a break is written before the error
    // is passed on.
    const handle = await open(file, 'a')
    let pending: Buffer[] = []
    let pendingBytes = 0
    let written = offset
    const flush = async () => {
      if (pendingBytes === 0) return
      const data = pending
      const to = written + pendingBytes
      pending = []
      pendingBytes = 0
      await handle.writev(data)
      const from = written
      written = to
      await onWritten?.(from, to)
    }
    try {
      for await (const chunk of body) {
        // Refused before the chunk is written: the disk never holds more than the limit.
        if (total + chunk.length > maxTotal) throw new TooLargeError(maxTotal)
        pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
        pendingBytes += chunk.length
        total += chunk.length
        if (pendingBytes >= WRITE_BYTES) await flush()
      }
      await flush()
    } catch (err) {
      if (!(err instanceof TooLargeError)) await flush().catch(() => {})
      throw err
    } finally {
      await handle.close()
    }
    return total
  }

  /** Moves a finished partial upload to its file folder; returns the path of the original bytes. */
  async promote(workspaceId: string, fileId: string): Promise<string> {
    const target = this.originalPath(workspaceId, fileId)
    await mkdir(path.dirname(target), { recursive: true })
    await rename(this.partialPath(workspaceId, fileId), target)
    return target
  }

  async removePartial(workspaceId: string, fileId: string): Promise<void> {
    await rm(this.partialPath(workspaceId, fileId), { force: true })
  }

  async removeFile(workspaceId: string, fileId: string): Promise<void> {
    await rm(this.fileDir(workspaceId, fileId), { recursive: true, force: true })
    await this.removePartial(workspaceId, fileId)
  }
}

/** Largest write to disk while a chunk streams in: the memory an upload holds at most. */
const WRITE_BYTES = 1024 * 1024

/** The declared size or the size limit was exceeded while streaming. */
export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The upload is larger than ${limit} bytes`)
    this.name = 'TooLargeError'
  }
}

/** A chunk was sent for an offset past what the server has. */
export class OffsetError extends Error {
  constructor(readonly received: number) {
    super(`The server has ${received} bytes of this upload; send the chunk starting there`)
    this.name = 'OffsetError'
  }
}

function safeSegment(id: string): string {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) throw new Error(`unsafe path segment: ${id}`)
  return id
}
