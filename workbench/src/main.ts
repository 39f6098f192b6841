import { loadConfigOrExit } from './config.ts'
import { createLogger } from './logger.ts'
import { startWorkbench } from './runtime.ts'
import { StartupError } from './services/startup-error.ts'

/** Entrypoint of `npm start`: the only place that reads process.env. */
async function main(): Promise<void> {
  const config = loadConfigOrExit()
  const logger = createLogger(config.logLevel)
  const workbench = await startWorkbench(config, logger).catch((err: unknown) => {
    const message = err instanceof StartupError ? err.message : String(err)
    console.error(`workbench: ${message}`)
    process.exit(1)
  })
  console.error(`workbench: ready at ${workbench.url}`)

  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    const forced = setTimeout(() => {
      logger.error('shutdown took too long; exiting')
      process.exit(1)
    }, 20_000)
    forced.unref()
    workbench.stop().then(() => process.exit(0))
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

await main()
