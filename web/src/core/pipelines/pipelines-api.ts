import { ApiError, api } from '../api/client.ts'
import type {
  Alert,
  CompiledPipeline,
  LogLine,
  Pipeline,
  PipelineSummary,
  PipelineVersion,
  PipelineVersionDetail,
  PipelineWithSpec,
  Run,
  RunDetail,
  ScheduleState,
  Sla,
  SpecProblem,
} from './types.ts'

/** REST calls of the pipeline pages: `/api/workspaces/{ws}/pipelines...` and `.../pipeline-runs...`. */
export function pipelinesApi(workspaceId: string) {
  const ws = `/api/workspaces/${encodeURIComponent(workspaceId)}`
  const base = `${ws}/pipelines`
  const one = (id: string) => `${base}/${encodeURIComponent(id)}`
  const run = (id: string) => `${ws}/pipeline-runs/${encodeURIComponent(id)}`
  return {
    list: () => api<{ items: PipelineSummary[] }>('GET', base),
    get: (id: string) => api<PipelineWithSpec>('GET', one(id)),
    /** Every problem of `yaml` (spec and workspace references); an empty list when it is valid. */
    validate: async (yaml: string): Promise<SpecProblem[]> => {
      try {
        await api('POST', `${base}/validate`, { yaml })
        return []
      } catch (err) {
        const problems = problemsOf(err)
        if (problems) return problems
        throw err
      }
    },
    create: (yaml: string) => api<Pipeline>('POST', base, { yaml }),
    save: (id: string, yaml: string) => api<Pipeline>('PUT', one(id), { yaml }),
    remove: (id: string) => api<void>('DELETE', one(id)),
    versions: (id: string) => api<{ items: PipelineVersion[] }>('GET', `${one(id)}/versions`),
    version: (id: string, version: number) => api<PipelineVersionDetail>('GET', `${one(id)}/versions/${version}`),
    schedule: (id: string) => api<ScheduleState>('GET', `${one(id)}/schedule`),
    setPaused: (id: string, paused: boolean) =>
      api<ScheduleState>('POST', `${one(id)}/schedule/${paused ? 'pause' : 'resume'}`),
    trigger: (id: string, params: Record<string, unknown>) => api<RunDetail>('POST', `${one(id)}/runs`, { params }),
    backfill: (id: string, body: { start: string; end: string; every?: string }) =>
      api<{ runs: RunDetail[] }>('POST', `${one(id)}/backfill`, body),
    /** Failure webhook, its signing secret (write-only: undefined keeps it) and the SLA. */
    updateSettings: (
      id: string,
      body: { alertWebhookUrl: string | null; alertSecret?: string | null; sla: Sla | null },
    ) => api<Pipeline>('PATCH', `${one(id)}/settings`, body),
    alerts: (id: string) => api<{ items: Alert[] }>('GET', `${one(id)}/alerts`),
    runs: (o: { pipelineId?: string; limit: number; offset: number }) => {
      const q = new URLSearchParams({ limit: String(o.limit), offset: String(o.offset) })
      if (o.pipelineId) q.set('pipelineId', o.pipelineId)
      return api<{ items: Run[]; total: number }>('GET', `${ws}/pipeline-runs?${q}`)
    },
    run: (id: string) => api<RunDetail>('GET', run(id)),
    cancel: (id: string) => api<Run>('POST', `${run(id)}/cancel`),
    rerun: (id: string) => api<RunDetail>('POST', `${run(id)}/rerun`),
    logs: (id: string, after: number) =>
      api<{ items: LogLine[]; next: number }>('GET', `${run(id)}/logs?after=${after}&limit=1000`),
    /** Download URL of a step's artifact (same origin: the session cookie authenticates it). */
    artifactUrl: (runId: string, stepId: string, name: string) =>
      `${run(runId)}/steps/${encodeURIComponent(stepId)}/artifacts/${encodeURIComponent(name)}`,
    /** The live log websocket's URL (same origin; the session cookie authenticates it). */
    liveLogsUrl: (id: string, after: number) => {
      const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
      return `${scheme}//${window.location.host}${run(id)}/logs/live?after=${after}`
    },
    compileNotebook: (notebookId: string, name?: string) =>
      api<CompiledPipeline>(
        'POST',
        `${ws}/notebooks/${encodeURIComponent(notebookId)}/compile-pipeline`,
        name ? { name } : {},
      ),
  }
}

export type PipelinesApi = ReturnType<typeof pipelinesApi>

/** The problems of an `invalid_pipeline` answer (400 with `details.problems`), if `err` is one. */
export function problemsOf(err: unknown): SpecProblem[] | undefined {
  if (!(err instanceof ApiError) || err.code !== 'invalid_pipeline') return undefined
  const details = err.details
  if (!details || typeof details !== 'object' || !('problems' in details) || !Array.isArray(details.problems))
    return [{ code: err.code, message: err.message, path: [] }]
  return details.problems.filter(isProblem)
}

function isProblem(value: unknown): value is SpecProblem {
  return !!value && typeof value === 'object' && 'message' in value && typeof value.message === 'string'
}
