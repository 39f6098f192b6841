import { randomUUID } from 'node:crypto'
import { appendFile, mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { quoteIdentifier } from '@workbench/kernels/duckdb'
import type { WorkspaceDuckdb } from '../kernels/workspace-databases.ts'
import { detectEncoding } from './encoding.ts'
import { exactCsvSelect } from './exactness.ts'
import { type Resolved, resolveSource } from './inspector.ts'
import type { SourceSpec } from './sources.ts'
import type { FileFormat, FileRecord, UploadObserver } from './upload-service.ts'

/** Bytes held before the first piece is read: the dialect and types are sniffed from them (as from the file). */
const FIRST_PIECE_BYTES = 4 * 1024 * 1024
/** Pieces read after the first: large enough that a statement's fixed cost is small, small enough to keep up. */
const PIECE_BYTES = 8 * 1024 * 1024
/** Internal tables (hidden everywhere by their prefix) that hold rows read while an upload streams in. */
export const STAGE_PREFIX = '_workbench_stage_'

/** Rows read while the upload arrived, ready to become the import's table if the import asks for the same read. */
export interface StagedRows {
  table: string
  rows: number
  lines: number
}

interface Staging {
  workspaceId: string
  fileId: string
  format: FileFormat
  size: number
  dir: string
  /** Bytes of the upload looked at so far (always the bytes received, or the staging was given up). */
  scanned: number
  /** Bytes held in the pending piece file. */
  pieceBytes: number
  pieces: number
  resolved?: Resolved
  quote: number
  delimiter: number
  inQuote: boolean
  /** The byte before `scanned`, and whether a closing quote at its end still waits for its next byte. */
  previous: number
  closePending: boolean
  newlines: number
  lastByte: number
  rows: number
  table: string
  /** Loads run one after another, each after its piece is on disk. */
  chain: Promise<void>
  failed: boolean
  finished: boolean
  /** When bytes last arrived (or the staging began): stagings no import took are dropped after a while. */
  touchedAt: number
}

/** A staging no import has taken this long after its last bytes is dropped (its upload is kept). */
const STAGING_IDLE_MS = 30 * 60_000

/**
 * Reads a delimited upload into DuckDB while it streams in, so an import made with the settings DuckDB detects
 * costs little more than the upload. The file is cut into pieces at line breaks that are outside quoted values,
 * each piece read strictly (with the same `read_csv` as the import's fast path) and appended to a staging table.
 * This is a guess: the import adopts the staged rows only when it resolves exactly the same read (dialect,
 * names, types, encoding) on the whole file, every piece was read without an error, and no value would change
 * on the way in; otherwise they are dropped and the file is read as if nothing had been staged.
 *
 * Cutting is only safe where a line break is a record boundary. A file whose quotes all sit at field
 * boundaries (`"a""b",c`) is cut exactly by counting quotes; any other quote (`5'4"` inside a value, which
 * DuckDB reads literally) gives the staging up.
 */
export class CsvStager implements UploadObserver {
  readonly #stagings = new Map<string, Staging>()

  constructor(
    private readonly duckdb: WorkspaceDuckdb,
    private readonly partialDir: (workspaceId: string) => string,
  ) {}

  /** Starts staging a new upload whose name says it is delimited text (the first bytes confirm it). */
  begun(workspaceId: string, fileId: string, name: string, size: number): void {
    for (const idle of this.#stagings.values())
      if (Date.now() - idle.touchedAt > STAGING_IDLE_MS) void this.#giveUp(idle)
    const format = textFormat(name)
    if (!format || size === 0) return
    this.#stagings.set(fileId, {
      workspaceId,
      fileId,
      format,
      size,
      dir: path.join(this.partialDir(workspaceId), `${fileId}.stage`),
      scanned: 0,
      pieceBytes: 0,
      pieces: 0,
      quote: -1,
      delimiter: -1,
      inQuote: false,
      previous: 0x0a,
      closePending: false,
      newlines: 0,
      lastByte: 0x0a,
      rows: 0,
      table: `${STAGE_PREFIX}${randomUUID().replaceAll('-', '')}`,
      chain: Promise.resolve(),
      failed: false,
      finished: false,
      touchedAt: Date.now(),
    })
  }

  /** Bytes `[offset, received)` of the upload are on disk at `file`. Resent or out-of-order bytes end staging. */
  async written(workspaceId: string, fileId: string, file: string, offset: number, received: number): Promise<void> {
    const s = this.#stagings.get(fileId)
    if (!s || s.failed || s.workspaceId !== workspaceId) return
    if (offset !== s.scanned) return this.#giveUp(s)
    s.touchedAt = Date.now()
    if (received === offset) return
    try {
      const bytes = await readRange(file, offset, received)
      await this.#take(s, bytes)
    } catch {
      await this.#giveUp(s)
    }
  }

  /** The upload was removed, or failed: its staged rows go too. */
  async dropped(_workspaceId: string, fileId: string): Promise<void> {
    const s = this.#stagings.get(fileId)
    if (s) await this.#giveUp(s)
  }

  /**
   * The staged rows of `fileId` if they are exactly what reading `resolved` (the import's read of the whole
   * file, made from `file`) gives, else undefined (and anything staged is dropped). Either way the staging ends.
   */
  async take(file: FileRecord, resolved: Resolved): Promise<StagedRows | undefined> {
    const s = this.#stagings.get(file.id)
    if (!s) return undefined
    this.#stagings.delete(file.id)
    await s.chain
    const ok =
      !s.failed &&
      s.finished &&
      s.resolved !== undefined &&
      file.format === s.format &&
      file.encoding === s.resolved.encoding &&
      resolved.encoding === s.resolved.encoding &&
      sameRead(resolved.spec, s.resolved.spec)
    await rm(s.dir, { recursive: true, force: true }).catch(() => {})
    if (!ok) {
      await this.#dropTable(s)
      return undefined
    }
    return { table: s.table, rows: s.rows, lines: s.newlines + (s.lastByte === 0x0a ? 0 : 1) }
  }

  /** Drops a staging table the import did not adopt (it failed to commit it). */
  async discard(workspaceId: string, table: string): Promise<void> {
    await this.#withConnection(workspaceId, (con) => con.run(`DROP TABLE IF EXISTS main.${quoteIdentifier(table)}`))
  }

  async #take(s: Staging, bytes: Buffer): Promise<void> {
    if (!s.resolved && s.scanned + bytes.length < Math.min(FIRST_PIECE_BYTES, s.size)) {
      // Before the dialect is known, bytes are only gathered.
      await this.#appendPiece(s, bytes)
      s.scanned += bytes.length
      return
    }
    if (!s.resolved) {
      await this.#appendPiece(s, bytes)
      s.scanned += bytes.length
      await this.#resolve(s)
      if (s.failed) return
      // The bytes gathered so far are scanned now that the quote is known, then cut like any other.
      const gathered = await readRange(this.#piecePath(s), 0, s.pieceBytes)
      s.pieceBytes = 0
      s.scanned = 0
      await rm(this.#piecePath(s), { force: true })
      return this.#cut(s, gathered)
    }
    return this.#cut(s, bytes)
  }

  /** Scans `bytes` (the next bytes of the upload), writes them to pieces and queues every completed piece. */
  async #cut(s: Staging, bytes: Buffer): Promise<void> {
    const boundary = scanQuotes(s, bytes)
    if (s.failed) return this.#giveUp(s)
    for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) s.newlines++
    if (bytes.length > 0) s.lastByte = bytes[bytes.length - 1] ?? s.lastByte
    s.scanned += bytes.length
    const last = s.scanned === s.size
    if (last) {
      if (s.inQuote) return this.#giveUp(s)
      await this.#appendPiece(s, bytes)
      await this.#queue(s, true)
      return
    }
    if (boundary === -1 || s.pieceBytes + boundary + 1 < PIECE_BYTES) {
      await this.#appendPiece(s, bytes)
      return
    }
    await this.#appendPiece(s, bytes.subarray(0, boundary + 1))
    await this.#queue(s, false)
    await this.#appendPiece(s, bytes.subarray(boundary + 1))
  }

  async #resolve(s: Staging): Promise<void> {
    const head = this.#piecePath(s)
    try {
      const encoding = await detectEncoding(head)
      if (encoding !== 'utf-8' && encoding !== 'utf-8-bom') return this.#giveUp(s)
      // The gathered head is read exactly as an import reads the finished file ("original" in a file folder).
      const original = path.join(s.dir, 'original')
      await rename(head, original)
      const file: FileRecord = {
        id: s.fileId,
        workspaceId: s.workspaceId,
        name: s.format === 'tsv' ? 'upload.tsv' : 'upload.csv',
        size: s.scanned,
        status: 'ready',
        received: s.scanned,
        format: s.format,
        encoding,
        sheets: null,
        createdBy: null,
        createdAt: '',
        updatedAt: '',
      }
      const resolved = await this.#withConnection(s.workspaceId, (con) =>
        resolveSource(con, file, s.dir, {}, 'import'),
      ).finally(() => rename(original, head))
      const { spec } = resolved
      if (spec.kind !== 'csv' || resolved.detected.size === 0) return this.#giveUp(s)
      const { quote, escape: escapeChar, delimiter } = spec.dialect
      // Counting quotes finds record boundaries only with one-byte quote and delimiter, and doubled quotes.
      if (Buffer.byteLength(delimiter) !== 1 || Buffer.byteLength(quote) > 1) return this.#giveUp(s)
      if (quote !== '' && escapeChar !== quote && escapeChar !== '') return this.#giveUp(s)
      s.resolved = resolved
      s.quote = quote === '' ? -1 : quote.charCodeAt(0)
      s.delimiter = delimiter.charCodeAt(0)
    } catch {
      await this.#giveUp(s)
    }
  }

  /** Queues the load of the piece written so far (and starts the next piece). */
  async #queue(s: Staging, last: boolean): Promise<void> {
    const spec = s.resolved?.spec
    if (spec?.kind !== 'csv') return this.#giveUp(s)
    const first = s.pieces === 0
    s.pieces++
    s.pieceBytes = 0
    // The piece moves aside before the next one starts in its place.
    const loading = `${this.#piecePath(s)}.${s.pieces}`
    await rename(this.#piecePath(s), loading)
    s.chain = s.chain.then(async () => {
      if (s.failed) return
      try {
        const select = exactCsvSelect(spec, { path: loading, header: first ? spec.dialect.header : false })
        await this.#withConnection(s.workspaceId, async (con) => {
          // A value DuckDB would change on the way in (an offset a TIMESTAMP drops, say) stops the read and
          // ends the staging: the import then reads the file itself and refuses it with the row and the value.
          const target = `main.${quoteIdentifier(s.table)}`
          const result = await con.runAndReadAll(
            first ? `CREATE TABLE ${target} AS ${select}` : `INSERT INTO ${target} ${select}`,
          )
          s.rows += Number(result.getRows()[0]?.[0] ?? 0)
        })
        if (last) s.finished = true
      } catch {
        s.failed = true
        await this.#dropTable(s).catch(() => {})
      } finally {
        await rm(loading, { force: true }).catch(() => {})
      }
    })
  }

  #piecePath(s: Staging): string {
    return path.join(s.dir, 'piece')
  }

  async #appendPiece(s: Staging, bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return
    await mkdir(s.dir, { recursive: true })
    await appendFile(this.#piecePath(s), bytes)
    s.pieceBytes += bytes.length
  }

  async #giveUp(s: Staging): Promise<void> {
    s.failed = true
    this.#stagings.delete(s.fileId)
    await s.chain.catch(() => {})
    await this.#dropTable(s).catch(() => {})
    await rm(s.dir, { recursive: true, force: true }).catch(() => {})
  }

  async #dropTable(s: Staging): Promise<void> {
    if (s.pieces === 0) return
    await this.discard(s.workspaceId, s.table)
  }

  async #withConnection<T>(workspaceId: string, fn: (con: DuckDBConnection) => Promise<T>): Promise<T> {
    const con = await (await this.duckdb(workspaceId)).connect()
    try {
      return await fn(con)
    } finally {
      con.closeSync()
    }
  }
}

