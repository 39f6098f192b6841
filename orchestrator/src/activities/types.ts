// Interfaces between step activities and the application. Workflows import these as types only.

/** What the workflow sends a step's activity. */
export interface StepInput {
  pipeline: string
  stepId: string
  type: string
  /** The step's `with` block, templates already rendered by the workflow. */
  with: Record<string, unknown>
  params: Record<string, string | number | boolean>
  /**
   * Identifies this step execution: the same across Temporal's retry attempts of the step, new for
   * every pipeline run. Side effects are keyed on it so a retried attempt never applies them twice.
   */
  idempotencyKey: string
  /** Set when the run reports its progress (see {@link RunReporter}): the run's workflow id. */
  workflowId?: string
  /** The workspace the run belongs to (set with `workflowId`): where its SQL, notebooks and artifacts live. */
  workspaceId?: string
  /**
   * The run's report context as the workflow received it (set with `workflowId`). A claim, like every
   * field here: the host's `authorize` checks it against what it recorded (a scheduled run is first
   * recorded from it).
   */
  run?: RunReportContext
}

/** What a step's activity returns: a small JSON output (kept in workflow history) and the attempt that produced it. */
export interface StepOutput {
  output: unknown
  attempt: number
}

/** Context a handler gets for one attempt. */
export interface StepContext {
  /** Aborts when Temporal cancels the activity (run cancelled, timed out, worker shutting down). */
  signal: AbortSignal
  attempt: number
  idempotencyKey: string
  heartbeat(details?: unknown): void
  /** A line in the run's log (streamed live to the runs page when the run reports its progress). */
  log(message: string, level?: RunLogLevel): void
}

/** The worker-side half of a step type (the spec-side half is its `with` schema). */
export type StepHandler = (
  withBlock: Record<string, unknown>,
  context: StepContext,
  input: StepInput,
) => Promise<unknown>

export interface SqlRequest {
  /** Connection name; 'duckdb' is the workbench's own DuckDB database. */
  connection: string
  /** The run's workspace, when known: a workbench runner resolves 'duckdb' to that workspace's database. */
  workspaceId?: string
  sql: string
  /** Named parameters bound as `$name`. */
  parameters?: Record<string, string | number | boolean | null>
  /** When given, a runner that supports it applies the statement at most once per key. */
  idempotencyKey?: string
  signal?: AbortSignal
  /** Rows to return (the rest are counted as truncated). */
  maxRows?: number
}

export interface SqlResult {
  columns: string[]
  rows: Record<string, unknown>[]
  /** Rows returned (at most `maxRows`). */
  rowCount: number
  truncated: boolean
  /** True when the key had already been applied and the stored result was returned instead. */
  replayed?: boolean
}

/** Runs SQL on a named connection: the DuckDB runner now, the kernels package's connections later. */
export interface SqlRunner {
  run(request: SqlRequest): Promise<SqlResult>
}

/** Runs a notebook version with injected parameters and saves the executed notebook as an artifact (kernels package). */
export interface NotebookRunner {
  run(request: {
    notebook: string
    version?: number | string
    parameters: Record<string, unknown>
    idempotencyKey: string
    signal: AbortSignal
  }): Promise<{ artifactId: string; outputs?: unknown }>
}

/** Runs Python code in a Jupyter kernel (kernels package). */
export interface PythonRunner {
  run(request: {
    code: string
    parameters: Record<string, unknown>
    kernel?: string
    idempotencyKey: string
    signal: AbortSignal
  }): Promise<{ outputs: unknown }>
}

/** One activity type per step type (`step.sql`, `step.http`…), so Temporal's UI and metrics tell them apart. */
export function stepActivityName(type: string): string {
  return `step.${type}`
}

export type StepActivity = (input: StepInput) => Promise<StepOutput>

export type RunLogLevel = 'info' | 'warn' | 'error'

/** Who and what a reported run is for: carried in the workflow input so scheduled runs can be recorded too. */
export interface RunReportContext {
  pipelineId: string
  workspaceId: string
  version: number
  trigger: 'manual' | 'schedule' | 'backfill' | 'rerun'
  params: Record<string, string | number | boolean>
}

/** Progress of a pipeline run, sent by the workflow (through an activity) and by step activities. */
export type RunEvent =
  | { kind: 'run_started'; workflowId: string; temporalRunId: string; context: RunReportContext; at: string }
  | { kind: 'step_started'; workflowId: string; stepId: string; at: string }
  | { kind: 'step_attempt'; workflowId: string; stepId: string; attempt: number; at: string }
  | {
      kind: 'step_finished'
      workflowId: string
      stepId: string
      status: 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'skipped'
      attempts?: number
      output?: unknown
      error?: string
      reason?: string
      startedAt?: string
      at: string
    }
  | {
      kind: 'run_finished'
      workflowId: string
      status: 'succeeded' | 'failed' | 'cancelled'
      error?: string
      at: string
    }
  | { kind: 'log'; workflowId: string; stepId?: string; level: RunLogLevel; message: string; at: string }

/** Records run progress where the application can read it without asking Temporal (the metadata DB). */
export interface RunReporter {
  report(event: RunEvent): Promise<void>
}
