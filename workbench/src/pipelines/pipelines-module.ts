import type { OrchestratorClient } from '@workbench/orchestrator/client'
import type { StepTypeRegistry } from '@workbench/orchestrator/spec'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { OutboundPolicy } from '../connections/outbound-policy.ts'
import type { WorkspaceKeys } from '../connections/workspace-keys.ts'
import type { Database } from '../db/schema.ts'
import { AlertSecrets, sealClearAlertSecrets } from './alert-secrets.ts'
import { AlertDispatcher, type AlertOptions } from './alerts.ts'
import { PipelineService } from './pipeline-service.ts'
import { RunReconciler } from './reconciler.ts'
import { metadataReferences, type ReferenceChecker } from './references.ts'
import { RunArtifacts } from './run-artifacts.ts'
import { DbRunReporter, type RunFinishedListener } from './run-reporter.ts'
import { RunService } from './run-service.ts'
import { SlaMonitor } from './sla-monitor.ts'
import type { StepExecutor } from './step-executor.ts'

export interface PipelinesOptions {
  db: Kysely<Database>
  logger: Logger
  orchestrator: () => OrchestratorClient | undefined
  /** Defaults to notebooks in the metadata DB and a `connections` table if there is one. */
  references?: ReferenceChecker
  registry?: StepTypeRegistry
  alerts?: Partial<AlertOptions>
  /** Background passes (reconciler, SLA); 0 disables the timer (tests call the passes themselves). */
  backgroundEveryMs?: number
  /** Demos and tests: schedules fire every this long instead of on their cron. */
  scheduleEvery?: string
  /** Workspace data keys (as connections use): alert secrets are sealed with them. */
  keys?: WorkspaceKeys
  /** A workspace's data folder (its step artifacts are under it); without it, artifact downloads answer 503. */
  dataDirOf?: (workspaceId: string) => string
  /** The outbound network policy: webhooks go through its guarded fetch, saves are checked against it. */
  outbound?: OutboundPolicy
}

/**
 * The pipelines feature wired together: services for the API, the reporter the worker's activities
 * write run progress through, failure alerts, the reconciler and the SLA monitor.
 */
export class Pipelines {
  readonly pipelines: PipelineService
  readonly runs: RunService
  readonly artifacts: RunArtifacts
  readonly reporter: DbRunReporter
  readonly alerts: AlertDispatcher
  readonly reconciler: RunReconciler
  readonly sla: SlaMonitor
  /** Runs separate workers' steps in this process (set when WORKER_TOKEN is configured). */
  stepExecutor: StepExecutor | undefined
  #timer: NodeJS.Timeout | undefined
  readonly #onFinished: RunFinishedListener

  constructor(private readonly options: PipelinesOptions) {
    const { db, logger } = options
    const secrets = options.keys ? new AlertSecrets(options.keys) : undefined
    this.pipelines = new PipelineService({
      secrets,
      db,
      orchestrator: options.orchestrator,
      references: options.references ?? metadataReferences(db),
      registry: options.registry,
      scheduleEvery: options.scheduleEvery,
      outbound: options.outbound,
    })
    this.runs = new RunService(this.pipelines, options.orchestrator)
    this.alerts = new AlertDispatcher(
      db,
      logger.child({ component: 'pipeline-alerts' }),
      options.alerts,
      // Webhooks are requests on a user's behalf: the outbound policy applies (no redirects followed).
      options.outbound?.fetch({ maxRedirects: 0, maxBodyBytes: 64 * 1024 }) ?? fetch,
      secrets,
    )
    this.artifacts = new RunArtifacts(db, options.dataDirOf)
    const onFinished: RunFinishedListener = (run) => {
      if (run.status === 'succeeded' || run.status === 'cancelled') return
      void this.alerts
        .raise({
          pipelineId: run.pipelineId,
          runId: run.id,
          kind: 'failure',
          dedupeKey: `failure:${run.id}`,
          message: `run ${run.id} ${run.status === 'timed_out' ? 'timed out' : 'failed'}: ${run.error ?? 'unknown error'}`,
          details: { status: run.status, error: run.error },
        })
        .catch((err: unknown) => logger.error({ err, runId: run.id }, 'could not record a failure alert'))
    }
    this.#onFinished = onFinished
    this.reporter = new DbRunReporter(db)
    this.reporter.onRunFinished(onFinished)
    this.reconciler = new RunReconciler(db, options.orchestrator, logger, onFinished)
    this.sla = new SlaMonitor(db, this.alerts)
  }

  /**
   * Raises the failure alert of every recently failed run that has none: a worker in another process
   * records runs through its own reporter, which has no alert dispatcher.
   */
  async catchUpFailureAlerts(sinceMs = 86_400_000): Promise<number> {
    const runs = await this.options.db
      .selectFrom('pipeline_runs as r')
      .select(['r.id', 'r.pipeline_id', 'r.status', 'r.error'])
      .where('r.status', 'in', ['failed', 'timed_out'])
      .where('r.ended_at', '>', new Date(Date.now() - sinceMs))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('pipeline_alerts as a')
              .select('a.id')
              .whereRef('a.run_id', '=', 'r.id')
              .where('a.kind', '=', 'failure'),
          ),
        ),
      )
      .limit(200)
      .execute()
    for (const run of runs)
      this.#onFinished({ id: run.id, pipelineId: run.pipeline_id, status: run.status, error: run.error })
    return runs.length
  }

  /** Seals alert secrets stored in clear by earlier versions (see migration 0014); returns how many. */
  async sealClearSecrets(): Promise<number> {
    return this.options.keys ? sealClearAlertSecrets(this.options.db, this.options.keys) : 0
  }

  /** Starts the background passes (reconcile, SLA checks). */
  start(): void {
    const every = this.options.backgroundEveryMs ?? 30_000
    if (every <= 0 || this.#timer) return
    let busy = false
    this.#timer = setInterval(() => {
      if (busy) return
      busy = true
      Promise.allSettled([this.reconciler.reconcile(), this.sla.check(), this.catchUpFailureAlerts()]).finally(() => {
        busy = false
      })
    }, every)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.alerts.close()
  }
}
