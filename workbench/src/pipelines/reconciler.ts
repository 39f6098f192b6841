import type { OrchestratorClient } from '@workbench/orchestrator/client'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Database, PipelineRunStatus } from '../db/schema.ts'
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
 * end and its report, a DB outage): asks Temporal about every run the DB still shows as queued or
 * running, and records how it ended.
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
