import type { RunEvent, RunReporter } from '@workbench/orchestrator/activities'
import { type Kysely, sql } from 'kysely'
import type { Database, PipelineRunStatus } from '../db/schema.ts'
import { artifactsOf } from './run-artifacts.ts'
import { RunAuthority } from './run-authority.ts'

/** Workflow ids whose run id is remembered (oldest forgotten first). */
const RUN_ID_CACHE = 1_000

/** Called once a run reached a final state (alerts hook in here). */
export type RunFinishedListener = (run: {
  id: string
  pipelineId: string
  status: PipelineRunStatus
  error: string | null
}) => void

/** Called once per step that succeeded (the catalog records a `sql` step's lineage here). */
export type StepSucceededListener = (step: { runId: string; stepId: string }) => void

/**
 * Writes run progress into the metadata DB, so runs, steps and logs are visible without asking
 * Temporal. Every write is an idempotent upsert: the workflow's local activity may deliver an event
 * twice, and events of different steps may arrive in any order.
 */
export class DbRunReporter implements RunReporter {
  readonly #listeners = new Set<RunFinishedListener>()
  readonly #stepListeners = new Set<StepSucceededListener>()
  readonly #runIds = new Map<string, string>()

  readonly authority: RunAuthority

  constructor(private readonly db: Kysely<Database>) {
    this.authority = new RunAuthority(() => db)
  }

  /** Subscribes to finished runs; returns the unsubscribe function. */
  onRunFinished(listener: RunFinishedListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Subscribes to succeeded steps; returns the unsubscribe function. Listeners must not throw. */
  onStepSucceeded(listener: StepSucceededListener): () => void {
    this.#stepListeners.add(listener)
    return () => this.#stepListeners.delete(listener)
  }

  async report(event: RunEvent): Promise<void> {
    try {
      await this.#record(event)
    } catch (err) {
      // The run's row may be gone (pipeline deleted mid-run): look it up afresh next time.
      this.#runIds.delete(event.workflowId)
      throw err
    }
  }

  async #record(event: RunEvent): Promise<void> {
    switch (event.kind) {
      case 'run_started':
        return this.#runStarted(event)
      case 'step_started':
      case 'step_attempt':
        return this.#stepStarted(event)
      case 'step_finished':
        return this.#stepFinished(event)
      case 'run_finished':
        return this.#runFinished(event)
      case 'log':
        return this.#log(event)
    }
  }

  async #runId(workflowId: string): Promise<string | undefined> {
    const cached = this.#runIds.get(workflowId)
    if (cached) return cached
    const row = await this.db
      .selectFrom('pipeline_runs')
      .select('id')
      .where('workflow_id', '=', workflowId)
      .executeTakeFirst()
    // A run's row never changes workflow: cache found ids (every step event looks one up, in the
    // step's critical path). Not-found is not cached: a scheduled run's row comes with run_started.
    if (row) {
      if (this.#runIds.size >= RUN_ID_CACHE) this.#runIds.delete(this.#runIds.keys().next().value as string)
      this.#runIds.set(workflowId, row.id)
    }
    return row?.id
  }

