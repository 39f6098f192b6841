import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { Kysely, Selectable } from 'kysely'
import type { Database, FilesTable } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'
import { detectEncoding, head, type TextEncoding } from './encoding.ts'
import { type FileStorage, OffsetError, TooLargeError } from './storage.ts'
import { type SheetInfo, type WorkbookLimits, WorkbookTooLargeError } from './xlsx.ts'
import { WorkbookConverter, WorkbookConvertTimeoutError } from './xlsx-converter.ts'

export type FileFormat = 'csv' | 'tsv' | 'xlsx' | 'parquet' | 'json' | 'ndjson'

/** An uploaded file as the API shows it. */
export interface FileRecord {
  id: string
  workspaceId: string
  name: string
  size: number
  status: 'uploading' | 'ready'
  /** Bytes the server holds (equals `size` once ready): where a resumed upload continues. */
  received: number
  format: FileFormat | null
  encoding: TextEncoding | null
  sheets: SheetInfo[] | null
  createdBy: string | null
  createdAt: string
  updatedAt: string
}

export interface UploadOptions {
  /** Largest file accepted (bytes): refused when declared, and again while bytes stream in. */
  maxUploadBytes: number
  /** Unfinished uploads untouched for this long are deleted by {@link UploadService.sweep}. */
  staleAfterMs: number
  /** What one .xlsx may expand to (defaults: `defaultWorkbookLimits`). */
  workbook?: WorkbookLimits
}

/** Told about uploads as their bytes arrive (the CSV stager reads them into DuckDB meanwhile). */
export interface UploadObserver {
  begun(workspaceId: string, fileId: string, name: string, size: number): void
  /** Bytes `[offset, received)` are on disk in the partial file `file`. */
  written(workspaceId: string, fileId: string, file: string, offset: number, received: number): Promise<void>
  /** The upload and everything made from it is gone. */
  dropped(workspaceId: string, fileId: string): Promise<void>
}

/**
 * Resumable chunked uploads into the workspace data folder, and the list of uploaded files.
 * Flow: `begin` (declares name and size) -> `writeChunk` at increasing offsets (resend from `received`
 * after an interruption) -> `complete` (format, encoding and workbook sheets are found once, here).
 */
export class UploadService {
  readonly #busy = new Set<string>()
  /** When each upload's `updated_at` was last written: chunks a few seconds apart need not write it again. */
  readonly #touched = new Map<string, number>()
  /** Workbooks are converted on a worker thread, never on the event loop. */
  readonly #workbooks = new WorkbookConverter()
  readonly #observers: UploadObserver[] = []

  constructor(
    private readonly db: Kysely<Database>,
    readonly storage: FileStorage,
    readonly options: UploadOptions,
  ) {}

  observe(observer: UploadObserver): void {
    this.#observers.push(observer)
  }

