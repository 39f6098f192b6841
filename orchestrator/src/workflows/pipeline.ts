import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  defineQuery,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow'
import type { RunEvent, RunReportContext, StepActivity, StepOutput } from '../activities/types.ts'
import { parseDuration } from '../spec/duration.ts'
import { evaluate, parseExpression } from '../spec/expression.ts'
import { checkGraph } from '../spec/graph.ts'
import type { PipelineSpec, StepSpec } from '../spec/schema.ts'
import { render } from '../spec/template.ts'

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled'

export interface StepState {
  status: StepStatus
  output?: unknown
  error?: string
  /** Attempts the successful run took (from the activity); failed runs report their last attempt in `error`. */
  attempts?: number
  /** Workflow time (deterministic), ISO 8601. */
  startedAt?: string
  endedAt?: string
  reason?: string
  /** The step failed because its timeout cut it. */
  timedOut?: boolean
}

export interface PipelineRunInput {
  /** A spec that passed `validatePipeline`; the workflow re-checks its graph and fails non-retryably if broken. */
  spec: PipelineSpec
  /** Resolved parameter values (`resolveParams`). */
  params: Record<string, string | number | boolean>
  options?: {
    /** Continue-as-new once the history has this many events (Temporal also suggests it itself). */
    historyEventLimit?: number
  }
  /**
   * Carried across continue-as-new: steps already finished, and how many executions came before. A
   * re-run starts with the succeeded steps of the run it repeats here, so they are not run again.
   */
  carried?: { steps: Record<string, StepState>; segments: number }
  /** When set, the run reports its progress through the `reportRunEvent` activity (metadata DB). */
  report?: RunReportContext
}

export interface PipelineRunResult {
  steps: Record<string, StepState>
  /** Workflow executions the run took (more than 1 after continue-as-new). */
  segments: number
}

/** Live step states of a run, for the API and the runs page. */
export const pipelineStatusQuery = defineQuery<Record<string, StepState>>('pipelineStatus')

const DEFAULT_CONCURRENCY = 4
const DEFAULT_TIMEOUT = '1h'
/** Without a `retry` block a step gets 3 attempts: a killed worker or a network blip must not fail a run. */
const DEFAULT_ATTEMPTS = 3
const DEFAULT_HISTORY_LIMIT = 10_000

function activityFor(step: StepSpec): StepActivity {
  const backoff = step.retry?.backoff
  const activities = proxyActivities<Record<string, StepActivity>>({
    activityId: step.id,
    startToCloseTimeout: parseDuration(step.timeout ?? DEFAULT_TIMEOUT),
    // A dead worker is noticed within this, not after the whole step timeout.
    heartbeatTimeout: '20s',
    retry: {
      maximumAttempts: step.retry?.attempts ?? DEFAULT_ATTEMPTS,
      initialInterval: parseDuration(backoff?.initial ?? '1s'),
      backoffCoefficient: backoff?.coefficient ?? 2,
      maximumInterval: parseDuration(backoff?.max ?? '1m'),
    },
  })
  return activities[`step.${step.type}`] as StepActivity
}

/** The message of the deepest cause: what the step's code actually said. */
function rootMessage(err: unknown): string {
  let current: unknown = err
  while (current instanceof Error && current.cause instanceof Error) current = current.cause
  return current instanceof Error ? current.message : String(current)
}

/**
 * Interprets a pipeline DAG: starts every step whose dependencies succeeded, up to the concurrency
 * limit; skips steps whose `when` is false (and their dependents); fails the run with the first
 * failing step's error once running steps settle; continues as new when the history grows large.
 */
export async function pipelineWorkflow(input: PipelineRunInput): Promise<PipelineRunResult> {
  const report = reporterFor(input)
  if (!report) return interpret(input, undefined)
  const info = workflowInfo()
  report({
    kind: 'run_started',
    workflowId: info.workflowId,
    temporalRunId: info.runId,
    context: input.report as RunReportContext,
    at: nowIso(),
  })
  const finish = (status: 'succeeded' | 'failed' | 'cancelled', error?: string) =>
    CancellationScope.nonCancellable(() =>
      report({ kind: 'run_finished', workflowId: info.workflowId, status, error, at: nowIso() }, true),
    )
  try {
    const result = await interpret(input, report)
    await finish('succeeded')
    return result
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err
    await finish(isCancellation(err) ? 'cancelled' : 'failed', rootMessage(err))
    throw err
  }
}

type Report = (event: RunEvent, wait?: boolean) => Promise<void>

const nowIso = () => new Date(Date.now()).toISOString()

/** Sends run events through a local activity; a lost report never fails the run (the reconciler catches up). */
function reporterFor(input: PipelineRunInput): Report | undefined {
  if (!input.report) return undefined
  const { reportRunEvent } = proxyLocalActivities<{ reportRunEvent(event: RunEvent): Promise<void> }>({
    startToCloseTimeout: '10s',
    retry: { maximumAttempts: 3, initialInterval: '200ms' },
  })
  return (event, wait = false) => {
    const sent = reportRunEvent(event).catch(() => {})
    return wait ? sent : Promise.resolve()
  }
}

