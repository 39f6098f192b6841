import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import * as Y from 'yjs'
import type { Database } from '../db/schema.ts'

export interface DocumentStoreOptions {
  /** Compact once this many updates were appended since the last snapshot… */
  compactAfterUpdates: number
  /** …or once they take this many times the last snapshot's size (plus 64 KiB). */
  compactAfterSizeFactor: number
}

export const defaultDocumentStoreOptions: DocumentStoreOptions = {
  compactAfterUpdates: 500,
  compactAfterSizeFactor: 2,
}

export interface LoadedDocument {
  doc: Y.Doc
  /** Highest update seq contained in `doc`; '0' for a new document. */
  lastSeq: string
  /** Updates since the snapshot the document was loaded from (count and bytes), to decide compaction. */
  pendingUpdates: number
  pendingBytes: number
  snapshotBytes: number
  /** What could not be applied (corrupted snapshot or update); also recorded for admins. */
  problems: string[]
}

/**
 * Durable storage of one Yjs document per notebook: an append-only log of updates plus compacted
 * snapshots. Loading never fails on a corrupted row: it falls back to the previous snapshot, skips the
 * bad update, and records the problem.
 */
export class DocumentStore {
  readonly #options: DocumentStoreOptions

  constructor(
    readonly db: Kysely<Database>,
    readonly logger: Logger,
    options: Partial<DocumentStoreOptions> = {},
  ) {
    this.#options = { ...defaultDocumentStoreOptions, ...options }
  }

  /** Appends an accepted update and returns its seq; resolves only once the row is committed. */
  async append(notebookId: string, update: Uint8Array): Promise<string> {
    const row = await this.db
      .insertInto('notebook_updates')
      .values({ notebook_id: notebookId, data: update })
      .returning('seq')
      .executeTakeFirstOrThrow()
    return String(row.seq)
  }

  /** Loads the stored state into `doc` (a fresh one by default, or e.g. a YNotebook's). */
  async load(notebookId: string, doc: Y.Doc = new Y.Doc({ gc: true })): Promise<LoadedDocument> {
    const problems: string[] = []
    // The two latest snapshots: the older one is the fallback if the newer is corrupted, which is
    // why compaction keeps the updates it covers.
    const snapshots = await this.db
      .selectFrom('notebook_snapshots')
      .select(['id', 'covers_seq', 'data'])
      .where('notebook_id', '=', notebookId)
      .orderBy('covers_seq', 'desc')
      .limit(2)
      .execute()
    let baseSeq = '0'
    let snapshotBytes = 0
    for (const snapshot of snapshots) {
      const bytes = toBytes(snapshot.data)
      if (!isValidUpdate(bytes)) {
        problems.push(`snapshot ${snapshot.id} is corrupted`)
        continue
      }
      Y.applyUpdate(doc, bytes)
      baseSeq = String(snapshot.covers_seq)
      snapshotBytes = snapshot.data.byteLength
      break
    }
    const updates = await this.db
      .selectFrom('notebook_updates')
      .select(['seq', 'data'])
      .where('notebook_id', '=', notebookId)
      .where('seq', '>', baseSeq)
      .orderBy('seq')
      .execute()
    let lastSeq = baseSeq
    let pendingBytes = 0
    for (const update of updates) {
      const bytes = toBytes(update.data)
      if (isValidUpdate(bytes)) Y.applyUpdate(doc, bytes)
      else problems.push(`update ${update.seq} is corrupted`)
      lastSeq = String(update.seq)
      pendingBytes += update.data.byteLength
    }
    if (problems.length > 0) await this.#recordProblems(notebookId, problems)
    return { doc, lastSeq, pendingUpdates: updates.length, pendingBytes, snapshotBytes, problems }
  }

  /** Whether the log has grown enough since the last snapshot to be worth compacting. */
  shouldCompact(pendingUpdates: number, pendingBytes: number, snapshotBytes: number): boolean {
    return (
      pendingUpdates >= this.#options.compactAfterUpdates ||
      pendingBytes > snapshotBytes * this.#options.compactAfterSizeFactor + 65_536
    )
  }

  /**
   * Writes `doc` (which contains every update up to `coversSeq`) as a snapshot, then drops what the
   * previous snapshot covers: one older generation stays, as the fallback for a corrupted snapshot.
   */
  async compact(notebookId: string, doc: Y.Doc, coversSeq: string): Promise<number> {
    const state = Y.encodeStateAsUpdate(doc)
    await this.db.transaction().execute(async (trx) => {
      const previous = await trx
        .selectFrom('notebook_snapshots')
        .select(['id', 'covers_seq'])
        .where('notebook_id', '=', notebookId)
        .orderBy('covers_seq', 'desc')
        .limit(1)
        .executeTakeFirst()
      await trx
        .insertInto('notebook_snapshots')
        .values({ notebook_id: notebookId, covers_seq: coversSeq, data: state })
        .execute()
      if (previous) {
        await trx
          .deleteFrom('notebook_snapshots')
          .where('notebook_id', '=', notebookId)
          .where('covers_seq', '<', String(previous.covers_seq))
          .execute()
        await trx
          .deleteFrom('notebook_updates')
          .where('notebook_id', '=', notebookId)
          .where('seq', '<=', String(previous.covers_seq))
          .execute()
      }
    })
    return state.byteLength
  }

  /** Bytes stored for a notebook (snapshots + log), to check storage stays a small multiple of the document. */
  async storedBytes(notebookId: string): Promise<number> {
    const [snapshots, updates] = await Promise.all([
      this.db
        .selectFrom('notebook_snapshots')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<string>(eb.fn('octet_length', ['data'])), eb.val('0')).as('bytes'))
        .where('notebook_id', '=', notebookId)
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom('notebook_updates')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<string>(eb.fn('octet_length', ['data'])), eb.val('0')).as('bytes'))
        .where('notebook_id', '=', notebookId)
        .executeTakeFirstOrThrow(),
    ])
    return Number(snapshots.bytes) + Number(updates.bytes)
  }

  async #recordProblems(notebookId: string, problems: string[]): Promise<void> {
    for (const detail of problems) this.logger.error({ notebookId, problem: detail }, 'notebook document problem')
    await this.db
      .insertInto('notebook_problems')
      .values(problems.map((detail) => ({ notebook_id: notebookId, kind: 'corrupted_data', detail })))
      .execute()
  }
}

/** pg returns bytea as Buffer, PGlite as Uint8Array: Yjs wants a plain Uint8Array view of the bytes. */
function toBytes(data: Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

/**
 * Whether `update` decodes as a Yjs update. Checked on a scratch document so that a corrupted row can
 * never leave a half-applied state in the real one.
 */
export function isValidUpdate(update: Uint8Array): boolean {
  const probe = new Y.Doc()
  try {
    Y.applyUpdate(probe, update)
    return true
  } catch {
    return false
  } finally {
    probe.destroy()
  }
}
