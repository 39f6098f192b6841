import { defaultPayloadConverter } from '@temporalio/common'
import type { temporal } from '@temporalio/proto'
import type { PipelineRunInput, StepState } from '../workflows/pipeline.ts'

type HistoryEvent = temporal.api.history.v1.IHistoryEvent
type Failure = temporal.api.failure.v1.IFailure | null | undefined

/**
 * Each step's state as a pipeline run's event history records it: steps carried into this execution
 * (continue-as-new, re-runs) from its input, then one entry per step activity (the activity id is the
 * step id): scheduled -> running, its last attempt, completed / failed / timed out / cancelled with
 * times, output and error. Steps the workflow decided without an activity (skipped) are not in the
 * history: the workflow's result or failure details have them (see {@link workflowStepStates}).
 */
export function stepStatesFromHistory(events: readonly HistoryEvent[]): Record<string, StepState> {
  const states: Record<string, StepState> = {}
  const bySchedule = new Map<string, string>()
  const iso = (event: HistoryEvent) => {
    const ts = event.eventTime
    // `seconds` is a Long in the SDK's protobufs: its decimal text converts either way.
    return ts
      ? new Date(Number(String(ts.seconds ?? 0)) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString()
      : undefined
  }
  for (const event of events) {
    const started = event.workflowExecutionStartedEventAttributes
    if (started) {
      const input = fromPayloads<PipelineRunInput>(started.input?.payloads)
      Object.assign(states, input?.carried?.steps)
      continue
    }
    const scheduled = event.activityTaskScheduledEventAttributes
    if (scheduled?.activityId && scheduled.activityType?.name?.startsWith('step.')) {
      bySchedule.set(String(event.eventId), scheduled.activityId)
      states[scheduled.activityId] = { status: 'running', startedAt: iso(event) }
      continue
    }
    const attempt = event.activityTaskStartedEventAttributes
    if (attempt) {
      const state = stepOf(states, bySchedule, attempt.scheduledEventId)
      if (state) state.attempts = attempt.attempt ?? state.attempts
      continue
    }
    const completed = event.activityTaskCompletedEventAttributes
    if (completed) {
      const state = stepOf(states, bySchedule, completed.scheduledEventId)
      const result = fromPayloads<{ output: unknown; attempt: number }>(completed.result?.payloads)
      if (state)
        Object.assign(state, {
          status: 'succeeded',
          output: result?.output ?? null,
          attempts: result?.attempt ?? state.attempts,
          endedAt: iso(event),
        })
      continue
    }
    const failed = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes
    if (failed) {
      const state = stepOf(states, bySchedule, failed.scheduledEventId)
      if (state) {
        Object.assign(state, { status: 'failed', error: rootMessage(failed.failure), endedAt: iso(event) })
        if (event.activityTaskTimedOutEventAttributes || failed.failure?.timeoutFailureInfo) state.timedOut = true
      }
      continue
    }
    const cancelled = event.activityTaskCanceledEventAttributes
    if (cancelled) {
      const state = stepOf(states, bySchedule, cancelled.scheduledEventId)
      if (state) Object.assign(state, { status: 'cancelled', endedAt: iso(event) })
    }
  }
  return states
}

/**
 * The workflow's own step states when it ended with them: a completed run's result, or a failed run's
 * `StepFailed` details (both are the workflow's `states`, skipped steps and reasons included).
 */
export function workflowStepStates(resultOrFailure: unknown): Record<string, StepState> | undefined {
  const candidate = resultOrFailure as { steps?: unknown } | undefined
  if (candidate && typeof candidate.steps === 'object' && candidate.steps !== null)
    return candidate.steps as Record<string, StepState>
  return undefined
}

function stepOf(
  states: Record<string, StepState>,
  bySchedule: Map<string, string>,
  scheduledEventId: unknown,
): StepState | undefined {
  const stepId = bySchedule.get(String(scheduledEventId))
  return stepId === undefined ? undefined : states[stepId]
}

/** The deepest cause's message: what the step's code said, as the workflow records it. */
function rootMessage(failure: Failure): string | undefined {
  let current = failure
  while (current?.cause) current = current.cause
  return current?.message ?? undefined
}

function fromPayloads<T>(payloads: temporal.api.common.v1.IPayload[] | null | undefined): T | undefined {
  const first = payloads?.[0]
  if (!first) return undefined
  try {
    return defaultPayloadConverter.fromPayload<T>(first)
  } catch {
    return undefined
  }
}
