import { randomUUID } from 'node:crypto'
import type { INotebookContent } from '@jupyterlab/nbformat'
import { type Kysely, sql } from 'kysely'
import * as Y from 'yjs'
import { CollabCloseCode } from '../collab/close-codes.ts'
import type { CollabServer } from '../collab/collab-server.ts'
import type { DocumentStore } from '../collab/document-store.ts'
import type { Database } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'
import {
  exactNumbersOf,
  notebookToUpdate,
  type PreparedNotebook,
  searchableText,
  updateToIpynbText,
  updateToNotebook,
} from './ipynb.ts'

/** Deleted notebooks can be restored for this long. */
export const RESTORE_WINDOW_DAYS = 30

export interface NotebookSummary {
  id: string
  workspaceId: string
  name: string
  folder: string
  createdBy: string | null
  createdAt: string
  updatedAt: string
  deletedAt: string | null
}

const SUMMARY_COLUMNS = [
  'id',
  'workspace_id',
  'name',
  'folder',
  'created_by',
  'created_at',
  'updated_at',
  'deleted_at',
] as const

function toSummary(row: {
  id: string
  workspace_id: string
  name: string
  folder: string
  created_by: string | null
  created_at: Date
  updated_at: Date
  deleted_at: Date | null
}): NotebookSummary {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    folder: row.folder,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    deletedAt: row.deleted_at ? new Date(row.deleted_at).toISOString() : null,
  }
}

export { searchableText }

/** Notebook files: metadata rows plus their live documents. Every method is scoped to a workspace. */
export class NotebookService {
  constructor(
    readonly db: Kysely<Database>,
    readonly store: DocumentStore,
    readonly collab?: CollabServer,
  ) {}