/** The format an upload's name gives, when it is delimited text (`sniffFormat` has the last word). */
function textFormat(name: string): FileFormat | undefined {
  const ext = path.extname(name).toLowerCase()
  if (ext === '.tsv' || ext === '.tab') return 'tsv'
  if (['.json', '.ndjson', '.jsonl', '.parquet', '.xlsx', '.xlsm', ''].includes(ext)) return undefined
  return 'csv'
}

/** The same `read_csv` (apart from the path): dialect, and each column's name and type. */
function sameRead(a: SourceSpec, b: SourceSpec): boolean {
  if (a.kind !== 'csv' || b.kind !== 'csv') return false
  const da = a.dialect
  const db = b.dialect
  if (
    da.delimiter !== db.delimiter ||
    da.quote !== db.quote ||
    da.escape !== db.escape ||
    da.header !== db.header ||
    da.decimal !== db.decimal
  )
    return false
  return (
    a.columns.length === b.columns.length &&
    a.columns.every((c, i) => {
      const d = b.columns[i]
      return d !== undefined && c.name === d.name && c.source === d.source && c.type === d.type
    })
  )
}

/**
 * Follows the quotes of the next bytes of the upload; answers the index of the last line feed in `bytes` that is
 * outside a quoted value (-1 if none). A quote that opens anywhere but at the start of a field, or closes
 * anywhere but at its end, marks the staging failed.
 */
