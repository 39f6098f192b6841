import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { findNotebookOrThrow } from '../collab/notebook-access.ts'
import type { AppEnv } from '../http/env.ts'
import { requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import type { NotebookHistoryServices } from '../notebooks/history-services.ts'

const ErrorBody = z.object({
  code: z.string(),
  message: z.string(),
  requestId: z.string(),
  details: z.unknown().optional(),
})
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})
const body = <T extends z.ZodType>(schema: T) => ({
  body: { required: true, content: { 'application/json': { schema } } },
})
const errors = {
  400: json(ErrorBody, 'Invalid request (unknown cell, bad range, mention of a non-member)'),
  403: json(ErrorBody, 'Not the author of the comment'),
  404: json(ErrorBody, 'No such notebook, thread or comment'),
}
const Message = z.object({
  id: z.string(),
  threadId: z.string(),
  authorId: z.string(),
  body: z.string(),
  mentions: z.array(z.string()),
  createdAt: z.string(),
  editedAt: z.string().nullable(),
  deleted: z.boolean(),
})
const Thread = z
  .object({
    id: z.string(),
    notebookId: z.string(),
    cellId: z.string(),
    cellIndex: z.number().nullable(),
    orphaned: z.boolean(),
    range: z
      .object({ from: z.number(), to: z.number(), quote: z.string(), followedBy: z.enum(['positions', 'quote']) })
      .nullable(),
    rangeLost: z.boolean(),
    resolved: z.boolean(),
    resolvedAt: z.string().nullable(),
    resolvedBy: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    comments: z.array(Message),
  })
  .openapi('CommentThread')
const Text = z.string().trim().min(1).max(10_000)
const Mentions = z.array(z.string().max(100)).max(50).optional()
const NotebookParams = z.object({ workspaceId: z.string().min(1).max(100), notebookId: z.string().min(1).max(100) })
const ThreadParams = NotebookParams.extend({ threadId: z.string().min(1).max(100) })
const CommentParams = ThreadParams.extend({ commentId: z.string().min(1).max(100) })
const base = '/workspaces/{workspaceId}/notebooks/{notebookId}/comments'

const listRoute = createRoute({
  method: 'get',
  path: base,
  tags: ['notebooks'],
  summary: 'Comment threads, with where their cell and text range are now (orphaned when the cell was deleted)',
  request: {
    params: NotebookParams,
    query: z.object({
      status: z.enum(['open', 'resolved', 'all']).default('all'),
      cellId: z.string().max(100).optional(),
    }),
  },
  responses: { 200: json(z.object({ threads: z.array(Thread) }), 'Threads, oldest first'), ...errors },
})
const createThreadRoute = createRoute({
  method: 'post',
  path: base,
  tags: ['notebooks'],
  summary: 'Start a thread on a cell, optionally on a range [from, to) of its source',
  request: {
    params: NotebookParams,
    ...body(
      z.object({
        cellId: z.string().min(1).max(100),
        body: Text,
        mentions: Mentions,
        range: z.object({ from: z.number().int().min(0), to: z.number().int().min(0) }).optional(),
      }),
    ),
  },
  responses: { 201: json(Thread, 'Created'), ...errors },
})
const replyRoute = createRoute({
  method: 'post',
  path: `${base}/{threadId}/replies`,
  tags: ['notebooks'],
  summary: 'Reply in a thread',
  request: { params: ThreadParams, ...body(z.object({ body: Text, mentions: Mentions })) },
  responses: { 201: json(Thread, 'The thread'), ...errors },
})
const resolveRoute = createRoute({
  method: 'post',
  path: `${base}/{threadId}/resolve`,
  tags: ['notebooks'],
  summary: 'Resolve a thread',
  request: { params: ThreadParams },
  responses: { 200: json(Thread, 'The thread'), ...errors },
})
const reopenRoute = createRoute({
  method: 'post',
  path: `${base}/{threadId}/reopen`,
  tags: ['notebooks'],
  summary: 'Reopen a resolved thread',
  request: { params: ThreadParams },
  responses: { 200: json(Thread, 'The thread'), ...errors },
})
const editRoute = createRoute({
  method: 'patch',
  path: `${base}/{threadId}/comments/{commentId}`,
  tags: ['notebooks'],
  summary: 'Edit one of your comments',
  request: { params: CommentParams, ...body(z.object({ body: Text, mentions: Mentions })) },
  responses: { 200: json(Thread, 'The thread'), ...errors },
})
const deleteRoute = createRoute({
  method: 'delete',
  path: `${base}/{threadId}/comments/{commentId}`,
  tags: ['notebooks'],
  summary: 'Delete one of your comments (a thread with no comment left is removed)',
  request: { params: CommentParams },
  responses: { 204: { description: 'Deleted' }, ...errors },
})

