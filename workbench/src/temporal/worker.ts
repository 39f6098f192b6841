import { fileURLToPath } from 'node:url'
import { bundleWorkflowCode, NativeConnection, Runtime, Worker } from '@temporalio/worker'
import {
  type ActivityDeps,
  createActivities,
  type RunReporter,
  STEP_WORKER_OPTIONS,
} from '@workbench/orchestrator/activities'
import type { Logger } from 'pino'

export interface WorkerOptions {
  address: string
  namespace: string
  taskQueue: string
  identity: string
  /** Where runs report their progress (the metadata DB); see `DbRunReporter`. */
  reporter?: RunReporter
  /**
   * Runners of the workbench's own services (workspace SQL, kernels for notebook and python steps, the
   * outbound policy's fetch for http steps), the check that a step belongs to a run this workbench
   * recorded (`authorize`), and the registry holding the schemas of every step type the worker runs.
   */
  steps?: Pick<ActivityDeps, 'sql' | 'kernels' | 'registry' | 'fetch' | 'authorize'>
  /** Step handlers added to or replacing the built-ins (the workbench's own step types; a separate worker's delegated steps). */
  handlers?: ActivityDeps['handlers']
}

let runtimeInstalled = false

/** Temporal's core logs go through our logger at warn and above; its defaults are far too chatty. */
function installRuntime(logger: Logger): void {
  if (runtimeInstalled) return
  runtimeInstalled = true
  const log = logger.child({ component: 'temporal-worker' })
  Runtime.install({
    logger: {
      log: (level, message, meta) => {
        if (level === 'WARN') log.warn(meta ?? {}, message)
        else if (level === 'ERROR') log.error(meta ?? {}, message)
      },
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: (message, meta) => log.warn(meta ?? {}, message),
      error: (message, meta) => log.error(meta ?? {}, message),
    },
  })
}

/**
 * The in-process Temporal worker of embedded mode (and the body of `npm run worker` at scale).
 * The workflow bundle is built once; if the worker stops with an error (server gone too long) it is
 * re-created with backoff, so a Temporal restart does not leave the workbench without a worker.
 */
export class SupervisedWorker {
  #worker: Worker | undefined
  #connection: NativeConnection | undefined
  #running: Promise<void> | undefined
  #stopping = false
  #bundle: { code: string } | undefined
  #failures = 0
  #retryTimer: NodeJS.Timeout | undefined

  constructor(
    readonly options: WorkerOptions,
    readonly logger: Logger,
  ) {}

  get state(): string {
    return this.#worker?.getState() ?? 'STOPPED'
  }

  async start(): Promise<void> {
    installRuntime(this.logger)
    const workflowsPath = fileURLToPath(import.meta.resolve('@workbench/orchestrator/workflows'))
    this.#bundle ??= await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger })
    await this.#create()
  }

  async #create(): Promise<void> {
    this.#connection = await NativeConnection.connect({ address: this.options.address })
    const worker = await Worker.create({
      ...STEP_WORKER_OPTIONS,
      connection: this.#connection,
      namespace: this.options.namespace,
      taskQueue: this.options.taskQueue,
      identity: this.options.identity,
      workflowBundle: this.#bundle,
      activities: createActivities({
        workerIdentity: this.options.identity,
        reporter: this.options.reporter,
        ...this.options.steps,
        handlers: this.options.handlers,
      }),
    })
    this.#worker = worker
    this.#running = worker.run().then(
      () => this.#onStopped(undefined),
      (err: unknown) => this.#onStopped(err),
    )
  }

  #onStopped(err: unknown): void {
    void this.#connection?.close().catch(() => {})
    if (this.#stopping) return
    this.#failures += 1
    const delay = Math.min(500 * 2 ** (this.#failures - 1), 30_000)
    this.logger.warn({ err, restartInMs: delay }, 'temporal worker stopped; re-creating')
    this.#retryTimer = setTimeout(() => {
      this.#create().then(
        () => {
          this.#failures = 0
        },
        (createErr: unknown) => this.#onStopped(createErr),
      )
    }, delay)
  }

  async stop(): Promise<void> {
    this.#stopping = true
    clearTimeout(this.#retryTimer)
    const worker = this.#worker
    if (worker && worker.getState() === 'RUNNING') worker.shutdown()
    await this.#running?.catch(() => {})
    await this.#connection?.close().catch(() => {})
  }
}

const quietBundlerLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
}
