import { randomUUID } from 'node:crypto'
import type { OrchestratorClient, StepState } from '@workbench/orchestrator/client'
import { type ParamValue, type PipelineSpec, parseDuration, resolveParams } from '@workbench/orchestrator/spec'
import { Cron } from 'croner'
import type { Kysely, Selectable } from 'kysely'
import type { Database, PipelineRunsTable, PipelineStepRunsTable, PipelineTrigger } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'
import type { PipelineService } from './pipeline-service.ts'
import { publicArtifacts, publicOutput, recordedArtifacts } from './run-artifacts.ts'

/** Most runs one backfill may create. */
export const MAX_BACKFILL_RUNS = 500

const FINISHED = new Set(['succeeded', 'failed', 'cancelled', 'timed_out'])

export function toRun(row: Selectable<PipelineRunsTable>) {
  const start = row.started_at ?? null
  return {
    id: row.id,
    pipelineId: row.pipeline_id,
    version: row.version,
    trigger: row.trigger,
    params: row.params as Record<string, ParamValue>,
    status: row.status,
    rerunOf: row.rerun_of,
    workflowId: row.workflow_id,
    temporalRunId: row.temporal_run_id,
    error: row.error,
    triggeredBy: row.triggered_by,
    createdAt: row.created_at.toISOString(),
    startedAt: start?.toISOString() ?? null,
    endedAt: row.ended_at?.toISOString() ?? null,
    durationMs: start && row.ended_at ? row.ended_at.getTime() - start.getTime() : null,
  }
}

export function toStepRun(row: Selectable<PipelineStepRunsTable>) {
  return {
    stepId: row.step_id,
    status: row.status,
    attempts: row.attempts,
    startedAt: row.started_at?.toISOString() ?? null,
    endedAt: row.ended_at?.toISOString() ?? null,
    durationMs: row.duration_ms,
    error: row.error,
    reason: row.reason,
    output: publicOutput(row.output ?? null),
    artifacts: publicArtifacts(recordedArtifacts(row.artifacts, row.output)),
  }
}

const EMPTY_STEP = {
  attempts: 0,
  startedAt: null,
  endedAt: null,
  durationMs: null,
  error: null,
  reason: null,
  output: null,
  artifacts: [] as unknown[],
}

/** Starting, cancelling, re-running and backfilling pipeline runs, and reading their history. */
export class RunService {
  constructor(
    private readonly pipelines: PipelineService,
    private readonly orchestrator: () => OrchestratorClient | undefined,
  ) {}

