import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import { invalidPipeline, toPipeline } from '../pipelines/pipeline-service.ts'
import type { Pipelines } from '../pipelines/pipelines-module.ts'

const ErrorBody = z
  .object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() })
  .openapi('PipelineErrorBody')
const Problem = z
  .object({
    code: z.string(),
    message: z.string(),
    path: z.array(z.union([z.string(), z.number()])),
    line: z.number(),
    column: z.number(),
  })
  .openapi('PipelineProblem')
const Pipeline = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    name: z.string(),
    currentVersion: z.number(),
    alertWebhookUrl: z.string().nullable(),
    alertSecretSet: z.boolean(),
    sla: z.unknown(),
    schedulePaused: z.boolean(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Pipeline')
const StepRun = z
  .object({
    stepId: z.string(),
    status: z.string(),
    attempts: z.number(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    error: z.string().nullable(),
    reason: z.string().nullable(),
    output: z.unknown(),
    artifacts: z.array(z.unknown()),
  })
  .openapi('PipelineStepRun')
const Run = z
  .object({
    id: z.string(),
    pipelineId: z.string(),
    version: z.number(),
    trigger: z.enum(['manual', 'schedule', 'backfill', 'rerun']),
    params: z.record(z.string(), z.unknown()),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out']),
    rerunOf: z.string().nullable(),
    workflowId: z.string(),
    temporalRunId: z.string().nullable(),
    error: z.string().nullable(),
    triggeredBy: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
  })
  .openapi('PipelineRun')
const RunDetail = Run.extend({ steps: z.array(StepRun) }).openapi('PipelineRunDetail')
const LogPage = z
  .object({
    items: z.array(
      z.object({
        seq: z.number(),
        stepId: z.string().nullable(),
        level: z.string(),
        message: z.string(),
        at: z.string(),
      }),
    ),
    next: z.number(),
  })
  .openapi('PipelineLogPage')
const Sla = z
  .object({
    maxDuration: z
      .string()
      .regex(/^(\d+(ms|s|m|h|d))+$/)
      .optional(),
    finishBy: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM')
      .optional(),
    timezone: z.string().optional(),
  })
  .openapi('PipelineSla')
const Settings = z.object({
  alertWebhookUrl: z
    .url({ protocol: /^https?$/ })
    .nullable()
    .optional(),
  alertSecret: z.string().min(16).max(500).nullable().optional().describe('Write-only HMAC key of alert signatures'),
  sla: Sla.nullable().optional(),
})
const Yaml = z.string().min(1).max(1_000_000)

const WorkspaceParam = z.object({ workspaceId: z.string().min(1).max(100) })
const PipelineParams = WorkspaceParam.extend({ pipelineId: z.string().min(1).max(100) })
const RunParams = WorkspaceParam.extend({ runId: z.string().min(1).max(100) })
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})
const body = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
})
const errors = {
  400: json(ErrorBody, 'Invalid request or pipeline (details.problems lists each problem with line and column)'),
  404: json(ErrorBody, 'No such pipeline or run'),
  409: json(ErrorBody, 'Conflict with the current state'),
  503: json(ErrorBody, 'Temporal is not reachable yet'),
}
const base = '/workspaces/{workspaceId}/pipelines'
const runs = '/workspaces/{workspaceId}/pipeline-runs'
const tags = ['pipelines']

