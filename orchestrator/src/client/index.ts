import {
  Client,
  type Connection,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client'
import type { PipelineRunInput, pipelineWorkflow, StepState } from '../workflows/pipeline.ts'
import type { smokeWorkflow } from '../workflows/smoke.ts'
import { stepStatesFromHistory, workflowStepStates } from './step-states.ts'

export type PipelineRunHandle = WorkflowHandleWithFirstExecutionRunId<typeof pipelineWorkflow>
export type { PipelineRunInput, PipelineRunResult, StepState } from '../workflows/pipeline.ts'
export { stepStatesFromHistory, workflowStepStates } from './step-states.ts'

/** What a pipeline schedule is: the spec's `schedule` block (in Temporal's terms) and the run it starts. */
export interface PipelineScheduleOptions {
  /** Five-field cron expressions, evaluated in `timezone`. */
  cron: string[]
  timezone?: string
  /** Instead of cron: fire every this long (e.g. '2s'); for demos and tests. */
  every?: string
  overlap?: 'skip' | 'buffer_one' | 'buffer_all' | 'cancel_other' | 'terminate_other' | 'allow_all'
  catchupWindow?: string
  paused?: boolean
  /** The input of every scheduled run. */
  input: PipelineRunInput
}

/** Terminal and running states of a workflow, as the reconciler needs them. */
export interface RunOutcome {
  status: string
  closeTime?: Date
  error?: string
}

export interface OrchestratorClientOptions {
  connection: Connection
  namespace: string
  taskQueue: string
}

/** Starts workflows on the workbench task queue; the API and tests use this rather than raw SDK calls. */
export class OrchestratorClient {
  readonly #client: Client
  readonly #taskQueue: string

  constructor(options: OrchestratorClientOptions) {
    this.#client = new Client({ connection: options.connection, namespace: options.namespace })
    this.#taskQueue = options.taskQueue
  }

  /** Runs the smoke workflow to completion and returns its result. */
  async runSmoke(message: string, workflowId = `smoke-${crypto.randomUUID()}`): ReturnType<typeof smokeWorkflow> {
    return this.#client.workflow.execute<typeof smokeWorkflow>('smokeWorkflow', {
      taskQueue: this.#taskQueue,
      workflowId,
      args: [message],
      workflowExecutionTimeout: '1 minute',
    })
  }

  /**
   * Starts a pipeline run. The spec must have passed `validatePipeline` and the params `resolveParams`:
   * the workflow only re-checks the graph, and fails a bad spec without retrying.
   */
  async startPipeline(input: PipelineRunInput, options: { workflowId?: string } = {}): Promise<PipelineRunHandle> {
    return this.#client.workflow.start<typeof pipelineWorkflow>('pipelineWorkflow', {
      taskQueue: this.#taskQueue,
      workflowId: options.workflowId ?? `pipeline-${input.spec.metadata.name}-${crypto.randomUUID()}`,
      args: [input],
    })
  }

  /** A handle on an existing run (result, cancel, describe). */
  pipelineRun(workflowId: string): WorkflowHandle<typeof pipelineWorkflow> {
    return this.#client.workflow.getHandle<typeof pipelineWorkflow>(workflowId)
  }

  /** Live step states of a running pipeline. */
  async pipelineStatus(workflowId: string): Promise<Record<string, StepState>> {
    return this.#client.workflow.getHandle(workflowId).query<Record<string, StepState>>('pipelineStatus')
  }

  /** Creates or updates a pipeline's Temporal Schedule (idempotent: a save calls it every time). */
  async upsertSchedule(scheduleId: string, options: PipelineScheduleOptions): Promise<void> {
    const spec: ScheduleSpec = options.every
      ? { intervals: [{ every: options.every as '1s' }] }
      : { cronExpressions: options.cron, timezone: options.timezone ?? 'UTC' }
    const action: ScheduleOptionsStartWorkflowAction<typeof pipelineWorkflow> = {
      type: 'startWorkflow',
      workflowType: 'pipelineWorkflow',
      workflowId: scheduleId,
      taskQueue: this.#taskQueue,
      args: [options.input],
    }
    const policies = {
      overlap: (options.overlap ?? 'skip').toUpperCase() as 'SKIP',
      ...(options.catchupWindow ? { catchupWindow: options.catchupWindow as '1m' } : {}),
    }
    const paused = options.paused ?? false
    try {
      await this.#client.schedule.create({ scheduleId, spec, action, policies, state: { paused } })
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err
      await this.#client.schedule.getHandle(scheduleId).update((previous) => ({
        ...previous,
        spec,
        action,
        policies: { ...previous.policies, ...policies },
        state: { ...previous.state, paused },
      }))
    }
  }

  /** Removes a schedule; a missing one is fine (deleting twice is not an error). */
  async deleteSchedule(scheduleId: string): Promise<void> {
    await this.#client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err
      })
  }

  async pauseSchedule(scheduleId: string, paused: boolean, note?: string): Promise<void> {
    const handle = this.#client.schedule.getHandle(scheduleId)
    if (paused) await handle.pause(note)
    else await handle.unpause(note)
  }

  /** Whether a schedule exists, is paused, and when it fires next. */
  async describeSchedule(
    scheduleId: string,
  ): Promise<{ paused: boolean; nextActionTimes: Date[]; actions: number } | undefined> {
    try {
      const d = await this.#client.schedule.getHandle(scheduleId).describe()
      return { paused: d.state.paused, nextActionTimes: d.info.nextActionTimes, actions: d.info.numActionsTaken }
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return undefined
      throw err
    }
  }

  /** How a run ended (or that it still runs), with the failure's message: for the reconciler. */
  async outcome(workflowId: string): Promise<RunOutcome> {
    const handle = this.#client.workflow.getHandle(workflowId)
    const description = await handle.describe()
    const status = description.status.name
    if (status !== 'FAILED' && status !== 'TIMED_OUT') return { status, closeTime: description.closeTime }
    const error = await handle.result().then(
      () => undefined,
      (err: unknown) => {
        const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err
        return cause instanceof Error ? cause.message : String(cause)
      },
    )
    return { status, closeTime: description.closeTime, error }
  }

  /**
   * Each step's state in a run, for the reconciler: read from the event history of its latest execution
   * (attempts, times, outputs, errors; works however the run ended, terminated included), overlaid with
   * the workflow's own states when it ended with them (a completed run's result, a failed run's details).
   */
  async stepStates(workflowId: string): Promise<Record<string, StepState>> {
    const handle = this.#client.workflow.getHandle(workflowId)
    const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()])
    const states = stepStatesFromHistory(history.events ?? [])
    const status = description.status.name
    if (status !== 'COMPLETED' && status !== 'FAILED') return states
    const final = await handle.result().then(workflowStepStates, (err: unknown) => {
      const cause = err instanceof Error ? (err.cause as { details?: unknown[] } | undefined) : undefined
      return workflowStepStates(cause?.details?.[0])
    })
    // Per step: the workflow's state wins, the history keeps what it lacks (a failed step's attempts).
    for (const [stepId, state] of Object.entries(final ?? {})) states[stepId] = { ...states[stepId], ...state }
    return states
  }

  /** Status of a workflow run by id (e.g. `COMPLETED`, `RUNNING`, `FAILED`). */
  async describe(workflowId: string): Promise<{ status: string; startTime: Date }> {
    const description = await this.#client.workflow.getHandle(workflowId).describe()
    return { status: description.status.name, startTime: description.startTime }
  }
}