  get #db(): Kysely<Database> {
    return this.pipelines.db
  }

  #client(): OrchestratorClient {
    const client = this.orchestrator()
    if (!client) throw new AppError(503, 'orchestrator_unavailable', 'Temporal is still starting')
    return client
  }

  /** Starts a run of the current (or given) version with parameter overrides; recorded before it starts. */
  async trigger(
    workspaceId: string,
    pipelineId: string,
    request: { params?: Record<string, unknown>; version?: number },
    userId: string | null,
    options: { trigger?: PipelineTrigger; extraParams?: Record<string, ParamValue> } = {},
  ) {
    const { pipeline, version, spec } = await this.pipelines.version(workspaceId, pipelineId, request.version)
    const params = this.#params(spec, request.params ?? {}, options.extraParams)
    return this.#start({
      workspaceId,
      pipelineId: pipeline.id,
      version,
      spec,
      params,
      trigger: options.trigger ?? 'manual',
      userId,
    })
  }

  #params(spec: PipelineSpec, overrides: Record<string, unknown>, extra: Record<string, ParamValue> = {}) {
    const declared = spec.params ?? {}
    // Interval parameters of a backfill go through type checks when the spec declares them, else ride along.
    const passThrough = Object.fromEntries(Object.entries(extra).filter(([key]) => !(key in declared)))
    const checked = { ...overrides, ...Object.fromEntries(Object.entries(extra).filter(([key]) => key in declared)) }
    const { values, problems } = resolveParams(spec, checked)
    if (problems.length > 0) {
      throw new AppError(400, 'invalid_params', problems.map((p) => p.message).join('; '), { problems })
    }
    return { ...values, ...passThrough }
  }

  async #start(run: {
    workspaceId: string
    pipelineId: string
    version: number
    spec: PipelineSpec
    params: Record<string, ParamValue>
    trigger: PipelineTrigger
    userId: string | null
    rerunOf?: string
    carried?: Record<string, StepState>
  }) {
    const client = this.#client()
    const id = randomUUID()
    const workflowId = `pipeline-run-${id}`
    await this.#db
      .insertInto('pipeline_runs')
      .values({
        id,
        pipeline_id: run.pipelineId,
        workspace_id: run.workspaceId,
        version: run.version,
        trigger: run.trigger,
        params: JSON.stringify(run.params),
        status: 'queued',
        rerun_of: run.rerunOf ?? null,
        workflow_id: workflowId,
        triggered_by: run.userId,
      })
      .execute()
    if (run.carried) {
      for (const [stepId, state] of Object.entries(run.carried)) {
        await this.#db
          .insertInto('pipeline_step_runs')
          .values({
            run_id: id,
            step_id: stepId,
            status: 'reused',
            attempts: 0,
            reason: 'succeeded in the run this one repeats; output reused',
            output: JSON.stringify(state.output ?? null),
            duration_ms: null,
            error: null,
            started_at: null,
            ended_at: null,
          })
          .execute()
      }
    }
    try {
      await client.startPipeline(
        {
          spec: run.spec,
          params: run.params,
          ...(run.carried ? { carried: { steps: run.carried, segments: 0 } } : {}),
          report: {
            pipelineId: run.pipelineId,
            workspaceId: run.workspaceId,
            version: run.version,
            trigger: run.trigger,
            params: run.params,
          },
        },
        { workflowId },
      )
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      await this.#db
        .updateTable('pipeline_runs')
        .set({ status: 'failed', error: `could not start: ${message}`, ended_at: new Date() })
        .where('id', '=', id)
        .execute()
      throw new AppError(503, 'run_not_started', `The run could not be started: ${message}`)
    }
    return this.get(run.workspaceId, id)
  }

  async #runRow(workspaceId: string, runId: string): Promise<Selectable<PipelineRunsTable>> {
    const row = await this.#db
      .selectFrom('pipeline_runs')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', runId)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('pipeline_run', runId)
    return row
  }

  /** Asks Temporal to cancel the run; the in-flight step stops at its next heartbeat. */
  async cancel(workspaceId: string, runId: string) {
    const row = await this.#runRow(workspaceId, runId)
    if (FINISHED.has(row.status)) throw new AppError(409, 'run_finished', `The run already ended (${row.status})`)
    await this.#client().pipelineRun(row.workflow_id).cancel()
    return toRun(row)
  }

  /**
   * Runs a failed run again from its failed step: same version, same parameters; steps that succeeded
   * are not run again and their outputs are reused.
   */
  async rerun(workspaceId: string, runId: string, userId: string | null) {
    const row = await this.#runRow(workspaceId, runId)
    if (!FINISHED.has(row.status) || row.status === 'succeeded') {
      throw new AppError(
        409,
        'run_not_failed',
        `Only a failed, timed-out or cancelled run can be re-run (${row.status})`,
      )
    }
    const { spec } = await this.pipelines.version(workspaceId, row.pipeline_id, row.version)
    const steps = await this.#db
      .selectFrom('pipeline_step_runs')
      .selectAll()
      .where('run_id', '=', runId)
      .where('status', 'in', ['succeeded', 'reused'])
      .execute()
    const carried: Record<string, StepState> = {}
    for (const step of steps) carried[step.step_id] = { status: 'succeeded', output: step.output ?? null }
    return this.#start({
      workspaceId,
      pipelineId: row.pipeline_id,
      version: row.version,
      spec,
      params: row.params as Record<string, ParamValue>,
      trigger: 'rerun',
      userId,
      rerunOf: runId,
      carried,
    })
  }

  /**
   * One run per interval of [start, end): intervals from `every` or else the schedule's cron (in its
   * time zone); each run gets `interval_start` and `interval_end` (ISO 8601) as parameters.
   */
  async backfill(
    workspaceId: string,
    pipelineId: string,
    request: { start: string; end: string; every?: string; params?: Record<string, unknown> },
    userId: string | null,
  ) {
    const { spec } = await this.pipelines.version(workspaceId, pipelineId)
    const intervals = backfillIntervals(spec, request)
    const runs = []
    for (const [from, to] of intervals) {
      const extraParams = { interval_start: from.toISOString(), interval_end: to.toISOString() }
      runs.push(
        await this.trigger(workspaceId, pipelineId, { params: request.params }, userId, {
          trigger: 'backfill',
          extraParams,
        }),
      )
    }
    return runs
  }

  async list(workspaceId: string, filter: { pipelineId?: string; status?: string; limit: number; offset: number }) {
    let query = this.#db.selectFrom('pipeline_runs').where('workspace_id', '=', workspaceId)
    if (filter.pipelineId) query = query.where('pipeline_id', '=', filter.pipelineId)
    if (filter.status) query = query.where('status', '=', filter.status as never)
    const rows = await query
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute()
    const total = await query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    return { items: rows.map(toRun), total: Number(total.n) }
  }

  /** A run with every step's record (status, attempts, times, error, output, artifacts). */
  async get(workspaceId: string, runId: string) {
    const row = await this.#runRow(workspaceId, runId)
    const steps = await this.#db
      .selectFrom('pipeline_step_runs')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('started_at')
      .orderBy('step_id')
      .execute()
    // Steps the run never reached (after a failure or cancellation) are listed too, as not run.
    const { spec } = await this.pipelines.version(workspaceId, row.pipeline_id, row.version)
    const recorded = new Set(steps.map((s) => s.step_id))
    const notRun = spec.steps
      .filter((s) => !recorded.has(s.id))
      .map((s) => ({ ...EMPTY_STEP, stepId: s.id, status: 'not_run' as const }))
    return { ...toRun(row), steps: [...steps.map(toStepRun), ...notRun] }
  }

  /** Log lines after `after` (a sequence number), oldest first. */
  async logs(workspaceId: string, runId: string, after: number, limit: number) {
    await this.#runRow(workspaceId, runId)
    return readLogs(this.#db, runId, after, limit)
  }
}

