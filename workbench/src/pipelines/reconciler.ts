import type { OrchestratorClient, StepState } from '@workbench/orchestrator/client'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Database, PipelineRunStatus } from '../db/schema.ts'
import { artifactsOf } from './run-artifacts.ts'
import { closeOpenSteps, type RunFinishedListener } from './run-reporter.ts'

const FINAL: Record<string, PipelineRunStatus> = {
  COMPLETED: 'succeeded',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'failed',
  TIMED_OUT: 'timed_out',
}

/**
 * Fills in the final state of runs whose reporting was interrupted (a worker killed between the run's
 * end and its report, a DB outage, a server restart): asks Temporal about every run the DB still shows
 * as queued or running, and records how it ended and each step's state (status, attempts, times,
 * error, output) as the workflow's history and result have them, so the run's detail is complete.
 */
export class RunReconciler {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly orchestrator: () => OrchestratorClient | undefined,
    private readonly logger: Logger,
    private readonly onFinished: RunFinishedListener = () => {},
  ) {}

  /** One pass; returns how many runs it closed. Runs younger than `graceMs` are left to their own reports. */
  async reconcile(options: { graceMs?: number } = {}): Promise<number> {
    const client = this.orchestrator()
    if (!client) return 0
    const before = new Date(Date.now() - (options.graceMs ?? 30_000))
    const open = await this.db
      .selectFrom('pipeline_runs')
      .select(['id', 'pipeline_id', 'workflow_id', 'status'])
      .where('status', 'in', ['queued', 'running'])
      .where('created_at', '<', before)
      .limit(200)
      .execute()
    let closed = 0
    for (const run of open) {
      try {
        const outcome = await client.outcome(run.workflow_id).catch((err: unknown) => {
          if (err instanceof Error && err.name === 'WorkflowNotFoundError') {
            return { status: 'NOT_FOUND', closeTime: new Date(), error: 'the workflow no longer exists in Temporal' }
          }
          throw err
        })
        const status = outcome.status === 'NOT_FOUND' ? 'failed' : FINAL[outcome.status]
        if (!status) {
          if (outcome.status === 'RUNNING' && run.status === 'queued')
            await this.db.updateTable('pipeline_runs').set({ status: 'running' }).where('id', '=', run.id).execute()
          continue
        }
        const at = outcome.closeTime ?? new Date()
        const error = outcome.error ?? (outcome.status === 'TERMINATED' ? 'the run was terminated' : null)
        const updated = await this.db
          .updateTable('pipeline_runs')
          .set({ status, error, ended_at: at })
          .where('id', '=', run.id)
          .where('status', 'in', ['queued', 'running'])
          .executeTakeFirst()
        if (Number(updated.numUpdatedRows) === 0) continue
        // Without step states (Temporal's history gone, a query failing) the run still closes.
        const steps =
          outcome.status === 'NOT_FOUND'
            ? undefined
            : await client.stepStates(run.workflow_id).catch((err: unknown) => {
                this.logger.warn({ err, runId: run.id }, 'could not read the step states of a reconciled run')
                return undefined
              })
        if (steps) await recordStepStates(this.db, run.id, steps)
        await closeOpenSteps(this.db, run.id, status, at)
        closed += 1
        this.onFinished({ id: run.id, pipelineId: run.pipeline_id, status, error })
      } catch (err) {
        this.logger.warn({ err, runId: run.id }, 'could not reconcile pipeline run')
      }
    }
    return closed
  }
}

/**
 * Writes the workflow's step states into the run's step rows: missing rows are added; a row its own
 * reports already finished (or a re-run's `reused` step) is kept; a row left `running` is replaced.
 */
export async function recordStepStates(
  db: Kysely<Database>,
  runId: string,
  steps: Record<string, StepState>,
): Promise<void> {
  for (const [stepId, state] of Object.entries(steps)) {
    const started = state.startedAt ? Date.parse(state.startedAt) : undefined
    const values = {
      status: state.timedOut ? ('timed_out' as const) : state.status,
      attempts: state.attempts ?? 0,
      started_at: state.startedAt ?? null,
      ended_at: state.endedAt ?? null,
      duration_ms: started !== undefined && state.endedAt ? Math.max(0, Date.parse(state.endedAt) - started) : null,
      error: state.error ?? null,
      reason: state.reason ?? null,
      output: state.output === undefined ? null : JSON.stringify(state.output),
      artifacts: JSON.stringify(artifactsOf(state.output)),
    }
    await db
      .insertInto('pipeline_step_runs')
      .values({ run_id: runId, step_id: stepId, ...values })
      .onConflict((oc) =>
        oc.columns(['run_id', 'step_id']).doUpdateSet(values).where('pipeline_step_runs.status', '=', 'running'),
      )
      .execute()
  }
}
