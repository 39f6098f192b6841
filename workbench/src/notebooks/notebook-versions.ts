import { createHash, randomUUID } from 'node:crypto'
import type { INotebookContent } from '@jupyterlab/nbformat'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import * as Y from 'yjs'
import type { CollabServer } from '../collab/collab-server.ts'
import type { DocumentStore } from '../collab/document-store.ts'
import type { Database } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'
import { type ExactNumbersByCell, exactNumbersOf, updateToNotebook } from './ipynb.ts'
import { readDocument, replaceNotebookContent } from './live-document.ts'
import { diffNotebooks, type NotebookDiff } from './notebook-diff.ts'

/**
 * Why a version exists: `auto` after a quiet period, `pre-compile` before a pipeline compile,
 * `pre-restore` (the state a restore replaced, so a restore can itself be undone), `named` by a user.
 */
export type VersionKind = 'auto' | 'named' | 'pre-compile' | 'pre-restore'

export interface VersionSummary {
  id: string
  notebookId: string
  kind: VersionKind
  label: string | null
  createdBy: string | null
  createdAt: string
  cellCount: number
  /** Size of the stored Yjs state. */
  bytes: number
}

export interface NotebookVersionsOptions {
  /** Versions kept per notebook that nobody named (auto, pre-compile, pre-restore): the newest ones. */
  keepAutomatic: number
  /** Named versions allowed per notebook; creating one more is refused (delete is not offered). */
  maxNamed: number
}

export const defaultVersionsOptions: NotebookVersionsOptions = { keepAutomatic: 50, maxNamed: 100 }

/** Where a diff starts or ends: a version id, or `live` for the current document. */
export type VersionRef = string

const SUMMARY = ['id', 'notebook_id', 'kind', 'label', 'created_by', 'created_at', 'cell_count'] as const

/**
 * Versions of notebooks: each is the document's whole Yjs state (plus a content hash and cell count),
 * so it can be viewed as nbformat JSON, diffed, and restored into the live document. Storage is
 * bounded per notebook by {@link NotebookVersionsOptions}.
 */
export class NotebookVersions {
  readonly options: NotebookVersionsOptions

  constructor(
    readonly db: Kysely<Database>,
    readonly store: DocumentStore,
    readonly collab: CollabServer | undefined,
    readonly logger: Logger,
    options: Partial<NotebookVersionsOptions> = {},
  ) {
    this.options = { ...defaultVersionsOptions, ...options }
  }

