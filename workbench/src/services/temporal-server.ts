import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { Connection } from '@temporalio/client'
import type { Logger } from 'pino'
import type { Config } from '../config.ts'
import { reserveEndpoint } from '../connections/network-guard.ts'
import { freePort } from './free-port.ts'
import { StartupError } from './startup-error.ts'
import { SupervisedProcess } from './supervisor.ts'

export interface TemporalService {
  /** `host:port` of the frontend gRPC service. */
  readonly address: string
  readonly namespace: string
  /** A client connection shared by the API; gRPC reconnects by itself after a server restart. */
  readonly connection: Connection
  /** Throws unless the frontend answers GetSystemInfo. */
  check(): Promise<void>
  stop(): Promise<void>
  readonly process?: SupervisedProcess
  /**
   * Embedded: the dev server's HTTP API and metrics endpoints (`host:port`). They cannot be turned off
   * (CLI 1.5), so they listen on loopback only and are reserved in the outbound policy: no request
   * made on a user's behalf reaches them, whatever the allow-list.
   */
  readonly internalEndpoints?: { http: string; metrics: string }
}

async function systemInfo(connection: Connection): Promise<void> {
  await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.getSystemInfo({}))
}

async function connectOnce(address: string): Promise<Connection> {
  return Connection.connect({ address, connectTimeout: 2_000 })
}

/**
 * Probes get a connection without the SDK's retry interceptor: retries would wait for a restarted
 * server and report a real outage as "up, but slow".
 */
async function connectForProbes(address: string): Promise<Connection> {
  return Connection.connect({ address, connectTimeout: 2_000, interceptors: [] })
}

/**
 * Dynamic config of the embedded dev server (and of the pipelines benchmark, which measures it). Neither
 * changes what a workflow or activity does; they remove waits between a step and the next:
 * - eager activity execution: a step's activity task comes back in the workflow task's answer instead
 *   of through matching (halved the per-step overhead, ~100 -> ~50 ms);
 * - the transfer queue reader's rate limit (default 20 reads/s per shard): every workflow task that an
 *   activity's completion creates goes through that queue, so a linear pipeline waited up to 50 ms per
 *   step for the next read (bare Temporal 51 -> 15 ms per step on the benchmark).
 */
export const DEV_SERVER_TUNING = [
  '--dynamic-config-value',
  'system.enableActivityEagerExecution=true',
  '--dynamic-config-value',
  'history.transferProcessorMaxPollRPS=1000',
] as const

/**
 * SQLite settings of the dev server's state file: write-ahead logging commits with one sync of the log
 * instead of the rollback journal's several file syncs. Still `synchronous=FULL` (SQLite's default),
 * so a committed transition survives a crash or power loss as before; the file must be on a local
 * disk (WAL needs shared memory), as the data folder is. File-backed runs: ~88 -> ~17 ms per step bare.
 */
export const DEV_SERVER_SQLITE = ['--sqlite-pragma', 'journal_mode=wal'] as const

/**
 * Starts `temporal server start-dev` with its state in the data folder (embedded), or connects to
 * `TEMPORAL_ADDRESS`. Resolves when the frontend answers; rejects with a one-line reason otherwise.
 */
export async function startTemporal(config: Config['temporal'], logger: Logger): Promise<TemporalService> {
  const server = config.server
  if (server.kind === 'external') {
    let connection: Connection
    let probes: Connection
    try {
      connection = await connectOnce(server.address)
      probes = await connectForProbes(server.address)
      await systemInfo(probes)
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      throw new StartupError(`TEMPORAL_ADDRESS ${server.address} is not reachable: ${reason}`)
    }
    return {
      address: server.address,
      namespace: config.namespace,
      connection,
      check: () => systemInfo(probes),
      stop: async () => {
        await probes.close()
        await connection.close()
      },
    }
  }

  if (!existsSync(server.cli)) {
    throw new StartupError(`Temporal CLI not found at ${server.cli}: run \`npm run bootstrap\` to install it`)
  }
  mkdirSync(path.dirname(server.dbFile), { recursive: true })
  // The dev server binds ports we pick with freePort(); another process may take one between the pick and
  // the bind (tests start many servers at once), so a start that exits is tried again on fresh ports.
  let attempt = 0
  for (;;) {
    attempt += 1
    const started = await startDevServer(server, config.namespace, logger)
    if (started.service) return started.service
    if (attempt >= DEV_SERVER_START_ATTEMPTS) throw started.error
    logger.warn({ err: started.error, attempt }, 'temporal dev server exited during start; retrying on other ports')
  }
}

const DEV_SERVER_START_ATTEMPTS = 3

async function startDevServer(
  server: { cli: string; dbFile: string },
  namespace: string,
  logger: Logger,
): Promise<{ service: TemporalService; error?: undefined } | { service?: undefined; error: unknown }> {
  const port = await freePort()
  const httpPort = await freePort()
  const metricsPort = await freePort()
  const address = `127.0.0.1:${port}`
  // Every port the dev server opens that we choose is reserved: user requests never reach Temporal.
  const releases = [port, httpPort, metricsPort].map((p) => reserveEndpoint('127.0.0.1', p))
  let probes: Connection | undefined
  const child = new SupervisedProcess(
    {
      name: 'temporal',
      command: server.cli,
      args: [
        'server',
        'start-dev',
        '--headless',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--http-port',
        String(httpPort),
        '--metrics-port',
        String(metricsPort),
        '--db-filename',
        server.dbFile,
        ...DEV_SERVER_SQLITE,
        '--namespace',
        namespace,
        '--log-level',
        'warn',
        ...DEV_SERVER_TUNING,
      ],
      healthCheck: async () => {
        probes ??= await connectForProbes(address)
        await systemInfo(probes)
      },
      startTimeoutMs: 60_000,
    },
    logger,
  )
  try {
    await child.start()
  } catch (error) {
    for (const release of releases) release()
    return { error }
  }
  const ready = await connectOnce(address)
  const probeConnection = probes ?? (await connectForProbes(address))
  return {
    service: {
      address,
      namespace,
      connection: ready,
      check: async () => {
        child.assertRunning()
        await systemInfo(probeConnection)
      },
      stop: async () => {
        await probeConnection.close()
        await ready.close()
        await child.stop()
        for (const release of releases) release()
      },
      process: child,
      internalEndpoints: { http: `127.0.0.1:${httpPort}`, metrics: `127.0.0.1:${metricsPort}` },
    },
  }
}
