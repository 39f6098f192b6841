import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { collectOutputs, PageRequestError, ResultNotFoundError } from '@workbench/kernels'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import type { KernelPermissionCheck } from '../kernels/permissions.ts'
import type { SessionManager } from '../kernels/session-manager.ts'
import { kernelWebSocketRoute } from './kernels-websocket.ts'

const ErrorSchema = z.object({ code: z.string(), message: z.string(), requestId: z.string() }).openapi('Error')
const errors = {
  400: { description: 'Invalid request', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'Not allowed in this workspace', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'No such session', content: { 'application/json': { schema: ErrorSchema } } },
}

const Session = z
  .object({ id: z.string(), workspaceId: z.string(), notebookId: z.string(), createdAt: z.string() })
  .openapi('KernelSession')
const SessionStatus = Session.extend({
  idle: z.boolean(),
  kernels: z.object({ sql: z.string().optional(), python: z.string().optional() }),
}).openapi('KernelSessionStatus')
const Output = z
  .looseObject({ output_type: z.enum(['stream', 'display_data', 'execute_result', 'error']) })
  .openapi('Output', { description: 'A Jupyter (nbformat 4) output' })
const ExecuteRequest = z
  .object({
    code: z.string().max(1_000_000),
    language: z.enum(['sql', 'python']),
    bindTo: z
      .string()
      .max(128)
      .optional()
      .openapi({ description: 'SQL only: also bind the result to this pandas name' }),
  })
  .openapi('ExecuteRequest')
const ExecuteResult = z.object({ executionCount: z.number().int(), outputs: z.array(Output) }).openapi('ExecuteResult')
const PageRequest = z
  .object({
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(0).max(100_000).default(1_000),
    sort: z
      .array(z.object({ column: z.string(), descending: z.boolean().optional() }))
      .max(16)
      .optional(),
    filter: z
      .array(
        z.object({
          column: z.string(),
          op: z.enum(['=', '!=', '<', '<=', '>', '>=', 'contains', 'is_null', 'not_null']),
          value: z.union([z.string(), z.number(), z.boolean()]).optional(),
        }),
      )
      .max(32)
      .optional(),
  })
  .openapi('PageRequest')
const TablePage = z
  .object({
    resultId: z.string().optional(),
    columns: z.array(z.object({ name: z.string(), type: z.string() })),
    rows: z.array(z.array(z.unknown())),
    offset: z.number(),
    totalRows: z.number(),
  })
  .openapi('TablePage')
const SessionParams = z.object({ sessionId: z.string().openapi({ param: { name: 'sessionId', in: 'path' } }) })

const createSession = createRoute({
  method: 'post',
  path: '/kernels/sessions',
  tags: ['kernels'],
  summary: 'Start a notebook session (SQL and Python kernels start on first use)',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({ workspaceId: z.string().min(1), notebookId: z.string().min(1).max(200) }),
        },
      },
    },
  },
  responses: { 201: { description: 'Created', content: { 'application/json': { schema: Session } } }, ...errors },
})

const listSessions = createRoute({
  method: 'get',
  path: '/kernels/sessions',
  tags: ['kernels'],
  summary: "A workspace's notebook sessions",
  request: { query: z.object({ workspaceId: z.string().min(1) }) },
  responses: {
    200: { description: 'Sessions', content: { 'application/json': { schema: z.array(Session) } } },
    ...errors,
  },
})

const getSession = createRoute({
  method: 'get',
  path: '/kernels/sessions/{sessionId}',
  tags: ['kernels'],
  summary: 'A session and the status of its kernels',
  request: { params: SessionParams },
  responses: { 200: { description: 'Session', content: { 'application/json': { schema: SessionStatus } } }, ...errors },
})

const deleteSession = createRoute({
  method: 'delete',
  path: '/kernels/sessions/{sessionId}',
  tags: ['kernels'],
  summary: 'Shut the session and its kernels down',
  request: { params: SessionParams },
  responses: { 204: { description: 'Deleted' }, ...errors },
})

