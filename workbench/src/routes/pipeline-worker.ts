import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import type { Pipelines } from '../pipelines/pipelines-module.ts'
import {
  type RemoteStepEvent,
  type RemoteStepRequest,
  STEP_PING_PATH,
  STEP_RUN_PATH,
} from '../pipelines/remote-steps.ts'
import { type StepExecutor, stepErrorEvent } from '../pipelines/step-executor.ts'

/** Keeps the stream alive (proxies, the worker's body timeout) while a long step prints nothing. */
const KEEPALIVE_MS = 5_000

const stepRequest = z.object({
  type: z.string().min(1),
  with: z.record(z.string(), z.unknown()),
  input: z.looseObject({
    pipeline: z.string(),
    stepId: z.string(),
    type: z.string(),
    with: z.record(z.string(), z.unknown()),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    idempotencyKey: z.string(),
    workflowId: z.string().optional(),
    workspaceId: z.string().optional(),
  }),
  attempt: z.number().int().min(1),
  idempotencyKey: z.string().min(1),
})

/**
 * The internal endpoint separate workers delegate steps to (see `remote-steps.ts`). Outside `/api`:
 * no user may call it; a worker authenticates with `WORKER_TOKEN` (never logged: the request logger
 * records no headers). 404 `worker_api_disabled` when the API has no token configured.
 */
export function pipelineWorkerRoutes(pipelines: () => Pipelines | undefined) {
  const executorOf = (authorization: string | undefined): StepExecutor => {
    const module = pipelines()
    if (!module) throw new AppError(503, 'service_starting', 'Pipelines are still starting')
    const executor = module.stepExecutor
    if (!executor)
      throw new AppError(404, 'worker_api_disabled', 'This server accepts no workers: WORKER_TOKEN is not set')
    if (!executor.authorizes(authorization))
      throw new AppError(401, 'invalid_worker_token', 'The worker token is missing or wrong')
    return executor
  }
  return new Hono<AppEnv>()
    .get(STEP_PING_PATH, (c) => {
      executorOf(c.req.header('Authorization'))
      return c.json({ ok: true })
    })
    .post(STEP_RUN_PATH, async (c) => {
      const executor = executorOf(c.req.header('Authorization'))
      const parsed = stepRequest.safeParse(await c.req.json().catch(() => undefined))
      if (!parsed.success) throw new AppError(400, 'invalid_step_request', z.prettifyError(parsed.error))
      const request: RemoteStepRequest = parsed.data
      if (!executor.has(request.type))
        throw new AppError(400, 'invalid_step_request', `'${request.type}' steps run in the worker`)
      // The worker's cancellation (run cancelled, timed out, worker stopping) closes the request.
      const abort = new AbortController()
      c.req.raw.signal.addEventListener('abort', () => abort.abort(), { once: true })
      const encoder = new TextEncoder()
      let open = true
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          const send = (event: RemoteStepEvent) => {
            if (open) controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`))
          }
          const keepalive = setInterval(() => send({ type: 'heartbeat' }), KEEPALIVE_MS)
          send({ type: 'heartbeat' })
          executor
            .run(request, abort.signal, (details) => send({ type: 'heartbeat', details }))
            .then(
              (output) => send({ type: 'result', output: output ?? null }),
              (err: unknown) => send(stepErrorEvent(err)),
            )
            .finally(() => {
              clearInterval(keepalive)
              if (!open) return
              open = false
              controller.close()
            })
        },
        cancel() {
          open = false
          abort.abort()
        },
      })
      return new Response(stream, {
        headers: { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' },
      })
    })
}
