import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import type { CollabServer } from '../collab/collab-server.ts'
import type { DocumentStore } from '../collab/document-store.ts'
import type { Database } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'
import { createAnchor, type ResolvedRange, resolveAnchor, type StoredAnchor } from './comment-anchors.ts'
import { cellIds, readDocument } from './live-document.ts'

export interface CommentMessage {
  id: string
  threadId: string
  authorId: string
  /** Empty once deleted. */
  body: string
  mentions: string[]
  createdAt: string
  editedAt: string | null
  deleted: boolean
}

export interface CommentThread {
  id: string
  notebookId: string
  cellId: string
  /** The cell's current position; null when the cell no longer exists (the thread is orphaned). */
  cellIndex: number | null
  orphaned: boolean
  /** The commented text range now, if the thread has one and it can still be found. */
  range: ResolvedRange | null
  /** The thread had a range that cannot be found any more (its text was deleted). */
  rangeLost: boolean
  resolved: boolean
  resolvedAt: string | null
  resolvedBy: string | null
  createdBy: string
  createdAt: string
  comments: CommentMessage[]
}

/** What other collaborators see change live: `ydoc.getMap('comments-rev')`, key `rev`. */
export interface CommentsRevision {
  rev: number
  threadId: string
  action: 'created' | 'replied' | 'edited' | 'deleted' | 'resolved' | 'reopened'
  by: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Comment threads of notebooks, anchored to a cell id (and optionally a text range that follows
 * edits). Every change bumps `comments-rev` in the live document, so open clients refetch.
 * Callers check that the notebook belongs to the workspace.
 */
export class NotebookComments {
  constructor(
    readonly db: Kysely<Database>,
    readonly store: DocumentStore,
    readonly collab: CollabServer | undefined,
  ) {}

  async list(
    notebookId: string,
    options: { status: 'open' | 'resolved' | 'all'; cellId?: string },
  ): Promise<CommentThread[]> {
    let query = this.db.selectFrom('notebook_comment_threads').selectAll().where('notebook_id', '=', notebookId)
    if (options.status === 'open') query = query.where('resolved_at', 'is', null)
    if (options.status === 'resolved') query = query.where('resolved_at', 'is not', null)
    if (options.cellId) query = query.where('cell_id', '=', options.cellId)
    const threads = await query.orderBy('created_at').orderBy('id').execute()
    if (threads.length === 0) return []
    const messages = await this.db
      .selectFrom('notebook_comments')
      .selectAll()
      .where(
        'thread_id',
        'in',
        threads.map((t) => t.id),
      )
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    return readDocument(this.store, this.collab, notebookId, (doc) => {
      const ids = cellIds(doc)
      return threads.map((t) => {
        const index = ids.indexOf(t.cell_id)
        const anchor = t.anchor ? (JSON.parse(t.anchor) as StoredAnchor) : null
        const range = anchor && index >= 0 ? resolveAnchor(doc, t.cell_id, anchor) : null
        return {
          id: t.id,
          notebookId: t.notebook_id,
          cellId: t.cell_id,
          cellIndex: index >= 0 ? index : null,
          orphaned: index < 0,
          range,
          rangeLost: anchor !== null && index >= 0 && range === null,
          resolved: t.resolved_at !== null,
          resolvedAt: iso(t.resolved_at),
          resolvedBy: t.resolved_by,
          createdBy: t.created_by,
          createdAt: new Date(t.created_at).toISOString(),
          comments: messages.filter((m) => m.thread_id === t.id).map(toMessage),
        }
      })
    })
  }

  async thread(notebookId: string, threadId: string): Promise<CommentThread> {
    const thread = (await this.list(notebookId, { status: 'all' })).find((t) => t.id === threadId)
    if (!thread) throw new NotFoundError('comment_thread', threadId)
    return thread
  }