  async begin(workspaceId: string, input: { name: string; size: number; createdBy: string | null }) {
    if (input.size > this.options.maxUploadBytes) throw tooLarge(this.options.maxUploadBytes)
    const free = await this.storage.freeBytes(workspaceId)
    if (free !== undefined && free < input.size)
      throw new AppError(507, 'insufficient_storage', 'Not enough disk space for this file')
    const id = randomUUID()
    await this.db
      .insertInto('files')
      .values({
        id,
        workspace_id: workspaceId,
        name: input.name,
        size: input.size,
        status: 'uploading',
        format: null,
        encoding: null,
        details: null,
        created_by: input.createdBy,
      })
      .execute()
    for (const o of this.#observers) o.begun(workspaceId, id, input.name, input.size)
    return this.getOrThrow(workspaceId, id)
  }

  /**
   * Streams one chunk to disk at `offset`; answers the bytes now held. `length` (the request's Content-Length,
   * when sent) lets a chunk that would overflow the declared size be refused before a byte is read.
   */
  async writeChunk(
    workspaceId: string,
    fileId: string,
    offset: number,
    body: AsyncIterable<Uint8Array> | null,
    length?: number,
  ) {
    const row = await this.#row(workspaceId, fileId)
    if (row.status !== 'uploading') throw new AppError(409, 'upload_finished', 'This upload is already complete')
    const size = Number(row.size)
    if (length !== undefined && offset + length > size) {
      await this.#drop(workspaceId, fileId)
      throw new AppError(413, 'file_too_large', `The upload is larger than its declared size of ${size} bytes`)
    }
    if (this.#busy.has(fileId)) throw new AppError(409, 'upload_busy', 'Another chunk of this upload is arriving')
    this.#busy.add(fileId)
    try {
      const file = this.storage.partialPath(workspaceId, fileId)
      const received = await this.storage.append(workspaceId, fileId, offset, body, size, async (from, to) => {
        for (const o of this.#observers) await o.written(workspaceId, fileId, file, from, to)
      })
      // A resent chunk (or an empty one) writes nothing: observers learn where the upload now ends.
      if (received === offset)
        for (const o of this.#observers) await o.written(workspaceId, fileId, file, offset, offset)
      await this.#touch(fileId)
      return received
    } catch (err) {
      if (err instanceof OffsetError)
        throw new AppError(409, 'offset_mismatch', err.message, { received: err.received })
      if (err instanceof TooLargeError) {
        // Nothing past the declared size is kept, and the upload cannot be completed: remove it all.
        await this.#drop(workspaceId, fileId)
        throw new AppError(413, 'file_too_large', `The upload is larger than its declared size of ${size} bytes`)
      }
      await this.#touch(fileId)
      const received = await this.storage.received(workspaceId, fileId)
      throw new AppError(400, 'upload_interrupted', 'The chunk broke off; resume from the received offset', {
        received,
      })
    } finally {
      this.#busy.delete(fileId)
    }
  }

  async complete(workspaceId: string, fileId: string): Promise<FileRecord> {
    const row = await this.#row(workspaceId, fileId)
    if (row.status === 'ready') return this.#toRecord(row)
    const received = await this.storage.received(workspaceId, fileId)
    if (received !== Number(row.size))
      throw new AppError(409, 'upload_incomplete', `${received} of ${row.size} bytes received`, { received })
    const original = await this.storage.promote(workspaceId, fileId)
    let format: FileFormat
    let encoding: TextEncoding | null = null
    let details: { sheets?: SheetInfo[] } = {}
    try {
      ;({ format, encoding } = await sniffFormat(original, row.name))
      if (format === 'xlsx')
        details = {
          sheets: await this.#workbooks.convert(
            original,
            this.storage.fileDir(workspaceId, fileId),
            this.options.workbook,
          ),
        }
    } catch (err) {
      await this.#drop(workspaceId, fileId)
      if (err instanceof WorkbookTooLargeError)
        throw new AppError(413, 'workbook_too_large', `Could not read ${row.name}: ${err.message}`)
      if (err instanceof WorkbookConvertTimeoutError)
        throw new AppError(413, 'workbook_too_large', `Could not read ${row.name}: ${err.message}`)
      throw new AppError(400, 'unreadable_file', `Could not read ${row.name}: ${(err as Error).message}`)
    }
    await this.db
      .updateTable('files')
      .set({ status: 'ready', format, encoding, details: JSON.stringify(details), updated_at: new Date() })
      .where('id', '=', fileId)
      .execute()
    this.#touched.delete(fileId)
    return this.getOrThrow(workspaceId, fileId)
  }

  async list(workspaceId: string): Promise<FileRecord[]> {
    const rows = await this.db
      .selectFrom('files')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('created_at', 'desc')
      .execute()
    return Promise.all(rows.map((r) => this.#toRecord(r)))
  }

  async getOrThrow(workspaceId: string, fileId: string): Promise<FileRecord> {
    return this.#toRecord(await this.#row(workspaceId, fileId))
  }

  /** Deletes a file (finished or not) and everything derived from it on disk. */
  async remove(workspaceId: string, fileId: string): Promise<void> {
    await this.#row(workspaceId, fileId)
    await this.#drop(workspaceId, fileId)
  }

  /** Removes unfinished uploads idle for longer than `staleAfterMs`; answers how many. */
  async sweep(now = Date.now()): Promise<number> {
    const stale = await this.db
      .selectFrom('files')
      .select(['id', 'workspace_id'])
      .where('status', '=', 'uploading')
      .where('updated_at', '<', new Date(now - this.options.staleAfterMs))
      .execute()
    for (const row of stale) await this.#drop(row.workspace_id, row.id)
    return stale.length
  }

  async #drop(workspaceId: string, fileId: string) {
    this.#touched.delete(fileId)
    for (const o of this.#observers) await o.dropped(workspaceId, fileId)
    await this.storage.removeFile(workspaceId, fileId)
    await this.db.deleteFrom('files').where('id', '=', fileId).execute()
  }

  async #touch(fileId: string) {
    const now = Date.now()
    // The sweep works in hours; a write per minute of activity keeps an upload alive without a query per chunk.
    if (now - (this.#touched.get(fileId) ?? 0) < 60_000) return
    this.#touched.set(fileId, now)
    await this.db.updateTable('files').set({ updated_at: new Date() }).where('id', '=', fileId).execute()
  }

  async #row(workspaceId: string, fileId: string) {
    const row = await this.db
      .selectFrom('files')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', fileId)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('file', fileId)
    return row
  }

  async #toRecord(row: Selectable<FilesTable>): Promise<FileRecord> {
    const size = Number(row.size)
    const details = (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as {
      sheets?: SheetInfo[]
    } | null
    return {
      id: row.id,
      workspaceId: row.workspace_id,
      name: row.name,
      size,
      status: row.status,
      received: row.status === 'ready' ? size : await this.storage.received(row.workspace_id, row.id),
      format: row.format as FileFormat | null,
      encoding: row.encoding as TextEncoding | null,
      sheets: details?.sheets ?? null,
      createdBy: row.created_by,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    }
  }
}

function tooLarge(limit: number): AppError {
  return new AppError(413, 'file_too_large', `Files are limited to ${limit} bytes`, { limit })
}

/** The format of a finished upload, from its first bytes (magic numbers) and then its name. */
export async function sniffFormat(
  file: string,
  name: string,
): Promise<{ format: FileFormat; encoding: TextEncoding | null }> {
  const bytes = await head(file, 8)
  const ext = path.extname(name).toLowerCase()
  if (bytes.subarray(0, 4).toString('latin1') === 'PAR1') return { format: 'parquet', encoding: null }
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    if (ext === '.xlsx' || ext === '.xlsm' || ext === '') return { format: 'xlsx', encoding: null }
    throw new Error('a ZIP archive that is not an .xlsx workbook')
  }
  const encoding = await detectEncoding(file)
  if (ext === '.ndjson' || ext === '.jsonl') return { format: 'ndjson', encoding }
  if (ext === '.json') return { format: 'json', encoding }
  if (ext === '.tsv' || ext === '.tab') return { format: 'tsv', encoding }
  return { format: 'csv', encoding }
}