export async function readLogs(db: Kysely<Database>, runId: string, after: number, limit: number) {
  const rows = await db
    .selectFrom('pipeline_run_logs')
    .selectAll()
    .where('run_id', '=', runId)
    .where('seq', '>', String(after))
    .orderBy('seq')
    .limit(limit)
    .execute()
  const items = rows.map((r) => ({
    seq: Number(r.seq),
    stepId: r.step_id,
    level: r.level,
    message: r.message,
    at: r.created_at.toISOString(),
  }))
  return { items, next: items.at(-1)?.seq ?? after }
}

/** The intervals a backfill covers; 400 when the range is empty, unbounded or too large. */
export function backfillIntervals(
  spec: PipelineSpec,
  request: { start: string; end: string; every?: string },
): [Date, Date][] {
  const start = new Date(request.start)
  const end = new Date(request.end)
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || start >= end) {
    throw new AppError(400, 'invalid_backfill', 'start and end must be ISO 8601 date-times with start before end')
  }
  const bounds: Date[] = []
  if (request.every) {
    const step = parseDuration(request.every)
    if (!step || step <= 0) throw new AppError(400, 'invalid_backfill', `every: '${request.every}' is not a duration`)
    for (let t = start.getTime(); t < end.getTime() && bounds.length <= MAX_BACKFILL_RUNS; t += step)
      bounds.push(new Date(t))
    bounds.push(end)
  } else {
    const cronSpec = spec.schedule?.cron
    const expression = Array.isArray(cronSpec) ? cronSpec[0] : cronSpec
    if (!expression) {
      throw new AppError(400, 'invalid_backfill', 'This pipeline has no schedule: give the interval length in `every`')
    }
    const cron = new Cron(expression, { timezone: spec.schedule?.timezone ?? 'UTC', paused: true })
    // An interval runs from one fire time to the next; the range's start counts as a fire time only if it is one.
    let t = cron.nextRun(new Date(start.getTime() - 1))
    while (t && t < end && bounds.length <= MAX_BACKFILL_RUNS + 1) {
      bounds.push(t)
      t = cron.nextRun(t)
    }
    if (t) bounds.push(t)
  }
  const intervals: [Date, Date][] = []
  for (let i = 0; i + 1 < bounds.length; i++) intervals.push([bounds[i] as Date, bounds[i + 1] as Date])
  if (intervals.length === 0) throw new AppError(400, 'invalid_backfill', 'The range holds no complete interval')
  if (intervals.length > MAX_BACKFILL_RUNS) {
    throw new AppError(400, 'invalid_backfill', `A backfill creates at most ${MAX_BACKFILL_RUNS} runs`)
  }
  return intervals
}