  /** Opens a thread on a cell of the live document (optionally on [from, to) of its source). */
  async createThread(
    workspaceId: string,
    notebookId: string,
    userId: string,
    input: { cellId: string; body: string; mentions?: string[]; range?: { from: number; to: number } },
  ): Promise<CommentThread> {
    const mentions = await this.#checkMentions(workspaceId, input.mentions ?? [])
    const anchor = await readDocument(this.store, this.collab, notebookId, (doc) => {
      if (!cellIds(doc).includes(input.cellId))
        throw new AppError(400, 'unknown_cell', `The notebook has no cell with id ${input.cellId}`)
      if (!input.range) return null
      const anchored = createAnchor(doc, input.cellId, input.range.from, input.range.to)
      if (typeof anchored === 'string') throw new AppError(400, 'invalid_range', anchored)
      return anchored
    })
    const threadId = randomUUID()
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('notebook_comment_threads')
        .values({
          id: threadId,
          notebook_id: notebookId,
          cell_id: input.cellId,
          anchor: anchor ? JSON.stringify(anchor) : null,
          created_by: userId,
          resolved_at: null,
          resolved_by: null,
        })
        .execute()
      await trx
        .insertInto('notebook_comments')
        .values(newMessage(threadId, userId, input.body, mentions))
        .execute()
    })
    await this.#bump(notebookId, threadId, 'created', userId)
    return this.thread(notebookId, threadId)
  }

  async reply(
    workspaceId: string,
    notebookId: string,
    threadId: string,
    userId: string,
    input: { body: string; mentions?: string[] },
  ): Promise<CommentThread> {
    await this.#threadRow(notebookId, threadId)
    const mentions = await this.#checkMentions(workspaceId, input.mentions ?? [])
    await this.db
      .insertInto('notebook_comments')
      .values(newMessage(threadId, userId, input.body, mentions))
      .execute()
    await this.#bump(notebookId, threadId, 'replied', userId)
    return this.thread(notebookId, threadId)
  }

  async setResolved(notebookId: string, threadId: string, userId: string, resolved: boolean): Promise<CommentThread> {
    await this.#threadRow(notebookId, threadId)
    await this.db
      .updateTable('notebook_comment_threads')
      .set(resolved ? { resolved_at: sql<Date>`now()`, resolved_by: userId } : { resolved_at: null, resolved_by: null })
      .where('id', '=', threadId)
      .execute()
    await this.#bump(notebookId, threadId, resolved ? 'resolved' : 'reopened', userId)
    return this.thread(notebookId, threadId)
  }

  /** Edits one's own comment. */
  async edit(
    workspaceId: string,
    notebookId: string,
    threadId: string,
    commentId: string,
    userId: string,
    input: { body: string; mentions?: string[] },
  ): Promise<CommentThread> {
    await this.#ownMessage(notebookId, threadId, commentId, userId)
    const mentions = await this.#checkMentions(workspaceId, input.mentions ?? [])
    await this.db
      .updateTable('notebook_comments')
      .set({ body: input.body, mentions: JSON.stringify(mentions), edited_at: sql<Date>`now()` })
      .where('id', '=', commentId)
      .execute()
    await this.#bump(notebookId, threadId, 'edited', userId)
    return this.thread(notebookId, threadId)
  }

  /** Deletes one's own comment (its place in the thread stays, emptied); a thread left with none goes. */
  async remove(notebookId: string, threadId: string, commentId: string, userId: string): Promise<void> {
    await this.#ownMessage(notebookId, threadId, commentId, userId)
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('notebook_comments')
        .set({ body: '', mentions: '[]', deleted_at: sql<Date>`now()` })
        .where('id', '=', commentId)
        .execute()
      const left = await trx
        .selectFrom('notebook_comments')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('thread_id', '=', threadId)
        .where('deleted_at', 'is', null)
        .executeTakeFirstOrThrow()
      if (Number(left.n) === 0) await trx.deleteFrom('notebook_comment_threads').where('id', '=', threadId).execute()
    })
    await this.#bump(notebookId, threadId, 'deleted', userId)
  }

  async #threadRow(notebookId: string, threadId: string) {
    const row = await this.db
      .selectFrom('notebook_comment_threads')
      .select(['id'])
      .where('id', '=', threadId)
      .where('notebook_id', '=', notebookId)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('comment_thread', threadId)
    return row
  }

  async #ownMessage(notebookId: string, threadId: string, commentId: string, userId: string): Promise<void> {
    await this.#threadRow(notebookId, threadId)
    const message = await this.db
      .selectFrom('notebook_comments')
      .select(['author_id', 'deleted_at'])
      .where('id', '=', commentId)
      .where('thread_id', '=', threadId)
      .executeTakeFirst()
    if (!message || message.deleted_at) throw new NotFoundError('comment', commentId)
    if (message.author_id !== userId)
      throw new AppError(403, 'not_comment_author', 'Only the author can edit or delete a comment')
  }

  /** Mentioned users must be members of the workspace; the error names the others. */
  async #checkMentions(workspaceId: string, mentions: string[]): Promise<string[]> {
    const unique = [...new Set(mentions)]
    if (unique.length === 0) return []
    const candidates = unique.filter((id) => UUID.test(id))
    const members =
      candidates.length === 0
        ? []
        : await this.db
            .selectFrom('memberships')
            .select('user_id')
            .where('workspace_id', '=', workspaceId)
            .where('user_id', 'in', candidates)
            .execute()
    const memberIds = new Set(members.map((m) => String(m.user_id)))
    const outsiders = unique.filter((id) => !memberIds.has(id))
    if (outsiders.length > 0)
      throw new AppError(
        400,
        'mention_not_member',
        `Only workspace members can be mentioned; not members: ${outsiders.join(', ')}`,
        { notMembers: outsiders },
      )
    return unique
  }

  /** Tells open clients to refetch: a change to `comments-rev` in the live document, if it is open. */
  async #bump(notebookId: string, threadId: string, action: CommentsRevision['action'], by: string): Promise<void> {
    if (!this.collab?.loadedDocuments.includes(notebookId)) return
    const room = await this.collab.room(notebookId)
    await room.change((doc) => {
      const revisions = doc.getMap<CommentsRevision>('comments-rev')
      const rev = (revisions.get('rev')?.rev ?? 0) + 1
      revisions.set('rev', { rev, threadId, action, by })
    })
  }
}

function newMessage(threadId: string, userId: string, body: string, mentions: string[]) {
  return {
    id: randomUUID(),
    thread_id: threadId,
    author_id: userId,
    body,
    mentions: JSON.stringify(mentions),
    edited_at: null,
    deleted_at: null,
  }
}

function toMessage(row: {
  id: string
  thread_id: string
  author_id: string
  body: string
  mentions: string
  created_at: Date
  edited_at: Date | null
  deleted_at: Date | null
}): CommentMessage {
  return {
    id: row.id,
    threadId: row.thread_id,
    authorId: row.author_id,
    body: row.body,
    mentions: JSON.parse(row.mentions) as string[],
    createdAt: new Date(row.created_at).toISOString(),
    editedAt: iso(row.edited_at),
    deleted: row.deleted_at !== null,
  }
}

function iso(value: Date | null): string | null {
  return value ? new Date(value).toISOString() : null
}
