import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import {
  ChartRequestError,
  chartColumns,
  collectOutputs,
  PageRequestError,
  ResultExportError,
  ResultNotFoundError,
} from '@workbench/kernels'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { findNotebookOrThrow } from '../collab/notebook-access.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError, requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import type { KernelDeps } from '../kernels/kernel-deps.ts'
import { type SessionEntry, sessionInfo } from '../kernels/session-manager.ts'
import { ConcurrencyLimits } from '../sql/concurrency.ts'
import {
  ChartData,
  ChartRequest,
  ErrorBody,
  ExecuteRequest,
  ExecuteResult,
  errors,
  json,
  PageRequest,
  ResultParams,
  Session,
  SessionParams,
  SessionStatus,
  TablePage,
  WorkspaceParam,
} from './kernel-schemas.ts'
import { kernelWebSocketRoute } from './kernels-websocket.ts'
import { maskedPage, refuseMaskedFilters, resultAccess, resultCsv } from './result-masking.ts'

const base = '/workspaces/{workspaceId}/kernels/sessions'
const Unmask = z.object({ unmask: z.enum(['true', 'false']).optional() })
const tags = ['kernels']

const createSession = createRoute({
  method: 'post',
  path: base,
  tags,
  summary: "The notebook's session: started if it has none (its SQL and Python kernels start on first use)",
  request: {
    params: WorkspaceParam,
    body: { required: true, content: { 'application/json': { schema: z.object({ notebookId: z.string().min(1) }) } } },
  },
  responses: { 201: json(Session, 'Started'), 200: json(Session, 'Already running'), ...errors },
})

const listSessions = createRoute({
  method: 'get',
  path: base,
  tags,
  summary: "The workspace's notebook sessions",
  request: { params: WorkspaceParam },
  responses: { 200: json(z.array(Session), 'Sessions'), ...errors },
})

const getSession = createRoute({
  method: 'get',
  path: `${base}/{sessionId}`,
  tags,
  summary: 'A session and the status of its kernels',
  request: { params: SessionParams },
  responses: { 200: json(SessionStatus, 'Session'), ...errors },
})

const deleteSession = createRoute({
  method: 'delete',
  path: `${base}/{sessionId}`,
  tags,
  summary: 'Shut the session and its kernels down',
  request: { params: SessionParams },
  responses: { 204: { description: 'Deleted' }, ...errors },
})

const execute = createRoute({
  method: 'post',
  path: `${base}/{sessionId}/execute`,
  tags,
  summary: 'Run code to completion (one-shot); queued behind running cells of the session',
  request: {
    params: SessionParams,
    body: { required: true, content: { 'application/json': { schema: ExecuteRequest } } },
  },
  responses: { 200: json(ExecuteResult, 'All outputs of the cell'), ...errors },
})

const interrupt = createRoute({
  method: 'post',
  path: `${base}/{sessionId}/interrupt`,
  tags,
  summary: 'Interrupt the running cell',
  request: { params: SessionParams },
  responses: { 204: { description: 'Interrupted' }, ...errors },
})

const restart = createRoute({
  method: 'post',
  path: `${base}/{sessionId}/restart`,
  tags,
  summary: 'Restart the kernels of the session (state is lost, queued cells are cancelled)',
  request: { params: SessionParams },
  responses: { 204: { description: 'Restarted' }, ...errors },
})

const page = createRoute({
  method: 'post',
  path: `${base}/{sessionId}/results/{resultId}/page`,
  tags,
  summary:
    'A page of a kept SQL result, optionally sorted and filtered, without re-running the query; PII-tagged columns ' +
    'are masked unless a workspace admin asks to unmask (audited)',
  request: {
    params: ResultParams,
    query: Unmask,
    body: { required: true, content: { 'application/json': { schema: PageRequest } } },
  },
  responses: { 200: json(TablePage, 'Page'), ...errors },
})

