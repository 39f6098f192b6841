import { ApplicationFailure } from '@temporalio/client'
import type { StepHandler, StepInput } from '@workbench/orchestrator/activities'

/**
 * Steps a separate worker (`npm run worker`) cannot run itself: they need what only the API server
 * process holds — the workspace DuckDB files (one writer per file, open in the API), Jupyter kernels
 * sharing that database, notebooks, and workspace connections and MCP servers with their sealed secrets. The worker's
 * activity keeps Temporal's semantics (retries, timeouts, heartbeats, cancellation) and delegates the
 * step's body to the API over {@link STEP_RUN_PATH}, authenticated by the shared `WORKER_TOKEN`.
 * `http` steps run there too: the API holds the outbound policy's allow-list and the metadata DB that
 * decides whether a step belongs to a run at all (`RunAuthority`), so a worker needs neither.
 */
export const REMOTE_STEP_TYPES = [
  'sql',
  'quality',
  'notebook',
  'python',
  'catalog.refresh',
  'http',
  'mcp.call',
] as const

/** The API's internal endpoints (outside `/api`: not part of the public API, refused by nginx). */
export const STEP_RUN_PATH = '/internal/pipeline-steps/run'
export const STEP_PING_PATH = '/internal/pipeline-steps/ping'

/** What the worker sends: the step as its activity received it, and the attempt. */
export interface RemoteStepRequest {
  type: string
  with: Record<string, unknown>
  input: StepInput
  attempt: number
  idempotencyKey: string
}

/**
 * The API answers 200 with newline-delimited JSON: heartbeats while the step runs (they also keep the
 * connection alive through proxies and client timeouts), then exactly one result or error.
 */
export type RemoteStepEvent =
  | { type: 'heartbeat'; details?: unknown }
  | { type: 'result'; output: unknown }
  | { type: 'error'; message: string; errorType?: string; nonRetryable: boolean }

/** Stable codes of a misconfigured worker (startup check) and of the API's refusals. */
export type WorkerApiProblem = 'worker_misconfigured' | 'worker_unauthorized' | 'worker_api_disabled'

export interface WorkerApiOptions {
  url: string
  token: string
  fetch?: typeof fetch
}

/** Handlers of {@link REMOTE_STEP_TYPES} that run each step on the API server. */
export function remoteStepHandlers(options: WorkerApiOptions): Record<string, StepHandler> {
  const handler: StepHandler = async (withBlock, context, input) => {
    const request: RemoteStepRequest = {
      type: input.type,
      with: withBlock,
      input,
      attempt: context.attempt,
      idempotencyKey: context.idempotencyKey,
    }
    const res = await (options.fetch ?? fetch)(new URL(STEP_RUN_PATH, options.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${options.token}` },
      body: JSON.stringify(request),
      signal: context.signal,
    }).catch((err: unknown) => {
      if (context.signal.aborted) throw err
      // The API restarting is transient: Temporal retries the step per its retry policy.
      throw new Error(`the workbench API at ${options.url} is unreachable: ${(err as Error).message}`)
    })
    if (res.status !== 200) throw await refusal(res)
    for await (const event of ndjson<RemoteStepEvent>(res)) {
      if (event.type === 'heartbeat') context.heartbeat(event.details)
      else if (event.type === 'result') return event.output
      else
        throw ApplicationFailure.create({
          message: event.message,
          type: event.errorType,
          nonRetryable: event.nonRetryable,
        })
    }
    // The API went away mid-step: like a worker crash, the attempt is retried (steps are idempotent).
    throw new Error('the workbench API closed the step before it finished')
  }
  return Object.fromEntries(REMOTE_STEP_TYPES.map((type) => [type, handler]))
}

/** What a non-200 answer means for the step: a wrong token or disabled API is not fixed by retrying. */
async function refusal(res: Response): Promise<Error> {
  const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string }
  if (res.status === 401)
    return ApplicationFailure.nonRetryable(
      'the workbench API refused this worker: WORKER_TOKEN differs from the API server',
      'WorkerUnauthorized',
    )
  if (res.status === 404 && body.code === 'worker_api_disabled')
    return ApplicationFailure.nonRetryable(
      'the workbench API does not accept workers: set WORKER_TOKEN on the API server',
      'WorkerApiDisabled',
    )
  if (res.status < 500 && res.status !== 404 && res.status !== 429)
    return ApplicationFailure.nonRetryable(
      `the workbench API refused the step: ${body.message ?? res.status}`,
      body.code,
    )
  return new Error(`the workbench API answered ${res.status}${body.message ? `: ${body.message}` : ''}`)
}

async function* ndjson<T>(res: Response): AsyncGenerator<T> {
  if (!res.body) return
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk, { stream: true })
    let newline = buffer.indexOf('\n')
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim()
      buffer = buffer.slice(newline + 1)
      if (line) yield JSON.parse(line) as T
      newline = buffer.indexOf('\n')
    }
  }
}

/**
 * The worker's start-up check: it is configured to reach the API and the API accepts its token. An
 * unreachable API is not a problem here (it may start after the worker; steps retry meanwhile).
 */
export async function checkWorkerApi(
  options: Partial<WorkerApiOptions>,
): Promise<{ ok: true; reachable: boolean } | { ok: false; code: WorkerApiProblem; message: string }> {
  if (!options.url || !options.token)
    return {
      ok: false,
      code: 'worker_misconfigured',
      message:
        'set WORKBENCH_INTERNAL_URL (the API server, e.g. http://workbench:8080) and WORKER_TOKEN (the same as the API server): sql, quality, notebook and python steps run there',
    }
  const res = await (options.fetch ?? fetch)(new URL(STEP_PING_PATH, options.url), {
    headers: { Authorization: `Bearer ${options.token}` },
    signal: AbortSignal.timeout(10_000),
  }).catch(() => undefined)
  if (!res) return { ok: true, reachable: false }
  const body = (await res.json().catch(() => ({}))) as { code?: string }
  if (res.status === 401)
    return { ok: false, code: 'worker_unauthorized', message: 'the API server refused WORKER_TOKEN (it differs)' }
  if (res.status === 404 && body.code === 'worker_api_disabled')
    return {
      ok: false,
      code: 'worker_api_disabled',
      message: 'the API server has no WORKER_TOKEN: set the same one on it',
    }
  return { ok: true, reachable: res.ok }
}
