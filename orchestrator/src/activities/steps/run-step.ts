import { ApplicationFailure, Context } from '@temporalio/activity'
import { prettifyError, type ZodType } from 'zod'
import type { RunLogLevel, RunReporter, StepActivity, StepHandler, StepInput } from '../types.ts'

/** How often a running step heartbeats: cancellation reaches an activity only through heartbeats. */
const HEARTBEAT_EVERY_MS = 1_000

/**
 * Wraps a step handler as an activity: lets the host refuse it first (`authorize`), re-checks the rendered `with` block against the step type's
 * schema (a bad block is a user error, never retried), heartbeats while it runs so cancellation and a
 * dead worker are noticed, reports each attempt and its log lines when the run is reported, and
 * returns the attempt that produced the output.
 */
export function stepActivity(
  handler: StepHandler,
  schema: ZodType | undefined,
  reporter?: RunReporter,
  authorize?: (input: StepInput) => Promise<void>,
): StepActivity {
  return async (input) => {
    // Refused steps report nothing: the run they claim to belong to may be someone else's.
    await authorize?.(input)
    const context = Context.current()
    const attempt = context.info.attempt
    const workflowId = input.workflowId
    // Reporting never fails a step: the reconciler fills in what a lost report missed.
    const send = (event: Parameters<RunReporter['report']>[0]) =>
      reporter && workflowId ? reporter.report(event).catch(() => {}) : Promise.resolve()
    const log = (message: string, level: RunLogLevel = 'info') =>
      workflowId
        ? send({ kind: 'log', workflowId, stepId: input.stepId, level, message, at: new Date().toISOString() })
        : Promise.resolve()
    if (workflowId) {
      // Two independent writes (the step row, a log line) in the step's critical path: not one after the other.
      const at = new Date().toISOString()
      await Promise.all([
        send({ kind: 'step_attempt', workflowId, stepId: input.stepId, attempt, at }),
        log(`attempt ${attempt} started`),
      ])
    }
    const parsed = schema?.safeParse(input.with)
    if (parsed && !parsed.success) {
      const message = `step '${input.stepId}' (${input.type}): invalid 'with': ${prettifyError(parsed.error)}`
      await log(message, 'error')
      throw ApplicationFailure.nonRetryable(message, 'InvalidStepInput')
    }
    context.heartbeat()
    const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS)
    const started = Date.now()
    try {
      const output = await handler(
        input.with,
        {
          signal: context.cancellationSignal,
          attempt,
          idempotencyKey: input.idempotencyKey,
          heartbeat: (details) => context.heartbeat(details),
          log: (message, level) => void log(message, level),
        },
        input,
      )
      await log(`attempt ${attempt} succeeded in ${Date.now() - started} ms`)
      return { output: output ?? null, attempt }
    } catch (err) {
      await log(`attempt ${attempt} failed: ${err instanceof Error ? err.message : String(err)}`, 'error')
      throw err
    } finally {
      clearInterval(timer)
    }
  }
}
