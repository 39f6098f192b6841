import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { TestWorkflowEnvironment } from '@temporalio/testing'
import { bundleWorkflowCode, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker'
import { type ActivityDeps, createActivities, STEP_WORKER_OPTIONS } from '../../src/activities/index.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
export const TEMPORAL_CLI = path.join(ROOT, '.tools', 'bin', 'temporal')
export const WORKFLOWS_PATH = path.join(ROOT, 'orchestrator', 'src', 'workflows', 'index.ts')

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined
let runtimeInstalled = false

const silent = { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

/** The workflow bundle, built once per test file. */
export function workflowBundle(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  if (workflowsPath !== WORKFLOWS_PATH) return bundleWorkflowCode({ workflowsPath, logger: silent })
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: silent })
  return bundle
}

export interface PipelineEnv {
  env: TestWorkflowEnvironment
  taskQueue: string
  /** Starts a worker with these activity deps on the env's task queue; stopped by `dispose`. */
  startWorker(deps?: Partial<ActivityDeps>): Promise<Worker>
  dispose(): Promise<void>
}

/** Core's own logging would flood test output (replay tests provoke its warnings on purpose). */
export function quietRuntime(): void {
  if (runtimeInstalled) return
  Runtime.install({
    logger: silent,
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
  })
  runtimeInstalled = true
}

/**
 * The SDK gives the dev server 5 s to answer and picks its port before the server binds it: on a loaded machine
 * (many test files start servers at once) a start can fail for either reason, so it is tried again.
 */
async function createLocalEnv(extraArgs: string[]): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: TEMPORAL_CLI },
          ip: '127.0.0.1',
          extraArgs: ['--log-level', 'error', ...extraArgs],
        },
      })
    } catch (err) {
      if (attempt >= 3) throw err
    }
  }
}

/** A real Temporal dev server (the project's CLI, no download) and workers on a fresh task queue. */
export async function startPipelineEnv(options: { extraArgs?: string[] } = {}): Promise<PipelineEnv> {
  quietRuntime()
  const env = await createLocalEnv(options.extraArgs ?? [])
  const taskQueue = `pipelines-${randomUUID()}`
  const workers: { worker: Worker; running: Promise<void> }[] = []
  return {
    env,
    taskQueue,
    async startWorker(deps = {}) {
      const worker = await Worker.create({
        ...STEP_WORKER_OPTIONS,
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        workflowBundle: await workflowBundle(),
        activities: createActivities({ workerIdentity: 'test-worker', ...deps }),
      })
      workers.push({ worker, running: worker.run() })
      return worker
    },
    async dispose() {
      for (const { worker } of workers) if (worker.getState() === 'RUNNING') worker.shutdown()
      await Promise.allSettled(workers.map((w) => w.running))
      await env.teardown()
    },
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

/** A local webhook receiver on port 0; records every request (and whether its client went away). */
export async function startWebhookServer(handlers: Record<string, Handler>) {
  const requests: { path: string; headers: IncomingMessage['headers']; body: string; aborted: boolean }[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      const record = { path: req.url ?? '', headers: req.headers, body, aborted: false }
      requests.push(record)
      res.on('close', () => {
        if (!res.writableFinished) record.aborted = true
      })
      const handler = handlers[(req.url ?? '').split('?')[0] as string]
      if (handler) handler(req, res, body)
      else res.writeHead(404).end('no handler')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Polls until `predicate` holds; fails with `what` after `timeoutMs` (a liveness bound, not a timing assertion). */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const started = Date.now()
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