const routes = {
  list: createRoute({
    method: 'get',
    path: base,
    tags,
    summary: 'List pipelines',
    request: { params: WorkspaceParam },
    responses: { 200: json(z.object({ items: z.array(Pipeline) }), 'Pipelines'), ...errors },
  }),
  validate: createRoute({
    method: 'post',
    path: `${base}/validate`,
    tags,
    summary: 'Validate a pipeline document (spec and references) without saving it',
    request: { params: WorkspaceParam, body: body(z.object({ yaml: Yaml })) },
    responses: { 200: json(z.object({ ok: z.literal(true), problems: z.array(Problem) }), 'Valid'), ...errors },
  }),
  create: createRoute({
    method: 'post',
    path: base,
    tags,
    summary: 'Save a new pipeline (version 1); scheduled when its spec has a schedule',
    request: { params: WorkspaceParam, body: body(Settings.extend({ yaml: Yaml })) },
    responses: { 201: json(Pipeline, 'Created'), ...errors },
  }),
  get: createRoute({
    method: 'get',
    path: `${base}/{pipelineId}`,
    tags,
    summary: 'A pipeline with its current version (YAML and parsed spec)',
    request: { params: PipelineParams },
    responses: {
      200: json(Pipeline.extend({ yaml: z.string(), spec: z.unknown() }), 'The pipeline'),
      ...errors,
    },
  }),
  save: createRoute({
    method: 'put',
    path: `${base}/{pipelineId}`,
    tags,
    summary: 'Save a new version; the schedule follows it',
    request: { params: PipelineParams, body: body(z.object({ yaml: Yaml })) },
    responses: { 200: json(Pipeline, 'Saved'), ...errors },
  }),
  settings: createRoute({
    method: 'patch',
    path: `${base}/{pipelineId}/settings`,
    tags,
    summary: 'Failure alert webhook, its secret (write-only) and the SLA',
    request: { params: PipelineParams, body: body(Settings) },
    responses: { 200: json(Pipeline, 'Updated'), ...errors },
  }),
  delete: createRoute({
    method: 'delete',
    path: `${base}/{pipelineId}`,
    tags,
    summary: 'Delete a pipeline, its schedule and its run history',
    request: { params: PipelineParams },
    responses: { 204: { description: 'Deleted' }, ...errors },
  }),
  versions: createRoute({
    method: 'get',
    path: `${base}/{pipelineId}/versions`,
    tags,
    summary: 'Saved versions, newest first',
    request: { params: PipelineParams },
    responses: {
      200: json(
        z.object({
          items: z.array(z.object({ version: z.number(), createdBy: z.string().nullable(), createdAt: z.string() })),
        }),
        'Versions',
      ),
      ...errors,
    },
  }),
  version: createRoute({
    method: 'get',
    path: `${base}/{pipelineId}/versions/{version}`,
    tags,
    summary: 'One saved version',
    request: { params: PipelineParams.extend({ version: z.coerce.number().int().min(1) }) },
    responses: {
      200: json(z.object({ version: z.number(), yaml: z.string(), spec: z.unknown(), createdAt: z.string() }), 'It'),
      ...errors,
    },
  }),
  schedule: createRoute({
    method: 'get',
    path: `${base}/{pipelineId}/schedule`,
    tags,
    summary: 'Schedule state: paused, next fire times',
    request: { params: PipelineParams },
    responses: {
      200: json(
        z.object({
          scheduled: z.boolean(),
          paused: z.boolean(),
          nextRuns: z.array(z.string()),
          actionsTaken: z.number(),
        }),
        'State',
      ),
      ...errors,
    },
  }),
  pause: createRoute({
    method: 'post',
    path: `${base}/{pipelineId}/schedule/{action}`,
    tags,
    summary: 'Pause or resume the schedule (resuming re-validates references)',
    request: { params: PipelineParams.extend({ action: z.enum(['pause', 'resume']) }) },
    responses: {
      200: json(
        z.object({
          scheduled: z.boolean(),
          paused: z.boolean(),
          nextRuns: z.array(z.string()),
          actionsTaken: z.number(),
        }),
        'State',
      ),
      ...errors,
    },
  }),
  trigger: createRoute({
    method: 'post',
    path: `${base}/{pipelineId}/runs`,
    tags,
    summary: 'Start a run now, with parameter overrides',
    request: {
      params: PipelineParams,
      body: body(
        z.object({
          params: z.record(z.string(), z.unknown()).optional(),
          version: z.number().int().min(1).optional(),
        }),
      ),
    },
    responses: { 201: json(RunDetail, 'Started'), ...errors },
  }),
  backfill: createRoute({
    method: 'post',
    path: `${base}/{pipelineId}/backfill`,
    tags,
    summary: 'One run per interval of [start, end), each with interval_start/interval_end parameters',
    request: {
      params: PipelineParams,
      body: body(
        z.object({
          start: z.string(),
          end: z.string(),
          every: z.string().optional().describe("Interval length, e.g. '1d'; default: the schedule's cron"),
          params: z.record(z.string(), z.unknown()).optional(),
        }),
      ),
    },
    responses: { 201: json(z.object({ runs: z.array(RunDetail) }), 'Started'), ...errors },
  }),
  alerts: createRoute({
    method: 'get',
    path: `${base}/{pipelineId}/alerts`,
    tags,
    summary: 'Failure alerts and SLA breaches, newest first, with their delivery state',
    request: { params: PipelineParams },
    responses: {
      200: json(
        z.object({
          items: z.array(
            z.object({
              id: z.string(),
              runId: z.string().nullable(),
              kind: z.string(),
              message: z.string(),
              delivery: z.string(),
              attempts: z.number(),
              lastError: z.string().nullable(),
              createdAt: z.string(),
              deliveredAt: z.string().nullable(),
            }),
          ),
        }),
        'Alerts',
      ),
      ...errors,
    },
  }),
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
}