const chart = createRoute({
  method: 'post',
  path: `${base}/{sessionId}/results/{resultId}/chart`,
  tags,
  summary:
    'A chart computed over the whole kept SQL result (groups, bins, or a sample of points, said so); masked ' +
    'columns cannot be charted unless a workspace admin asks to unmask (audited)',
  request: {
    params: ResultParams,
    query: Unmask,
    body: { required: true, content: { 'application/json': { schema: ChartRequest } } },
  },
  responses: { 200: json(ChartData, 'Chart values'), ...errors },
})

const exportResult = createRoute({
  method: 'get',
  path: `${base}/{sessionId}/results/{resultId}/export`,
  tags,
  summary:
    'The whole kept SQL result as a file (CSV with a header row, or Parquet), streamed; PII-tagged columns are ' +
    'masked (CSV only) unless a workspace admin asks to unmask (audited)',
  request: { params: ResultParams, query: Unmask.extend({ format: z.enum(['csv', 'parquet']).default('csv') }) },
  responses: {
    200: {
      description: 'The file',
      content: {
        'text/csv': { schema: z.string() },
        'application/vnd.apache.parquet': { schema: z.string().openapi({ format: 'binary' }) },
      },
    },
    ...errors,
    422: json(ErrorBody, 'The result holds values the format cannot represent (`export_unsupported_value`)'),
  },
})

/**
 * The kernel session API of a workspace: sessions (one per notebook), one-shot runs, interrupt, restart,
 * result pages and exports, and the execution websocket. Viewers may look and page; editors may run.
 */
