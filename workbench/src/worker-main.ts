import os from 'node:os'
import { loadConfigOrExit } from './config.ts'
import { openDatabase } from './db/database.ts'
import { createLogger } from './logger.ts'
import { checkWorkerApi, remoteStepHandlers } from './pipelines/remote-steps.ts'
import { DbRunReporter } from './pipelines/run-reporter.ts'
import { WORKBENCH_STEP_TYPES } from './pipelines/step-registry.ts'
import { SupervisedWorker } from './temporal/worker.ts'

/**
 * Entrypoint of `npm run worker`: a Temporal worker process for scale-out, polling the workbench task
 * queue on the cluster named by TEMPORAL_ADDRESS (run the API with TEMPORAL_IN_PROCESS_WORKER=false).
 * It runs `http` steps itself and delegates the others to the API server (WORKBENCH_INTERNAL_URL,
 * authenticated with WORKER_TOKEN), which owns the workspace DuckDB files, kernels and connections.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit()
  if (config.temporal.server.kind !== 'external') {
    console.error('worker: set TEMPORAL_ADDRESS to the Temporal frontend (host:port) the worker should poll')
    process.exit(2)
  }
  // Steps that need the workspace DuckDB, kernels or connections run on the API server (remote-steps.ts).
  const api = { url: config.temporal.workerApi?.url, token: config.temporal.workerApi?.token }
  const check = await checkWorkerApi(api)
  if (!check.ok) {
    console.error(`worker: ${check.code}: ${check.message}`)
    process.exit(2)
  }
  const logger = createLogger(config.logLevel)
  if (!check.reachable)
    logger.warn({ url: api.url }, 'worker: the workbench API is not reachable yet; its steps retry until it is')
  // Runs report their progress straight into the metadata DB (the API server owns migrations). An
  // embedded PGlite belongs to the API process alone: without PostgreSQL, the API's reconciler records
  // how runs ended instead.
  const db = config.database.kind === 'postgres' ? await openDatabase(config.database) : undefined
  if (!db) logger.warn('worker: no DATABASE_URL; pipeline runs are recorded by the API reconciler only')
  const worker = new SupervisedWorker(
    {
      address: config.temporal.server.address,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      identity: `worker@${os.hostname()}:${process.pid}`,
      reporter: db ? new DbRunReporter(db.db) : undefined,
      // The schemas of every step type the API accepts, so the worker checks `with` blocks as the API does.
      steps: { registry: WORKBENCH_STEP_TYPES },
      handlers: remoteStepHandlers({ url: api.url ?? '', token: api.token ?? '' }),
    },
    logger,
  )
  await worker.start().catch((err: unknown) => {
    console.error(`worker: cannot start: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  })
  logger.info({ taskQueue: config.temporal.taskQueue }, 'worker polling')
  const shutdown = () => {
    worker
      .stop()
      .then(() => db?.close())
      .then(() => process.exit(0))
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

await main()