/** Pipelines, their versions, schedules and runs: viewers read, editors write and trigger. */
export function pipelineRoutes(identity: Identity, deps: () => Pipelines | undefined) {
  const ready = (): Pipelines => {
    const p = deps()
    if (!p) throw new AppError(503, 'pipelines_unavailable', 'Pipelines are still starting')
    return p
  }
  const viewer = (action: string) => [authorize(identity, can.workspace('viewer'), `pipelines.${action}`)]
  const editor = (action: string) => [authorize(identity, can.workspace('editor'), `pipelines.${action}`)]
  const userId = (c: Parameters<typeof currentPrincipal>[0]) => currentPrincipal(c).userId ?? null

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...routes.list, middleware: viewer('list') }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      return c.json({ items: await ready().pipelines.list(workspaceId) }, 200)
    })
    .openapi({ ...routes.validate, middleware: viewer('validate') }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      const result = await ready().pipelines.validate(workspaceId, c.req.valid('json').yaml)
      if (!result.ok) throw invalidPipeline(result.problems)
      return c.json({ ok: true as const, problems: [] }, 200)
    })
    .openapi({ ...routes.create, middleware: editor('create') }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      const { yaml, ...settings } = c.req.valid('json')
      return c.json(await ready().pipelines.create(workspaceId, yaml, settings, userId(c)), 201)
    })
    .openapi({ ...routes.get, middleware: viewer('read') }, async (c) => {
      const { workspaceId, pipelineId } = c.req.valid('param')
      const { pipeline, yaml, spec } = await ready().pipelines.version(workspaceId, pipelineId)
      return c.json({ ...toPipeline(pipeline), yaml, spec }, 200)
    })
    .openapi({ ...routes.save, middleware: editor('save') }, async (c) => {
      const { workspaceId, pipelineId } = c.req.valid('param')
      return c.json(
        await ready().pipelines.saveVersion(workspaceId, pipelineId, c.req.valid('json').yaml, userId(c)),
        200,
      )
    })
    .openapi({ ...routes.settings, middleware: editor('settings') }, async (c) => {
      const { workspaceId, pipelineId } = c.req.valid('param')
      return c.json(await ready().pipelines.updateSettings(workspaceId, pipelineId, c.req.valid('json')), 200)
    })
    .openapi({ ...routes.delete, middleware: editor('delete') }, async (c) => {
      const { workspaceId, pipelineId } = c.req.valid('param')
      await ready().pipelines.delete(workspaceId, pipelineId)
      return c.body(null, 204)
    })
    .openapi({ ...routes.versions, middleware: viewer('versions') }, async (c) => {
      const { workspaceId, pipelineId } = c.req.valid('param')
      const rows = await ready().pipelines.versions(workspaceId, pipelineId)
      const items = rows.map((r) => ({
        version: r.version,
        createdBy: r.created_by,
        createdAt: r.created_at.toISOString(),
      }))
      return c.json({ items }, 200)
    })
    .openapi({ ...routes.version, middleware: viewer('version') }, async (c) => {
      const { workspaceId, pipelineId, version } = c.req.valid('param')
      const v = await ready().pipelines.version(workspaceId, pipelineId, version)
      return c.json({ version: v.version, yaml: v.yaml, spec: v.spec, createdAt: v.createdAt.toISOString() }, 200)
    })
    .openapi({ ...routes.schedule, middleware: viewer('schedule.read') }, async (c) => {
      const { workspaceId, pipelineId } = c.req.valid('param')
      return c.json(await ready().pipelines.schedule(workspaceId, pipelineId), 200)
    })
    .openapi({ ...routes.pause, middleware: editor('schedule.pause') }, async (c) => {
      const { workspaceId, pipelineId, action } = c.req.valid('param')
      return c.json(await ready().pipelines.setPaused(workspaceId, pipelineId, action === 'pause'), 200)
    })
    .openapi({ ...routes.trigger, middleware: editor('trigger') }, async (c) => {
      const { workspaceId, pipelineId } = c.req.valid('param')
      return c.json(await ready().runs.trigger(workspaceId, pipelineId, c.req.valid('json'), userId(c)), 201)
    })
    .openapi({ ...routes.backfill, middleware: editor('backfill') }, async (c) => {
      const { workspaceId, pipelineId } = c.req.valid('param')
      return c.json({ runs: await ready().runs.backfill(workspaceId, pipelineId, c.req.valid('json'), userId(c)) }, 201)
    })
    .openapi({ ...routes.alerts, middleware: viewer('alerts') }, async (c) => {
      const { workspaceId, pipelineId } = c.req.valid('param')
      const p = ready()
      await p.pipelines.getRow(workspaceId, pipelineId)
      const rows = await p.pipelines.db
        .selectFrom('pipeline_alerts')
        .selectAll()
        .where('pipeline_id', '=', pipelineId)
        .orderBy('created_at', 'desc')
        .limit(200)
        .execute()
      const items = rows.map((r) => ({
        id: r.id,
        runId: r.run_id,
        kind: r.kind,
        message: r.message,
        delivery: r.delivery,
        attempts: r.attempts,
        lastError: r.last_error,
        createdAt: r.created_at.toISOString(),
        deliveredAt: r.delivered_at?.toISOString() ?? null,
      }))
      return c.json({ items }, 200)
    })
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
}