async function interpret(input: PipelineRunInput, report: Report | undefined): Promise<PipelineRunResult> {
  const { spec, params } = input
  const graphProblems = checkGraph(spec.steps)
  if (graphProblems.length > 0) {
    const message = `invalid pipeline: ${graphProblems.map((p) => p.message).join('; ')}`
    throw ApplicationFailure.create({ message, type: 'InvalidPipelineSpec', nonRetryable: true })
  }

  const states: Record<string, StepState> = { ...input.carried?.steps }
  // A step interrupted by continue-as-new never reached here: only finished steps are carried.
  setHandler(pipelineStatusQuery, () => states)
  const running = new Map<string, Promise<void>>()
  const concurrency = spec.concurrency ?? DEFAULT_CONCURRENCY
  const historyLimit = input.options?.historyEventLimit ?? DEFAULT_HISTORY_LIMIT
  const keyBase = workflowInfo().firstExecutionRunId
  const workflowId = workflowInfo().workflowId
  const reportStep = (stepId: string) => {
    const state = states[stepId]
    if (!report || !state || state.status === 'running') return
    const status = state.timedOut ? 'timed_out' : state.status
    report({
      kind: 'step_finished',
      workflowId,
      stepId,
      status,
      attempts: state.attempts,
      output: state.output,
      error: state.error,
      reason: state.reason,
      startedAt: state.startedAt,
      at: state.endedAt ?? now(),
    })
  }
  let failure: { stepId: string; error: unknown } | undefined
  let cancelled: unknown
  let draining = false

  const now = () => new Date(Date.now()).toISOString()
  const finished = (id: string) => {
    const status = states[id]?.status
    return status !== undefined && status !== 'running'
  }

  const start = (step: StepSpec) => {
    const scope = { params, steps: states }
    const run = activityFor(step)
    states[step.id] = { status: 'running', startedAt: now() }
    void report?.({ kind: 'step_started', workflowId, stepId: step.id, at: now() })
    const promise = run({
      pipeline: spec.metadata.name,
      stepId: step.id,
      type: step.type,
      with: render(step.with ?? {}, scope) as Record<string, unknown>,
      params,
      idempotencyKey: `${keyBase}/${step.id}`,
      ...(report ? { workflowId, workspaceId: input.report?.workspaceId, run: input.report } : {}),
    }).then(
      (result: StepOutput) => {
        states[step.id] = {
          ...states[step.id],
          status: 'succeeded',
          output: result.output,
          attempts: result.attempt,
          endedAt: now(),
        }
        reportStep(step.id)
      },
      (error: unknown) => {
        const wasCancelled = isCancellation(error)
        const timedOut = error instanceof ActivityFailure && error.cause instanceof TimeoutFailure
        states[step.id] = {
          ...states[step.id],
          status: wasCancelled ? 'cancelled' : 'failed',
          error: rootMessage(error),
          endedAt: now(),
          ...(timedOut ? { timedOut } : {}),
        }
        reportStep(step.id)
        if (wasCancelled) cancelled ??= error
        else failure ??= { stepId: step.id, error }
      },
    )
    running.set(
      step.id,
      promise.finally(() => running.delete(step.id)),
    )
  }

  /** Starts or skips every step that can move; repeats because a skip can unblock further skips. */
  const schedule = () => {
    let moved = true
    while (moved) {
      moved = false
      for (const step of spec.steps) {
        if (states[step.id] !== undefined) continue
        if (failure || cancelled || draining || running.size >= concurrency) return
        const deps = step.depends_on ?? []
        if (!deps.every(finished)) continue
        const blocked = deps.find((dep) => states[dep]?.status !== 'succeeded')
        if (blocked !== undefined) {
          states[step.id] = { status: 'skipped', reason: `upstream step '${blocked}' did not succeed` }
          reportStep(step.id)
          moved = true
          continue
        }
        if (step.when !== undefined) {
          const parsed = parseExpression(step.when)
          if (!('expression' in parsed)) {
            const message = `step '${step.id}': invalid when: ${parsed.error.message}`
            throw ApplicationFailure.create({ message, type: 'InvalidPipelineSpec', nonRetryable: true })
          }
          if (!evaluate(parsed.expression, { params, steps: states })) {
            states[step.id] = { status: 'skipped', reason: `when '${step.when}' was false` }
            reportStep(step.id)
            moved = true
            continue
          }
        }
        start(step)
        moved = true
      }
    }
  }

  schedule()
  while (running.size > 0) {
    await Promise.race(running.values())
    const info = workflowInfo()
    if (info.continueAsNewSuggested || info.historyLength >= historyLimit) draining = true
    schedule()
  }

  if (cancelled !== undefined || CancellationScope.current().consideredCancelled) {
    throw cancelled ?? new Error('pipeline run cancelled')
  }
  if (failure) {
    const { stepId, error } = failure
    const cause = error instanceof ActivityFailure && error.cause instanceof Error ? error.cause : error
    throw ApplicationFailure.create({
      message: `step '${stepId}' failed: ${rootMessage(error)}`,
      type: 'StepFailed',
      nonRetryable: true,
      cause: cause instanceof Error ? cause : undefined,
      details: [{ stepId, steps: states }],
    })
  }
  const segments = (input.carried?.segments ?? 0) + 1
  if (spec.steps.some((step) => states[step.id] === undefined)) {
    await continueAsNew<typeof pipelineWorkflow>({ ...input, carried: { steps: states, segments } })
  }
  return { steps: states, segments }
}