/**
 * Comments on a notebook. Every member reads and writes them, viewers included: reviewing without
 * edit rights is what comments are for. Only authors edit or delete their own comments. Every change
 * bumps `comments-rev` in the live document so open clients refetch.
 */
export function notebookCommentRoutes(identity: Identity, services: () => NotebookHistoryServices | undefined) {
  const started = requireStarted(services, 'notebooks_unavailable', 'Notebooks are still starting')
  const ready = async (workspaceId: string, notebookId: string) => {
    const s = started()
    await findNotebookOrThrow(s.db, workspaceId, notebookId)
    return s.comments
  }
  const member = (action: string) => [authorize(identity, can.workspace('viewer'), action)]
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...listRoute, middleware: member('notebooks.comments.list') }, async (c) => {
      const { workspaceId, notebookId } = c.req.valid('param')
      const comments = await ready(workspaceId, notebookId)
      return c.json({ threads: await comments.list(notebookId, c.req.valid('query')) }, 200)
    })
    .openapi({ ...createThreadRoute, middleware: member('notebooks.comments.create') }, async (c) => {
      const { workspaceId, notebookId } = c.req.valid('param')
      const comments = await ready(workspaceId, notebookId)
      const thread = await comments.createThread(
        workspaceId,
        notebookId,
        currentPrincipal(c).userId,
        c.req.valid('json'),
      )
      return c.json(thread, 201)
    })
    .openapi({ ...replyRoute, middleware: member('notebooks.comments.reply') }, async (c) => {
      const { workspaceId, notebookId, threadId } = c.req.valid('param')
      const comments = await ready(workspaceId, notebookId)
      const userId = currentPrincipal(c).userId
      return c.json(await comments.reply(workspaceId, notebookId, threadId, userId, c.req.valid('json')), 201)
    })
    .openapi({ ...resolveRoute, middleware: member('notebooks.comments.resolve') }, async (c) => {
      const { workspaceId, notebookId, threadId } = c.req.valid('param')
      const comments = await ready(workspaceId, notebookId)
      return c.json(await comments.setResolved(notebookId, threadId, currentPrincipal(c).userId, true), 200)
    })
    .openapi({ ...reopenRoute, middleware: member('notebooks.comments.reopen') }, async (c) => {
      const { workspaceId, notebookId, threadId } = c.req.valid('param')
      const comments = await ready(workspaceId, notebookId)
      return c.json(await comments.setResolved(notebookId, threadId, currentPrincipal(c).userId, false), 200)
    })
    .openapi({ ...editRoute, middleware: member('notebooks.comments.edit') }, async (c) => {
      const { workspaceId, notebookId, threadId, commentId } = c.req.valid('param')
      const comments = await ready(workspaceId, notebookId)
      const userId = currentPrincipal(c).userId
      return c.json(await comments.edit(workspaceId, notebookId, threadId, commentId, userId, c.req.valid('json')), 200)
    })
    .openapi({ ...deleteRoute, middleware: member('notebooks.comments.delete') }, async (c) => {
      const { workspaceId, notebookId, threadId, commentId } = c.req.valid('param')
      const comments = await ready(workspaceId, notebookId)
      await comments.remove(notebookId, threadId, commentId, currentPrincipal(c).userId)
      return c.body(null, 204)
    })
}
