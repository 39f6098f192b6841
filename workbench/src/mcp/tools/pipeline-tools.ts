import { z } from 'zod'
import { segment } from '../rest-bridge.ts'
import { defineTool, Id, nextOffset, Paging, WorkspaceId } from '../tool.ts'

const pipelines = (workspaceId: string) => `/workspaces/${segment(workspaceId)}/pipelines`
const runs = (workspaceId: string) => `/workspaces/${segment(workspaceId)}/pipeline-runs`

/** Pipeline tools: read, validate and trigger pipelines; follow, read the logs of and cancel their runs. */
export const pipelineTools = [
  defineTool({
    name: 'list_pipelines',
    title: 'List pipelines',
    description: 'Pipelines of the workspace, each with its schedule and last run.',
    writes: false,
    input: z.object({ workspaceId: WorkspaceId }),
    run: ({ workspaceId }, { rest, signal }) => rest.get(pipelines(workspaceId), { signal }),
  }),
  defineTool({
    name: 'get_pipeline',
    title: 'Read a pipeline',
    description: "A pipeline's current version: its YAML, parsed steps, parameters and schedule.",
    writes: false,
    input: z.object({ workspaceId: WorkspaceId, pipelineId: Id }),
    run: ({ workspaceId, pipelineId }, { rest, signal }) =>
      rest.get(`${pipelines(workspaceId)}/${segment(pipelineId)}`, { signal }),
  }),
  defineTool({
    name: 'validate_pipeline_yaml',
    title: 'Validate pipeline YAML',
    description:
      'Check a pipeline document (schema, step references, tables and connections it names) without saving it. Problems come with line and column.',
    writes: false,
    input: z.object({ workspaceId: WorkspaceId, yaml: z.string().min(1).max(1_000_000) }),
    run: ({ workspaceId, yaml }, { rest, signal }) =>
      rest.post(`${pipelines(workspaceId)}/validate`, { body: { yaml }, signal }),
  }),
  defineTool({
    name: 'trigger_pipeline',
    title: 'Run a pipeline',
    description: 'Start a run now, with parameter overrides (checked against the pipeline’s parameter types).',
    writes: true,
    annotations: { idempotentHint: false },
    input: z.object({
      workspaceId: WorkspaceId,
      pipelineId: Id,
      params: z.record(z.string(), z.unknown()).optional(),
      version: z.number().int().min(1).optional(),
    }),
    run: ({ workspaceId, pipelineId, params, version }, { rest, signal }) =>
      rest.post(`${pipelines(workspaceId)}/${segment(pipelineId)}/runs`, { body: { params, version }, signal }),
  }),
  defineTool({
    name: 'list_runs',
    title: 'List pipeline runs',
    description: 'Run history, newest first, optionally of one pipeline or in one status.',
    writes: false,
    input: z.object({
      workspaceId: WorkspaceId,
      pipelineId: Id.optional(),
      status: z.string().max(50).optional(),
      ...Paging,
    }),
    run: async ({ workspaceId, pipelineId, status, limit, offset }, { rest, signal }) => {
      const page = await rest.get<{ items: unknown[]; total: number }>(runs(workspaceId), {
        query: { pipelineId, status, limit, offset },
        signal,
      })
      return { ...page, nextOffset: nextOffset(offset, page.items.length, page.total) }
    },
  }),
  defineTool({
    name: 'get_run',
    title: 'Read a run',
    description: "A run with each step's status, attempts, times, error, output and artifacts.",
    writes: false,
    input: z.object({ workspaceId: WorkspaceId, runId: Id }),
    run: ({ workspaceId, runId }, { rest, signal }) => rest.get(`${runs(workspaceId)}/${segment(runId)}`, { signal }),
  }),
  defineTool({
    name: 'get_run_logs',
    title: 'Read run logs',
    description: 'Log lines of a run after a sequence number; page on with after = the last line’s seq.',
    writes: false,
    input: z.object({
      workspaceId: WorkspaceId,
      runId: Id,
      after: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(1000).default(200),
    }),
    run: ({ workspaceId, runId, after, limit }, { rest, signal }) =>
      rest.get(`${runs(workspaceId)}/${segment(runId)}/logs`, { query: { after, limit }, signal }),
  }),
  defineTool({
    name: 'cancel_run',
    title: 'Cancel a run',
    description: 'Cancel a running pipeline run; its running step stops within seconds.',
    writes: true,
    annotations: { destructiveHint: true },
    input: z.object({ workspaceId: WorkspaceId, runId: Id }),
    run: ({ workspaceId, runId }, { rest, signal }) =>
      rest.post(`${runs(workspaceId)}/${segment(runId)}/cancel`, { signal }),
  }),
]
