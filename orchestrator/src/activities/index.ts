import { Context } from '@temporalio/activity'
import { type StepTypeRegistry, stepTypeRegistry } from '../spec/step-types.ts'
import { httpHandler } from './steps/http.ts'
import type { KernelStepDeps } from './steps/kernel-session.ts'
import { notebookHandler, pythonHandler } from './steps/kernel-steps.ts'
import { qualityHandler } from './steps/quality.ts'
import { stepActivity } from './steps/run-step.ts'
import { sqlHandler } from './steps/sql.ts'
import {
  type NotebookRunner,
  type PythonRunner,
  type RunEvent,
  type RunReporter,
  type SqlRunner,
  type StepActivity,
  type StepHandler,
  type StepInput,
  stepActivityName,
} from './types.ts'

export { DuckDbSqlRunner } from './duckdb-sql-runner.ts'
export type {
  CellOutput,
  KernelStepDeps,
  NotebookRef,
  StepKernelSession,
} from './steps/kernel-session.ts'
export { StepArtifacts } from './steps/kernel-session.ts'
export { type NotebookStepResult, runNotebookStep } from './steps/notebook-step.ts'
export { type PythonStepResult, runPythonStep } from './steps/python-step.ts'
export type * from './types.ts'
export { stepActivityName } from './types.ts'

/**
 * Worker options the step activities rely on: heartbeats (sent every second while a step runs) reach
 * the server at least this often, so a cancelled run stops its in-flight step within seconds.
 */
export const STEP_WORKER_OPTIONS = { maxHeartbeatThrottleInterval: '1s' } as const

/** What activities need from the application; the worker's host (workbench) supplies it. */
export interface ActivityDeps {
  /** Identifies the process running the activity, so a smoke run proves which worker executed it. */
  workerIdentity: string
  /** SQL for `sql` and `quality` steps ('duckdb' and, later, named connections). */
  sql?: SqlRunner
  /** The kernels package's runners; without them those step types fail with a clear, non-retried error. */
  notebooks?: NotebookRunner
  python?: PythonRunner
  /**
   * Kernel sessions, notebooks and artifact folders for the built-in `notebook` and `python` steps
   * (the workbench provides them); takes precedence over `notebooks` / `python`.
   */
  kernels?: KernelStepDeps
  /** For `http` steps; the global fetch by default. */
  fetch?: typeof fetch
  /** Extra step types: their handlers here, their `with` schemas in `registry`. */
  handlers?: Record<string, StepHandler>
  /** Where run progress goes (the metadata DB); without it runs are visible in Temporal only. */
  reporter?: RunReporter
  /** Step types whose `with` blocks are re-checked before running; the built-ins by default. */
  registry?: StepTypeRegistry
  /**
   * Decides whether a step may run at all, before anything else happens: workflow input is a claim
   * anyone who reaches Temporal can make. Throws (a non-retryable `ApplicationFailure`) to refuse.
   */
  authorize?: (input: StepInput) => Promise<void>
}

/** The built-in step handlers, by step type. */
export function builtinHandlers(deps: ActivityDeps): Record<string, StepHandler> {
  return {
    sql: sqlHandler(deps.sql),
    quality: qualityHandler(deps.sql),
    http: httpHandler(deps.fetch),
    notebook: notebookHandler(deps.notebooks, deps.kernels),
    python: pythonHandler(deps.python, deps.kernels),
  }
}

/**
 * Builds the activity implementations around their dependencies (Temporal samples' pattern): the
 * worker registers the returned object, workflows import only its type.
 */
export function createActivities(deps: ActivityDeps) {
  const registry = deps.registry ?? stepTypeRegistry()
  const handlers = { ...builtinHandlers(deps), ...deps.handlers }
  const steps: Record<string, StepActivity> = {}
  for (const [type, handler] of Object.entries(handlers)) {
    steps[stepActivityName(type)] = stepActivity(handler, registry.get(type)?.with, deps.reporter, deps.authorize)
  }
  return {
    ...steps,
    /** Records a run's progress; the pipeline workflow calls it as a local activity. */
    async reportRunEvent(event: RunEvent): Promise<void> {
      await deps.reporter?.report(event)
    },
    /** The smoke path's single activity: echoes its input with the worker that ran it. */
    async smokeEcho(message: string): Promise<{ message: string; worker: string; attempt: number }> {
      return { message, worker: deps.workerIdentity, attempt: Context.current().info.attempt }
    },
  }
}

export type Activities = ReturnType<typeof createActivities>