const execute = createRoute({
  method: 'post',
  path: '/kernels/sessions/{sessionId}/execute',
  tags: ['kernels'],
  summary: 'Run a cell to completion (one-shot); queued behind running cells of the session',
  request: {
    params: SessionParams,
    body: { required: true, content: { 'application/json': { schema: ExecuteRequest } } },
  },
  responses: {
    200: { description: 'All outputs of the cell', content: { 'application/json': { schema: ExecuteResult } } },
    ...errors,
  },
})

const interrupt = createRoute({
  method: 'post',
  path: '/kernels/sessions/{sessionId}/interrupt',
  tags: ['kernels'],
  summary: 'Interrupt the running cell',
  request: { params: SessionParams },
  responses: { 204: { description: 'Interrupted' }, ...errors },
})

const restart = createRoute({
  method: 'post',
  path: '/kernels/sessions/{sessionId}/restart',
  tags: ['kernels'],
  summary: 'Restart the kernels of the session (state is lost, queued cells are cancelled)',
  request: { params: SessionParams },
  responses: { 204: { description: 'Restarted' }, ...errors },
})

const page = createRoute({
  method: 'post',
  path: '/kernels/sessions/{sessionId}/results/{resultId}/page',
  tags: ['kernels'],
  summary: 'Read a page of a kept SQL result, optionally sorted and filtered, without re-running the query',
  request: {
    params: SessionParams.extend({ resultId: z.string().openapi({ param: { name: 'resultId', in: 'path' } }) }),
    body: { required: true, content: { 'application/json': { schema: PageRequest } } },
  },
  responses: { 200: { description: 'Page', content: { 'application/json': { schema: TablePage } } }, ...errors },
})

/** Notebook execution: sessions, one-shot runs, interrupt, restart, result pages, and the websocket. */
export function kernelRoutes(sessions: SessionManager, authorize: KernelPermissionCheck) {
  const sessionFor = async (c: Parameters<KernelPermissionCheck>[0], id: string, action: 'view' | 'execute') => {
    const entry = sessions.getOrThrow(id)
    await authorize(c, entry.workspaceId, action)
    return entry
  }
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(createSession, async (c) => {
      const { workspaceId, notebookId } = c.req.valid('json')
      await authorize(c, workspaceId, 'execute')
      return c.json(sessions.create(workspaceId, notebookId), 201)
    })
    .openapi(listSessions, async (c) => {
      const { workspaceId } = c.req.valid('query')
      await authorize(c, workspaceId, 'view')
      return c.json(sessions.list(workspaceId), 200)
    })
    .openapi(getSession, async (c) => {
      const entry = await sessionFor(c, c.req.valid('param').sessionId, 'view')
      const { session, onClose: _, ...info } = entry
      return c.json({ ...info, idle: session.idle, kernels: await session.statuses() }, 200)
    })
    .openapi(deleteSession, async (c) => {
      const entry = await sessionFor(c, c.req.valid('param').sessionId, 'execute')
      await sessions.close(entry.id)
      return c.body(null, 204)
    })
    .openapi(execute, async (c) => {
      const entry = await sessionFor(c, c.req.valid('param').sessionId, 'execute')
      const run = entry.session.execute(c.req.valid('json'))
      const outputs = await collectOutputs(run.outputs)
      return c.json({ executionCount: run.executionCount, outputs }, 200)
    })
    .openapi(interrupt, async (c) => {
      const entry = await sessionFor(c, c.req.valid('param').sessionId, 'execute')
      await entry.session.interrupt()
      return c.body(null, 204)
    })
    .openapi(restart, async (c) => {
      const entry = await sessionFor(c, c.req.valid('param').sessionId, 'execute')
      await entry.session.restart()
      return c.body(null, 204)
    })
    .openapi(page, async (c) => {
      const { sessionId, resultId } = c.req.valid('param')
      const entry = await sessionFor(c, sessionId, 'view')
      try {
        return c.json(await entry.session.page(resultId, c.req.valid('json')), 200)
      } catch (err) {
        if (err instanceof ResultNotFoundError) throw new AppError(404, 'result_not_found', err.message)
        if (err instanceof PageRequestError) throw new AppError(400, 'invalid_page_request', err.message)
        throw err
      }
    })
    .route('/', kernelWebSocketRoute(sessions, authorize))
}