export function kernelRoutes(identity: Identity, deps: () => KernelDeps | undefined) {
  const ready = requireStarted(deps, 'kernels_unavailable', 'Execution is still starting')
  const view = (action: string) => authorize(identity, can.workspace('viewer'), action)
  const edit = (action: string) => authorize(identity, can.workspace('editor'), action)
  // One account's one-shot runs at once (each holds a request open while it is queued or runs).
  const executions = new ConcurrencyLimits({ perKey: 4, total: 256 })
  const sessionOf = (p: { workspaceId: string; sessionId: string }): SessionEntry =>
    ready().sessions.getOrThrow(p.workspaceId, p.sessionId)

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...createSession, middleware: [edit('kernels.session.create')] }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      const { notebookId } = c.req.valid('json')
      const { sessions } = ready()
      await findNotebookOrThrow(identity.db(), workspaceId, notebookId)
      const { entry, created } = sessions.forNotebook(workspaceId, notebookId)
      return created ? c.json(sessionInfo(entry), 201) : c.json(sessionInfo(entry), 200)
    })
    .openapi({ ...listSessions, middleware: [view('kernels.session.list')] }, async (c) => {
      return c.json(ready().sessions.list(c.req.valid('param').workspaceId), 200)
    })
    .openapi({ ...getSession, middleware: [view('kernels.session.get')] }, async (c) => {
      const entry = sessionOf(c.req.valid('param'))
      return c.json({ ...sessionInfo(entry), idle: entry.session.idle, kernels: await entry.session.statuses() }, 200)
    })
    .openapi({ ...deleteSession, middleware: [edit('kernels.session.delete')] }, async (c) => {
      const entry = sessionOf(c.req.valid('param'))
      await ready().sessions.close(entry.id)
      return c.body(null, 204)
    })
    .openapi({ ...execute, middleware: [edit('kernels.execute')] }, async (c) => {
      const entry = sessionOf(c.req.valid('param'))
      const release = executions.acquire(currentPrincipal(c).userId, 'REST execution')
      try {
        // A client that goes away interrupts its cell (or drops it from the queue).
        const run = entry.session.execute(c.req.valid('json'), { signal: c.req.raw.signal })
        const outputs = await collectOutputs(run.outputs)
        return c.json({ executionCount: run.executionCount, outputs }, 200)
      } finally {
        release()
      }
    })
    .openapi({ ...interrupt, middleware: [edit('kernels.interrupt')] }, async (c) => {
      await sessionOf(c.req.valid('param')).session.interrupt()
      return c.body(null, 204)
    })
    .openapi({ ...restart, middleware: [edit('kernels.restart')] }, async (c) => {
      await sessionOf(c.req.valid('param')).session.restart()
      return c.body(null, 204)
    })
    .openapi({ ...page, middleware: [view('kernels.results.page')] }, async (c) => {
      const params = c.req.valid('param')
      const entry = sessionOf(params)
      const request = c.req.valid('json')
      const wantsClear = c.req.valid('query').unmask === 'true'
      const access = await resultAccess(c, identity, entry, params.resultId, wantsClear, 'page')
      refuseMaskedFilters(access, request)
      const table = await resultErrors(() => ready().sessions.page(entry, params.resultId, request))
      return c.json(maskedPage(access, table), 200)
    })
    .openapi({ ...chart, middleware: [view('kernels.results.chart')] }, async (c) => {
      const params = c.req.valid('param')
      const entry = sessionOf(params)
      const request = c.req.valid('json')
      const access = await resultAccess(
        c,
        identity,
        entry,
        params.resultId,
        c.req.valid('query').unmask === 'true',
        'chart',
      )
      const hidden = chartColumns(request).filter((name) => access.masked.includes(name))
      // Bars per value of a masked column would show its values; counts per group would tell them apart.
      if (hidden.length > 0)
        throw new AppError(403, 'masked_column_chart', `Masked columns cannot be charted: ${hidden.join(', ')}`)
      const data = await resultErrors(() => ready().sessions.chart(entry, params.resultId, request))
      return c.json(data, 200)
    })
    .openapi({ ...exportResult, middleware: [view('kernels.results.export')] }, async (c) => {
      const params = c.req.valid('param')
      const { format, unmask } = c.req.valid('query')
      const entry = sessionOf(params)
      const access = await resultAccess(c, identity, entry, params.resultId, unmask === 'true', 'export')
      const filename = `result-${params.resultId.replace(/[^\w-]/g, '_')}`
      const connectionResult = params.resultId.startsWith('c:')
      if (access.mask || connectionResult) {
        if (format !== 'csv')
          throw access.mask
            ? new AppError(
                403,
                'masked_export_csv_only',
                `Columns ${access.masked.join(', ')} are masked: export as CSV (masked), or ask a workspace admin`,
              )
            : new AppError(
                400,
                'export_csv_only',
                'Results of a connection are exported as CSV; Parquet is for DuckDB results',
              )
        // Connection results are read through their cursor in batches; nothing is materialised here.
        const first = resultCsv(ready().sessions, entry, params.resultId, access.mask)
        const reader = first.getReader()
        // The first batch is read before answering, so a dropped result is a 404, not a broken download.
        const head = await resultErrors(() => reader.read())
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            if (head.value) controller.enqueue(head.value)
            if (head.done) controller.close()
          },
          async pull(controller) {
            const next = await reader.read()
            if (next.done) controller.close()
            else controller.enqueue(next.value)
          },
          cancel: (reason) => reader.cancel(reason),
        })
        return c.body(stream, 200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="${filename}.csv"`,
        }) as never
      }
      const dir = path.join(ready().sessions.dataDirOf(params.workspaceId), '.exchange')
      mkdirSync(dir, { recursive: true })
      const file = path.join(dir, `export-${randomUUID()}.${format}`)
      try {
        await resultErrors(async () => (await entry.session.sqlKernel()).exportResult(params.resultId, file, format))
        // Opened, then unlinked: the stream reads the open file, and nothing is left behind whatever happens.
        const handle = await open(file)
        const stream = Readable.toWeb(handle.createReadStream()) as ReadableStream
        return c.body(stream, 200, {
          'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.apache.parquet',
          'content-disposition': `attachment; filename="result-${params.resultId.replace(/[^\w-]/g, '_')}.${format}"`,
        }) as never
      } finally {
        await rm(file, { force: true })
      }
    })
    .route('/', kernelWebSocketRoute(identity, deps))
}

/** Kernel result errors as API errors. */
async function resultErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    if (err instanceof ResultNotFoundError) throw new AppError(404, 'result_not_found', err.message)
    if (err instanceof PageRequestError) throw new AppError(400, 'invalid_page_request', err.message)
    if (err instanceof ResultExportError) throw new AppError(422, 'export_unsupported_value', err.message)
    if (err instanceof ChartRequestError) throw new AppError(400, 'invalid_chart_request', err.message)
    throw err
  }
}