export function scanQuotes(
  s: Pick<Staging, 'quote' | 'delimiter' | 'inQuote' | 'previous' | 'closePending' | 'failed'>,
  bytes: Buffer,
): number {
  let last = -1
  let pos = 0
  const fieldEnd = (b: number) => b === s.delimiter || b === 0x0a || b === 0x0d
  if (s.closePending && bytes.length > 0) {
    // The previous bytes ended with a quote that closed a value: what follows must end the field, or be the
    // quote again (a doubled quote: the value goes on).
    s.closePending = false
    if (bytes[0] === s.quote) {
      s.inQuote = true
      pos = 1
    } else if (!fieldEnd(bytes[0] ?? 0)) {
      s.failed = true
      return -1
    }
  }
  while (pos < bytes.length) {
    if (s.inQuote) {
      const q = bytes.indexOf(s.quote, pos)
      if (q === -1) break
      s.inQuote = false
      if (q + 1 >= bytes.length) {
        s.closePending = true
        pos = q + 1
        break
      }
      const after = bytes[q + 1] ?? 0
      if (after === s.quote) {
        s.inQuote = true
        pos = q + 2
        continue
      }
      if (!fieldEnd(after)) {
        s.failed = true
        return -1
      }
      pos = q + 1
      continue
    }
    const q = s.quote < 0 ? -1 : bytes.indexOf(s.quote, pos)
    const end = q === -1 ? bytes.length : q
    const nl = end > pos ? bytes.lastIndexOf(0x0a, end - 1) : -1
    if (nl >= pos) last = nl
    if (q === -1) break
    const before = q === 0 ? s.previous : (bytes[q - 1] ?? 0)
    if (!fieldEnd(before)) {
      s.failed = true
      return -1
    }
    s.inQuote = true
    pos = q + 1
  }
  if (bytes.length > 0) s.previous = bytes[bytes.length - 1] ?? s.previous
  return last
}

async function readRange(file: string, start: number, end: number): Promise<Buffer> {
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.allocUnsafe(end - start)
    let done = 0
    while (done < buffer.length) {
      const { bytesRead } = await handle.read(buffer, done, buffer.length - done, start + done)
      if (bytesRead === 0) throw new Error('the upload is shorter than reported')
      done += bytesRead
    }
    return buffer
  } finally {
    await handle.close()
  }
}
