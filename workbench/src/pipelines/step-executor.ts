import { createHash, timingSafeEqual } from 'node:crypto'
import { ApplicationFailure } from '@temporalio/client'
import {
  type ActivityDeps,
  builtinHandlers,
  type RunLogLevel,
  type RunReporter,
  type StepHandler,
  type StepInput,
} from '@workbench/orchestrator/activities'
import { DestinationNotAllowedError } from '../connections/outbound-http.ts'
import type { OutboundPolicy } from '../connections/outbound-policy.ts'
import { REMOTE_STEP_TYPES, type RemoteStepEvent, type RemoteStepRequest } from './remote-steps.ts'

export interface StepExecutorOptions {
  /** `WORKER_TOKEN`: the credential separate workers present. */
  token: string
  /** The same runners the in-process worker uses (workspace SQL, kernels, the outbound policy's fetch). */
  steps: Pick<ActivityDeps, 'sql' | 'kernels' | 'fetch'>
  /** Refuses steps of runs this workbench did not record (`RunAuthority.authorize`), as the in-process worker does. */
  authorize: (input: StepInput) => Promise<void>
  /** The workbench's own step types (e.g. `catalog.refresh`), run here like the built-ins. */
  handlers?: Record<string, StepHandler>
  /** Log lines of delegated steps go where the in-process worker's go. */
  reporter?: RunReporter
}

/**
 * The API side of step delegation (see `remote-steps.ts`): runs a separate worker's `sql`, `quality`,
 * `notebook`, `python` and `catalog.refresh` steps with this process's workspace databases, kernels and connections,
 * exactly as the in-process worker's activities would.
 */
export class StepExecutor {
  readonly #handlers: Record<string, StepHandler>
  readonly #token: Buffer

  constructor(private readonly options: StepExecutorOptions) {
    const all = { ...builtinHandlers({ workerIdentity: 'workbench-api', ...options.steps }), ...options.handlers }
    this.#handlers = Object.fromEntries(REMOTE_STEP_TYPES.map((type) => [type, all[type] as StepHandler]))
    this.#token = digest(options.token)
  }

  /** Whether an `Authorization` header carries the worker token (constant time). */
  authorizes(header: string | undefined): boolean {
    const presented = header?.startsWith('Bearer ') ? header.slice(7).trim() : ''
    return presented.length > 0 && timingSafeEqual(digest(presented), this.#token)
  }

  has(type: string): boolean {
    return type in this.#handlers
  }

  /** Runs one attempt of a step; `heartbeat` relays the handler's progress to the worker. */
  async run(request: RemoteStepRequest, signal: AbortSignal, heartbeat: (details?: unknown) => void): Promise<unknown> {
    const handler = this.#handlers[request.type]
    if (!handler) throw ApplicationFailure.nonRetryable(`'${request.type}' steps run in the worker`, 'UnknownStepType')
    // What runs is what is authorized: the step's type and `with` are taken from the checked input.
    const input: StepInput = { ...request.input, type: request.type, with: request.with }
    await this.options.authorize(input)
    const reporter = this.options.reporter
    const log = (message: string, level: RunLogLevel = 'info') => {
      if (!reporter || !input.workflowId) return
      void reporter
        .report({
          kind: 'log',
          workflowId: input.workflowId,
          stepId: input.stepId,
          level,
          message,
          at: new Date().toISOString(),
        })
        .catch(() => {})
    }
    return handler(
      input.with,
      { signal, attempt: request.attempt, idempotencyKey: request.idempotencyKey, heartbeat, log },
      input,
    )
  }
}

/** A failed attempt as the worker re-throws it: Temporal's failure type and retryability survive the trip. */
export function stepErrorEvent(err: unknown): Extract<RemoteStepEvent, { type: 'error' }> {
  if (err instanceof ApplicationFailure)
    return {
      type: 'error',
      message: err.message,
      errorType: err.type ?? undefined,
      nonRetryable: err.nonRetryable === true,
    }
  return { type: 'error', message: err instanceof Error ? err.message : String(err), nonRetryable: false }
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()

/**
 * `fetch` for `http` steps: the outbound policy's guarded client, with a refusal failing the step
 * without retries (asking again would be refused again) and without naming the address.
 */
export function stepFetch(outbound: OutboundPolicy): typeof fetch {
  const guarded = outbound.fetch({ maxRedirects: 5, maxBodyBytes: 1024 * 1024, timeoutMs: 60_000 })
  return (async (input: string | URL | Request, init?: RequestInit) => {
    try {
      return await guarded(input, init)
    } catch (err) {
      if (err instanceof DestinationNotAllowedError)
        throw ApplicationFailure.create({ message: err.message, type: err.code, nonRetryable: true })
      throw err
    }
  }) as typeof fetch
}
