import { z } from '@hono/zod-openapi'

// Schemas shared by the pipeline and pipeline-run routes (OpenAPI components).

export const ErrorBody = z
  .object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() })
  .openapi('PipelineErrorBody')
export const Problem = z
  .object({
    code: z.string(),
    message: z.string(),
    path: z.array(z.union([z.string(), z.number()])),
    line: z.number(),
    column: z.number(),
  })
  .openapi('PipelineProblem')
export const Pipeline = z
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
export const PipelineSummary = Pipeline.extend({
  schedule: z
    .object({
      cron: z.array(z.string()),
      timezone: z.string().nullable(),
      paused: z.boolean(),
      nextRunAt: z.string().nullable().describe('From the cron; null when paused or unknown'),
    })
    .nullable()
    .describe("The current version's schedule; null for manual pipelines"),
  lastRun: z
    .object({
      id: z.string(),
      status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out']),
      trigger: z.enum(['manual', 'schedule', 'backfill', 'rerun']),
      createdAt: z.string(),
      startedAt: z.string().nullable(),
      endedAt: z.string().nullable(),
    })
    .nullable()
    .describe('The newest run; null when never run'),
}).openapi('PipelineSummary')
export const StepRun = z
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
export const Run = z
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
export const RunDetail = Run.extend({ steps: z.array(StepRun) }).openapi('PipelineRunDetail')
export const LogPage = z
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
export const Sla = z
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
export const Settings = z.object({
  alertWebhookUrl: z
    .url({ protocol: /^https?$/ })
    .nullable()
    .optional(),
  alertSecret: z.string().min(16).max(500).nullable().optional().describe('Write-only HMAC key of alert signatures'),
  sla: Sla.nullable().optional(),
})
export const Yaml = z.string().min(1).max(1_000_000)

export const WorkspaceParam = z.object({ workspaceId: z.string().min(1).max(100) })
export const PipelineParams = WorkspaceParam.extend({ pipelineId: z.string().min(1).max(100) })
export const RunParams = WorkspaceParam.extend({ runId: z.string().min(1).max(100) })
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})
export const body = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
})
export const errors = {
  400: json(ErrorBody, 'Invalid request or pipeline (details.problems lists each problem with line and column)'),
  404: json(ErrorBody, 'No such pipeline or run'),
  409: json(ErrorBody, 'Conflict with the current state'),
  503: json(ErrorBody, 'Temporal is not reachable yet'),
}
export const base = '/workspaces/{workspaceId}/pipelines'
export const runs = '/workspaces/{workspaceId}/pipeline-runs'
export const tags = ['pipelines']
