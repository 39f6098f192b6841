import { ApplicationFailure, Context } from '@temporalio/activity'
import { prettifyError, type ZodType } from 'zod'
import type { StepActivity, StepHandler } from '../types.ts'

/** How often a running step heartbeats: cancellation reaches an activity only through heartbeats. */
const HEARTBEAT_EVERY_MS = 1_000

/**
 * Wraps a step handler as an activity: re-checks the rendered `with` block against the step type's
 * schema (a bad block is a user error, never retried), heartbeats while it runs so cancellation and a
 * dead worker are noticed, and reports the attempt that produced the output.
 */
export function stepActivity(handler: StepHandler, schema: ZodType | undefined): StepActivity {
  return async (input) => {
    const context = Context.current()
    const parsed = schema?.safeParse(input.with)
    if (parsed && !parsed.success) {
      const message = `step '${input.stepId}' (${input.type}): invalid 'with': ${prettifyError(parsed.error)}`
      throw ApplicationFailure.nonRetryable(message, 'InvalidStepInput')
    }
    context.heartbeat()
    const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS)
    try {
      const output = await handler(
        input.with,
        {
          signal: context.cancellationSignal,
          attempt: context.info.attempt,
          idempotencyKey: input.idempotencyKey,
          heartbeat: (details) => context.heartbeat(details),
        },
        input,
      )
      return { output: output ?? null, attempt: context.info.attempt }
    } finally {
      clearInterval(timer)
    }
  }
}