  async #runStarted(event: Extract<RunEvent, { kind: 'run_started' }>): Promise<void> {
    // Only a run the API recorded is updated here. A scheduled run has no row yet (the schedule started
    // it, not the API): it is recorded only if it really is its pipeline's schedule's (RunAuthority);
    // a workflow someone else started on the task queue records nothing.
    const updated = await this.db
      .updateTable('pipeline_runs')
      .set({
        status: sql`case when status = 'queued' then 'running' else status end`,
        temporal_run_id: event.temporalRunId,
        started_at: sql`coalesce(started_at, ${event.at}::timestamptz)`,
      })
      .where('workflow_id', '=', event.workflowId)
      // A finished run stays as it ended, even if its workflow id is started again.
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst()
    if (Number(updated.numUpdatedRows) > 0) return
    await this.authority.recordScheduledRun(event.workflowId, event.context, new Date(event.at), event.temporalRunId)
  }

  async #stepStarted(event: Extract<RunEvent, { kind: 'step_started' | 'step_attempt' }>): Promise<void> {
    const runId = await this.#runId(event.workflowId)
    if (!runId) return
    const attempt = event.kind === 'step_attempt' ? event.attempt : 0
    await this.db
      .insertInto('pipeline_step_runs')
      .values({ run_id: runId, step_id: event.stepId, status: 'running', attempts: attempt, started_at: event.at })
      .onConflict((oc) =>
        oc.columns(['run_id', 'step_id']).doUpdateSet({
          attempts: sql`greatest(pipeline_step_runs.attempts, ${attempt})`,
          started_at: sql`coalesce(pipeline_step_runs.started_at, ${event.at}::timestamptz)`,
        }),
      )
      .execute()
  }

  async #stepFinished(event: Extract<RunEvent, { kind: 'step_finished' }>): Promise<void> {
    const runId = await this.#runId(event.workflowId)
    if (!runId) return
    // An event delivered twice must not tell listeners twice: only the first success of the step counts.
    const notify =
      event.status === 'succeeded' &&
      this.#stepListeners.size > 0 &&
      (
        await this.db
          .selectFrom('pipeline_step_runs')
          .select('status')
          .where('run_id', '=', runId)
          .where('step_id', '=', event.stepId)
          .executeTakeFirst()
      )?.status !== 'succeeded'
    const started = event.startedAt ? Date.parse(event.startedAt) : undefined
    const values = {
      status: event.status,
      ended_at: event.at,
      duration_ms: started === undefined ? null : Math.max(0, Date.parse(event.at) - started),
      error: event.error ?? null,
      reason: event.reason ?? null,
      output: event.output === undefined ? null : JSON.stringify(event.output),
      artifacts: JSON.stringify(artifactsOf(event.output)),
    }
    await this.db
      .insertInto('pipeline_step_runs')
      .values({
        run_id: runId,
        step_id: event.stepId,
        attempts: event.attempts ?? 0,
        started_at: event.startedAt ?? null,
        ...values,
      })
      .onConflict((oc) =>
        oc.columns(['run_id', 'step_id']).doUpdateSet({
          ...values,
          attempts: sql`greatest(pipeline_step_runs.attempts, ${event.attempts ?? 0})`,
          started_at: sql`coalesce(pipeline_step_runs.started_at, ${event.startedAt ?? null}::timestamptz)`,
        }),
      )
      .execute()
    if (notify) for (const listener of this.#stepListeners) listener({ runId, stepId: event.stepId })
  }

  async #runFinished(event: Extract<RunEvent, { kind: 'run_finished' }>): Promise<void> {
    // One transaction: a reader never sees a finished run whose steps still show running.
    const updated = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('pipeline_runs')
        .set({ status: event.status, error: event.error ?? null, ended_at: event.at })
        .where('workflow_id', '=', event.workflowId)
        .where('status', 'in', ['queued', 'running'])
        .returning(['id', 'pipeline_id', 'status', 'error'])
        .executeTakeFirst()
      if (!row) return undefined
      await closeOpenSteps(trx, row.id, event.status, event.at)
      await trx
        .insertInto('pipeline_run_logs')
        .values({
          run_id: row.id,
          step_id: null,
          level: event.status === 'failed' ? 'error' : 'info',
          message: `run ${event.status}${event.error ? `: ${event.error}` : ''}`,
          created_at: new Date(event.at),
        })
        .execute()
      return row
    })
    if (!updated) return
    for (const listener of this.#listeners)
      listener({ id: updated.id, pipelineId: updated.pipeline_id, status: updated.status, error: updated.error })
  }

  async #log(event: Extract<RunEvent, { kind: 'log' }>): Promise<void> {
    const runId = await this.#runId(event.workflowId)
    if (!runId) return
    await this.db
      .insertInto('pipeline_run_logs')
      .values({
        run_id: runId,
        step_id: event.stepId ?? null,
        level: event.level,
        message: event.message,
        created_at: new Date(event.at),
      })
      .execute()
  }
}

/** Steps still marked running when their run ended (e.g. cut by cancellation) take the run's final state. */
export async function closeOpenSteps(
  db: Kysely<Database>,
  runId: string,
  status: PipelineRunStatus,
  at: string | Date,
): Promise<void> {
  const stepStatus = status === 'succeeded' ? 'succeeded' : status === 'cancelled' ? 'cancelled' : 'failed'
  await db
    .updateTable('pipeline_step_runs')
    .set({ status: stepStatus, ended_at: at })
    .where('run_id', '=', runId)
    .where('status', '=', 'running')
    .execute()
}
