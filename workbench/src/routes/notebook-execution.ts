import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { findNotebookOrThrow } from '../collab/notebook-access.ts'
import type { AppEnv } from '../http/env.ts'
import { requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import type { KernelDeps } from '../kernels/kernel-deps.ts'
import {
  CodeAtCursor,
  CompletionReply,
  ExecutionStatus,
  errors,
  InspectionReply,
  InspectRequest,
  json,
  NotebookParams,
  RunRequest,
} from './kernel-schemas.ts'

const base = '/workspaces/{workspaceId}/notebooks/{notebookId}/execution'
const tags = ['notebook execution']

const statusRoute = createRoute({
  method: 'get',
  path: base,
  tags,
  summary: "The notebook's session, kernel status and queued cells",
  request: { params: NotebookParams },
  responses: { 200: json(ExecutionStatus, 'Execution status'), ...errors },
})

const runRoute = createRoute({
  method: 'post',
  path: `${base}/run`,
  tags,
  summary:
    'Queue cells (run cell, run all, above, below: in the given order); outputs, counts and run state are written into the shared document',
  request: {
    params: NotebookParams,
    body: { required: true, content: { 'application/json': { schema: RunRequest } } },
  },
  responses: { 202: json(z.object({ queued: z.array(z.string()) }), 'The code cells queued'), ...errors },
})

const interruptRoute = createRoute({
  method: 'post',
  path: `${base}/interrupt`,
  tags,
  summary: 'Interrupt the running cell (the rest of its run is not run)',
  request: { params: NotebookParams },
  responses: { 204: { description: 'Interrupted' }, ...errors },
})

const restartRoute = createRoute({
  method: 'post',
  path: `${base}/restart`,
  tags,
  summary: "Drop the queue and restart the notebook's kernels",
  request: { params: NotebookParams },
  responses: { 204: { description: 'Restarted' }, ...errors },
})

const completeRoute = createRoute({
  method: 'post',
  path: `${base}/complete`,
  tags,
  summary:
    "Completions for a Python cell at a cursor, from the notebook's running Python kernel (Jupyter complete_request); no matches before it started",
  request: {
    params: NotebookParams,
    body: { required: true, content: { 'application/json': { schema: CodeAtCursor } } },
  },
  responses: { 200: json(CompletionReply, 'What may stand at the cursor'), ...errors },
})

const inspectRoute = createRoute({
  method: 'post',
  path: `${base}/inspect`,
  tags,
  summary:
    "Documentation of the name at a cursor in a Python cell, from the notebook's running Python kernel (Jupyter inspect_request)",
  request: {
    params: NotebookParams,
    body: { required: true, content: { 'application/json': { schema: InspectRequest } } },
  },
  responses: { 200: json(InspectionReply, 'The documentation, if the kernel found the name'), ...errors },
})

/** Server-side notebook execution: viewers see the status, editors run, interrupt and restart. */
export function notebookExecutionRoutes(identity: Identity, deps: () => KernelDeps | undefined) {
  const started = requireStarted(deps, 'kernels_unavailable', 'Execution is still starting')
  const ready = async (workspaceId: string, notebookId: string) => {
    const d = started()
    await findNotebookOrThrow(identity.db(), workspaceId, notebookId)
    return d
  }
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(
      { ...statusRoute, middleware: [authorize(identity, can.workspace('viewer'), 'notebooks.execution.status')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        const { execution } = await ready(workspaceId, notebookId)
        return c.json(await execution.status(workspaceId, notebookId), 200)
      },
    )
    .openapi(
      { ...runRoute, middleware: [authorize(identity, can.workspace('editor'), 'notebooks.execution.run')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        const { execution } = await ready(workspaceId, notebookId)
        const queued = await execution.run(
          workspaceId,
          notebookId,
          c.req.valid('json').cellIds,
          currentPrincipal(c).userId,
        )
        return c.json({ queued }, 202)
      },
    )
    .openapi(
      {
        ...interruptRoute,
        middleware: [authorize(identity, can.workspace('editor'), 'notebooks.execution.interrupt')],
      },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        await (await ready(workspaceId, notebookId)).execution.interrupt(workspaceId, notebookId)
        return c.body(null, 204)
      },
    )
    .openapi(
      // Asking the kernel runs code paths in it (completers may evaluate attribute lookups): editors only, as run.
      { ...completeRoute, middleware: [authorize(identity, can.workspace('editor'), 'notebooks.execution.complete')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        const { code, cursor } = c.req.valid('json')
        const { execution } = await ready(workspaceId, notebookId)
        return c.json(await execution.complete(workspaceId, notebookId, code, cursor), 200)
      },
    )
    .openapi(
      { ...inspectRoute, middleware: [authorize(identity, can.workspace('editor'), 'notebooks.execution.inspect')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        const { code, cursor, detailLevel } = c.req.valid('json')
        const { execution } = await ready(workspaceId, notebookId)
        return c.json(await execution.inspect(workspaceId, notebookId, code, cursor, detailLevel ?? 0), 200)
      },
    )
    .openapi(
      { ...restartRoute, middleware: [authorize(identity, can.workspace('editor'), 'notebooks.execution.restart')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        await (await ready(workspaceId, notebookId)).execution.restart(workspaceId, notebookId)
        return c.body(null, 204)
      },
    )
}
