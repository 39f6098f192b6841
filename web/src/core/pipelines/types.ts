/** Mirrors of the server's pipeline schemas (workbench/src/routes/pipeline-schemas.ts, /api/openapi.json). */
export interface Pipeline {
  id: string
  workspaceId: string
  name: string
  currentVersion: number
  alertWebhookUrl: string | null
  alertSecretSet: boolean
  sla: Sla | null
  schedulePaused: boolean
  createdBy: string | null
  createdAt: string
  updatedAt: string
}

export interface Sla {
  maxDuration?: string
  finishBy?: string
  timezone?: string
}

/** A pipeline as the list answers it: with its schedule and its newest run. */
export interface PipelineSummary extends Pipeline {
  /** The current version's schedule; null for manual pipelines. */
  schedule: { cron: string[]; timezone: string | null; paused: boolean; nextRunAt: string | null } | null
  lastRun: {
    id: string
    status: RunStatus
    trigger: Run['trigger']
    createdAt: string
    startedAt: string | null
    endedAt: string | null
  } | null
}

/** A pipeline with its current version's YAML and the spec the server parsed from it. */
export interface PipelineWithSpec extends Pipeline {
  yaml: string
  spec: unknown
}

export interface PipelineVersion {
  version: number
  createdBy: string | null
  createdAt: string
}

export interface PipelineVersionDetail {
  version: number
  yaml: string
  spec: unknown
  createdAt: string
}

/** One problem of a pipeline document: 1-based line and column in the YAML. */
export interface SpecProblem {
  code: string
  message: string
  path: (string | number)[]
  line?: number
  column?: number
}

export interface ScheduleState {
  scheduled: boolean
  paused: boolean
  nextRuns: string[]
  actionsTaken: number
}

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const
export type RunStatus = (typeof RUN_STATUSES)[number]

/** Statuses after which nothing changes any more. */
export const FINISHED_STATUSES: readonly string[] = ['succeeded', 'failed', 'cancelled', 'timed_out']

export interface Run {
  id: string
  pipelineId: string
  version: number
  trigger: 'manual' | 'schedule' | 'backfill' | 'rerun'
  params: Record<string, unknown>
  status: RunStatus
  rerunOf: string | null
  workflowId: string
  temporalRunId: string | null
  error: string | null
  triggeredBy: string | null
  createdAt: string
  startedAt: string | null
  endedAt: string | null
  durationMs: number | null
}

export interface StepRun {
  stepId: string
  /** running, succeeded, failed, timed_out, cancelled, skipped, reused, not_run */
  status: string
  attempts: number
  startedAt: string | null
  endedAt: string | null
  durationMs: number | null
  error: string | null
  reason: string | null
  output: unknown
  artifacts: StepArtifact[]
}

/** A file a step saved (e.g. a notebook step's executed notebook); downloaded by name. */
export interface StepArtifact {
  name: string
  /** notebook, outputs, file… */
  kind: string
  format?: string
  size?: number
  mediaType: string
}

export interface RunDetail extends Run {
  steps: StepRun[]
}

export interface LogLine {
  seq: number
  stepId: string | null
  level: string
  message: string
  at: string
}

export interface Alert {
  id: string
  runId: string | null
  kind: string
  message: string
  delivery: string
  attempts: number
  lastError: string | null
  createdAt: string
  deliveredAt: string | null
}

/** What notebook -> pipeline compilation answers (workbench/src/routes/pipeline-compile.ts). */
export interface CompiledPipeline {
  yaml: string
  problems: { code: string; message: string; cellId?: string; cellIndex?: number; step?: string }[]
  notebookVersionId?: string
  notebookSeq?: string
  pinnedBy: 'version' | 'seq'
  steps: { id: string; type: 'sql' | 'notebook'; cells: string[]; reads: string[]; writes: string[] }[]
}