  /** Creates a notebook, empty or with `content`; row and initial document are written in one transaction. */
  async create(
    workspaceId: string,
    input: {
      name: string
      folder?: string
      createdBy?: string | null
      content?: INotebookContent
      /** An import already converted off the event loop (see `IpynbImporter`); takes the place of `content`. */
      prepared?: PreparedNotebook
    },
  ): Promise<NotebookSummary> {
    const id = randomUUID()
    const content = input.content ?? { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }
    const update = input.prepared?.update ?? notebookToUpdate(content)
    const contentText = input.prepared?.contentText ?? searchableText(content)
    const row = await this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('notebooks')
        .values({
          id,
          workspace_id: workspaceId,
          name: input.name,
          folder: normalizeFolder(input.folder),
          created_by: input.createdBy ?? null,
          content_text: contentText,
          deleted_at: null,
        })
        .returning(SUMMARY_COLUMNS)
        .executeTakeFirstOrThrow()
      await trx.insertInto('notebook_updates').values({ notebook_id: id, data: update }).execute()
      return inserted
    })
    return toSummary(row)
  }

  async list(
    workspaceId: string,
    options: { folder?: string; query?: string; deleted?: boolean; limit: number; offset: number },
  ): Promise<{ items: NotebookSummary[]; total: number }> {
    let query = this.db.selectFrom('notebooks').where('workspace_id', '=', workspaceId)
    query = options.deleted
      ? query.where('deleted_at', '>', sql<Date>`now() - make_interval(days => ${RESTORE_WINDOW_DAYS})`)
      : query.where('deleted_at', 'is', null)
    if (options.folder !== undefined) query = query.where('folder', '=', normalizeFolder(options.folder))
    if (options.query?.trim()) {
      const pattern = `%${escapeLike(options.query.trim())}%`
      query = query.where((eb) =>
        eb.or([
          eb('name', 'ilike', sql<string>`${pattern} escape '\\'`),
          eb('content_text', 'ilike', sql<string>`${pattern} escape '\\'`),
        ]),
      )
    }
    const [rows, count] = await Promise.all([
      query
        .select(SUMMARY_COLUMNS)
        .orderBy('folder')
        .orderBy('name')
        .orderBy('id')
        .limit(options.limit)
        .offset(options.offset)
        .execute(),
      query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ])
    return { items: rows.map(toSummary), total: Number(count.total) }
  }

  async getOrThrow(
    workspaceId: string,
    id: string,
    options: { includeDeleted?: boolean } = {},
  ): Promise<NotebookSummary> {
    let query = this.db
      .selectFrom('notebooks')
      .select(SUMMARY_COLUMNS)
      .where('id', '=', id)
      .where('workspace_id', '=', workspaceId)
    if (!options.includeDeleted) query = query.where('deleted_at', 'is', null)
    const row = await query.executeTakeFirst()
    if (!row) throw new NotFoundError('notebook', id)
    return toSummary(row)
  }

  async update(workspaceId: string, id: string, changes: { name?: string; folder?: string }): Promise<NotebookSummary> {
    await this.getOrThrow(workspaceId, id)
    const row = await this.db
      .updateTable('notebooks')
      .set({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.folder !== undefined ? { folder: normalizeFolder(changes.folder) } : {}),
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', id)
      .returning(SUMMARY_COLUMNS)
      .executeTakeFirstOrThrow()
    return toSummary(row)
  }

  /** The notebook's current content as nbformat JSON (what is stored: every acknowledged edit). */
  async content(workspaceId: string, id: string): Promise<INotebookContent> {
    await this.getOrThrow(workspaceId, id)
    return updateToNotebook(await this.#state(id))
  }

  /** The stored document state (every acknowledged edit, a live room flushed first) of a notebook checked to exist. */
  async #state(id: string): Promise<Uint8Array> {
    if (this.collab?.loadedDocuments.includes(id)) await (await this.collab.room(id)).flush()
    const loaded = await this.store.load(id)
    try {
      return Y.encodeStateAsUpdate(loaded.doc)
    } finally {
      loaded.doc.destroy()
    }
  }

  /**
   * The .ipynb text for download, checked against the nbformat 4.5 schema (an IpynbError if it does not fit), with
   * imported numbers written exactly as they were (see `updateToIpynbText`).
   */
  async exportNotebook(workspaceId: string, id: string): Promise<string> {
    await this.getOrThrow(workspaceId, id)
    return updateToIpynbText(await this.#state(id))
  }

  async duplicate(workspaceId: string, id: string, createdBy: string | null): Promise<NotebookSummary> {
    const source = await this.getOrThrow(workspaceId, id)
    const state = await this.#state(id)
    const content = updateToNotebook(state)
    // The copy keeps the exact text of imported numbers, as the original does.
    const prepared = {
      update: notebookToUpdate(content, exactNumbersOf(state)),
      contentText: searchableText(content),
      warnings: [],
    }
    return this.create(workspaceId, { name: `${source.name} (copy)`, folder: source.folder, createdBy, prepared })
  }

  /** Soft delete: hidden, collaborators disconnected, restorable for {@link RESTORE_WINDOW_DAYS} days. */
  async softDelete(workspaceId: string, id: string): Promise<void> {
    await this.getOrThrow(workspaceId, id)
    await this.db.updateTable('notebooks').set({ deleted_at: sql<Date>`now()` }).where('id', '=', id).execute()
    if (this.collab?.loadedDocuments.includes(id)) {
      ;(await this.collab.room(id)).closeAll(CollabCloseCode.accessRevoked, 'notebook deleted')
    }
  }

  async restore(workspaceId: string, id: string): Promise<NotebookSummary> {
    const notebook = await this.getOrThrow(workspaceId, id, { includeDeleted: true })
    if (!notebook.deletedAt) return notebook
    const cutoff = Date.now() - RESTORE_WINDOW_DAYS * 86_400_000
    if (Date.parse(notebook.deletedAt) < cutoff) {
      throw new AppError(
        410,
        'notebook_restore_expired',
        `Deleted notebooks can be restored for ${RESTORE_WINDOW_DAYS} days`,
      )
    }
    const row = await this.db
      .updateTable('notebooks')
      .set({ deleted_at: null, updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .returning(SUMMARY_COLUMNS)
      .executeTakeFirstOrThrow()
    return toSummary(row)
  }

  /** Refreshes content search for a document that was edited live (called when it unloads). */
  async refreshSearchText(id: string, doc: Y.Doc): Promise<void> {
    const text = searchableText(updateToNotebook(Y.encodeStateAsUpdate(doc)))
    await this.db
      .updateTable('notebooks')
      .set({ content_text: text, updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .execute()
  }
}

/** Folders are `/`-separated paths without leading or trailing slashes; '' is the root. */
export function normalizeFolder(folder: string | undefined): string {
  return (folder ?? '')
    .split('/')
    .map((part) => part.trim())
    .filter(Boolean)
    .join('/')
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}