  /**
   * Snapshots the notebook's current document. Automatic kinds are skipped when the content did not
   * change since the latest version, which is then returned instead; named versions are always made.
   * (Contract F: the pipeline compiler calls this with `pre-compile` before each compile.)
   */
  async create(
    notebookId: string,
    options: { kind: VersionKind; label?: string; userId?: string | null },
  ): Promise<VersionSummary> {
    const { state, content } = await readDocument(this.store, this.collab, notebookId, (doc) => {
      const state = Y.encodeStateAsUpdate(doc)
      return { state, content: updateToNotebook(state) }
    })
    const hash = contentHash(content)
    if (options.kind !== 'named') {
      const latest = await this.#summaries(notebookId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .executeTakeFirst()
      if (latest && latest.content_hash === hash) return toSummary(latest)
    } else {
      const named = await this.db
        .selectFrom('notebook_versions')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('notebook_id', '=', notebookId)
        .where('kind', '=', 'named')
        .executeTakeFirstOrThrow()
      if (Number(named.n) >= this.options.maxNamed)
        throw new AppError(409, 'version_limit', `A notebook keeps at most ${this.options.maxNamed} named versions`)
    }
    const row = await this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('notebook_versions')
        .values({
          id: randomUUID(),
          notebook_id: notebookId,
          kind: options.kind,
          label: options.label ?? null,
          created_by: options.userId ?? null,
          content_hash: hash,
          cell_count: content.cells.length,
          data: state,
        })
        .returning([...SUMMARY, 'content_hash', (eb) => eb.fn('octet_length', ['data']).as('bytes')])
        .executeTakeFirstOrThrow()
      // Keep the newest automatic versions only.
      const stale = await trx
        .selectFrom('notebook_versions')
        .select('id')
        .where('notebook_id', '=', notebookId)
        .where('kind', '!=', 'named')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .offset(this.options.keepAutomatic)
        .limit(1000)
        .execute()
      if (stale.length > 0)
        await trx
          .deleteFrom('notebook_versions')
          .where(
            'id',
            'in',
            stale.map((s) => s.id),
          )
          .execute()
      return inserted
    })
    return toSummary(row)
  }

  /** A page of versions, newest first. */
  async list(
    notebookId: string,
    options: { limit: number; offset: number; kind?: VersionKind },
  ): Promise<{ items: VersionSummary[]; total: number }> {
    let query = this.db.selectFrom('notebook_versions').where('notebook_id', '=', notebookId)
    if (options.kind) query = query.where('kind', '=', options.kind)
    const [rows, count] = await Promise.all([
      query
        .select([...SUMMARY, 'content_hash', (eb) => eb.fn('octet_length', ['data']).as('bytes')])
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(options.limit)
        .offset(options.offset)
        .execute(),
      query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ])
    return { items: rows.map(toSummary), total: Number(count.total) }
  }

  /** A version and its content as nbformat JSON. */
  async get(notebookId: string, versionId: string): Promise<{ version: VersionSummary; notebook: INotebookContent }> {
    const row = await this.#summaries(notebookId).select('data').where('id', '=', versionId).executeTakeFirst()
    if (!row) throw new NotFoundError('notebook_version', versionId)
    return { version: toSummary(row), notebook: updateToNotebook(toBytes(row.data)) }
  }

  /** Cell-level diff between two versions, or a version and the live document (`live`). */
  async diff(notebookId: string, from: VersionRef, to: VersionRef): Promise<NotebookDiff> {
    const [before, after] = await Promise.all([this.#content(notebookId, from), this.#content(notebookId, to)])
    return diffNotebooks(before, after)
  }

  /**
   * Makes the live document look like `versionId` again, as one new change by the server: it is stored
   * in the update log and every connected collaborator receives it. The state it replaces is kept as a
   * `pre-restore` version first, so a restore is undone by restoring that one.
   */
  async restore(
    notebookId: string,
    versionId: string,
    userId: string | null,
  ): Promise<{ restored: VersionSummary; previous: VersionSummary }> {
    const { version, notebook } = await this.get(notebookId, versionId)
    const exact = await this.#exactNumbers(notebookId, versionId)
    const previous = await this.create(notebookId, {
      kind: 'pre-restore',
      label: `Before restoring ${version.label ?? version.createdAt}`,
      userId,
    })
    if (!this.collab) throw new AppError(503, 'collab_unavailable', 'Collaboration is still starting')
    await this.collab.withRoom(notebookId, (room) => room.change((doc) => replaceNotebookContent(doc, notebook, exact)))
    this.logger.info({ notebookId, versionId, userId }, 'notebook version restored')
    return { restored: version, previous }
  }

  /** The exact number texts a version's document kept (see `EXACT_NUMBERS_MAP`). */
  async #exactNumbers(notebookId: string, versionId: string): Promise<ExactNumbersByCell> {
    const row = await this.#summaries(notebookId).select('data').where('id', '=', versionId).executeTakeFirst()
    return row ? exactNumbersOf(toBytes(row.data)) : {}
  }

  async #content(notebookId: string, ref: VersionRef): Promise<INotebookContent> {
    if (ref === 'live')
      return readDocument(this.store, this.collab, notebookId, (doc) => updateToNotebook(Y.encodeStateAsUpdate(doc)))
    return (await this.get(notebookId, ref)).notebook
  }

  #summaries(notebookId: string) {
    return this.db
      .selectFrom('notebook_versions')
      .select([...SUMMARY, 'content_hash', (eb) => eb.fn('octet_length', ['data']).as('bytes')])
      .where('notebook_id', '=', notebookId)
  }
}

/** sha256 of the nbformat JSON: equal content, equal hash (key order is fixed by the conversion). */
function contentHash(content: INotebookContent): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex')
}

function toSummary(row: {
  id: string
  notebook_id: string
  kind: string
  label: string | null
  created_by: string | null
  created_at: Date
  cell_count: number
  bytes: unknown
}): VersionSummary {
  return {
    id: row.id,
    notebookId: row.notebook_id,
    kind: row.kind as VersionKind,
    label: row.label,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    cellCount: Number(row.cell_count),
    bytes: Number(row.bytes),
  }
}

function toBytes(data: Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}
