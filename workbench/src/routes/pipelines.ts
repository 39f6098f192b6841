import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import { invalidPipeline, toPipeline } from '../pipelines/pipeline-service.ts'
import type { Pipelines } from '../pipelines/pipelines-module.ts'
import {
  base,
  body,
  errors,
  json,
  Pipeline,
  PipelineParams,
  PipelineSummary,
  Problem,
  RunDetail,
  Settings,
  tags,
  WorkspaceParam,
  Yaml,
} from './pipeline-schemas.ts'

/** A pipeline's Temporal Schedule as the schedule routes report it. */
const ScheduleState = z.object({
  scheduled: z.boolean(),
  paused: z.boolean(),
  nextRuns: z.array(z.string()),
  actionsTaken: z.number(),
})

const routes = {
  jsonSchema: createRoute({
    method: 'get',
    path: '/pipeline-schema',
    tags,
    summary: 'JSON Schema of the pipeline YAML format, with every step type this server runs (for editors)',
    responses: { 200: json(z.record(z.string(), z.unknown()), 'JSON Schema (draft 2020-12)'), ...errors },
  }),
  list: createRoute({
    method: 'get',
    path: base,
    tags,
    summary: 'List pipelines, each with its schedule and last run',
    request: { params: WorkspaceParam },
    responses: { 200: json(z.object({ items: z.array(PipelineSummary) }), 'Pipelines'), ...errors },
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
      200: json(ScheduleState, 'State'),
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
      200: json(ScheduleState, 'State'),
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
}

/** Pipelines, their versions, schedules and runs: viewers read, editors write and trigger. */
export function pipelineRoutes(identity: Identity, deps: () => Pipelines | undefined) {
  const ready = requireStarted(deps, 'pipelines_unavailable', 'Pipelines are still starting')
  const viewer = (action: string) => [authorize(identity, can.workspace('viewer'), `pipelines.${action}`)]
  const editor = (action: string) => [authorize(identity, can.workspace('editor'), `pipelines.${action}`)]
  const userId = (c: Parameters<typeof currentPrincipal>[0]) => currentPrincipal(c).userId ?? null

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...routes.jsonSchema, middleware: [authorize(identity, can.user, 'pipelines.schema')] }, (c) =>
      c.json(ready().pipelines.jsonSchema(), 200),
    )
    .openapi({ ...routes.list, middleware: viewer('list') }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      return c.json({ items: await ready().pipelines.list(workspaceId) }, 200)
    })
    .openapi(
      { ...routes.validate, middleware: [authorize(identity, can.workspaceRead('viewer'), 'pipelines.validate')] },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        const result = await ready().pipelines.validate(workspaceId, c.req.valid('json').yaml)
        if (!result.ok) throw invalidPipeline(result.problems)
        return c.json({ ok: true as const, problems: [] }, 200)
      },
    )
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
}
