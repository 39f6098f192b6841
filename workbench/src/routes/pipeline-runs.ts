import { Readable } from 'node:stream'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import type { Pipelines } from '../pipelines/pipelines-module.ts'
import { errors, json, LogPage, Run, RunDetail, RunParams, runs, tags, WorkspaceParam } from './pipeline-schemas.ts'

const routes = {
  runs: createRoute({
    method: 'get',
    path: runs,
    tags,
    summary: 'Run history, newest first',
    request: {
      params: WorkspaceParam,
      query: z.object({
        pipelineId: z.string().optional(),
        status: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        offset: z.coerce.number().int().min(0).default(0),
      }),
    },
    responses: { 200: json(z.object({ items: z.array(Run), total: z.number() }), 'Runs'), ...errors },
  }),
  run: createRoute({
    method: 'get',
    path: `${runs}/{runId}`,
    tags,
    summary: "A run with each step's status, attempts, times, error, output and artifacts",
    request: { params: RunParams },
    responses: { 200: json(RunDetail, 'The run'), ...errors },
  }),
  cancel: createRoute({
    method: 'post',
    path: `${runs}/{runId}/cancel`,
    tags,
    summary: 'Cancel a run (its running step stops within seconds)',
    request: { params: RunParams },
    responses: { 202: json(Run, 'Cancellation requested'), ...errors },
  }),
  rerun: createRoute({
    method: 'post',
    path: `${runs}/{runId}/rerun`,
    tags,
    summary: 'Re-run a failed run from its failed step: same version and inputs, succeeded steps reused',
    request: { params: RunParams },
    responses: { 201: json(RunDetail, 'Started'), ...errors },
  }),
  logs: createRoute({
    method: 'get',
    path: `${runs}/{runId}/logs`,
    tags,
    summary: 'Log lines after a sequence number (pages; the websocket at .../logs/live streams them)',
    request: {
      params: RunParams,
      query: z.object({
        after: z.coerce.number().int().min(0).default(0),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
      }),
    },
    responses: { 200: json(LogPage, 'Log lines'), ...errors },
  }),
  artifact: createRoute({
    method: 'get',
    path: `${runs}/{runId}/steps/{stepId}/artifacts/{name}`,
    tags,
    summary: "Download one of a step's artifacts (e.g. a notebook step's executed notebook)",
    request: { params: RunParams.extend({ stepId: z.string(), name: z.string() }) },
    responses: {
      200: { content: { 'application/octet-stream': { schema: z.string() } }, description: 'The file' },
      ...errors,
    },
  }),
}

/** `Content-Disposition` for a download: a plain ASCII fallback name plus the exact name (RFC 6266). */
function attachment(name: string): string {
  const fallback = name.replace(/[^\w.-]/g, '_')
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

/** Run history and control: viewers read runs and logs, editors cancel and re-run. */
export function pipelineRunRoutes(identity: Identity, deps: () => Pipelines | undefined) {
  const ready = requireStarted(deps, 'pipelines_unavailable', 'Pipelines are still starting')
  const viewer = (action: string) => [authorize(identity, can.workspace('viewer'), `pipelines.${action}`)]
  const editor = (action: string) => [authorize(identity, can.workspace('editor'), `pipelines.${action}`)]
  const userId = (c: Parameters<typeof currentPrincipal>[0]) => currentPrincipal(c).userId ?? null

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...routes.runs, middleware: viewer('runs.list') }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      return c.json(await ready().runs.list(workspaceId, c.req.valid('query')), 200)
    })
    .openapi({ ...routes.run, middleware: viewer('runs.read') }, async (c) => {
      const { workspaceId, runId } = c.req.valid('param')
      return c.json(await ready().runs.get(workspaceId, runId), 200)
    })
    .openapi({ ...routes.cancel, middleware: editor('runs.cancel') }, async (c) => {
      const { workspaceId, runId } = c.req.valid('param')
      return c.json(await ready().runs.cancel(workspaceId, runId), 202)
    })
    .openapi({ ...routes.rerun, middleware: editor('runs.rerun') }, async (c) => {
      const { workspaceId, runId } = c.req.valid('param')
      return c.json(await ready().runs.rerun(workspaceId, runId, userId(c)), 201)
    })
    .openapi({ ...routes.logs, middleware: viewer('runs.logs') }, async (c) => {
      const { workspaceId, runId } = c.req.valid('param')
      const { after, limit } = c.req.valid('query')
      return c.json(await ready().runs.logs(workspaceId, runId, after, limit), 200)
    })
    .openapi({ ...routes.artifact, middleware: viewer('runs.artifact') }, async (c) => {
      const { workspaceId, runId, stepId, name } = c.req.valid('param')
      const { artifact, handle, size } = await ready().artifacts.file(workspaceId, runId, stepId, name)
      return c.body(Readable.toWeb(handle.createReadStream()) as ReadableStream, 200, {
        'content-type': artifact.mediaType,
        'content-length': String(size),
        'content-disposition': attachment(artifact.name),
        'x-content-type-options': 'nosniff',
      }) as never
    })
}
