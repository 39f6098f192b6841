import { randomUUID } from 'node:crypto'
import type { OrchestratorClient } from '@workbench/orchestrator/client'
import {
  type PipelineSpec,
  pipelineJsonSchema,
  resolveParams,
  type SpecProblem,
  type StepTypeRegistry,
  validatePipeline,
} from '@workbench/orchestrator/spec'
import type { Kysely, Selectable } from 'kysely'
import { destinationProblem, type OutboundPolicy } from '../connections/outbound-policy.ts'
import type { Database, PipelinesTable } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'
import type { AlertSecrets } from './alert-secrets.ts'
import { listPipelineSummaries } from './pipeline-summaries.ts'
import type { ReferenceChecker } from './references.ts'

/** SLA of a pipeline: a longest acceptable run, and/or a time of day it must have succeeded by. */
export interface PipelineSla {
  maxDuration?: string
  finishBy?: string
  timezone?: string
}

export interface PipelineSettings {
  alertWebhookUrl?: string | null
  /** Write-only: stored for signing, never returned. */
  alertSecret?: string | null
  sla?: PipelineSla | null
}

export interface PipelineServiceDeps {
  db: Kysely<Database>
  /** Temporal; undefined while it starts (schedule calls then answer 503). */
  orchestrator: () => OrchestratorClient | undefined
  references: ReferenceChecker
  registry?: StepTypeRegistry
  /** Demos and tests: schedules fire every this long instead of on their cron. */
  scheduleEvery?: string
  /** Seals alert secrets under the workspace data key; without it, setting a secret answers 503. */
  secrets?: AlertSecrets
  /** The outbound policy: literal `http` step URLs and alert webhooks it refuses fail validation. */
  outbound?: OutboundPolicy
}

/** The API shape of a pipeline (no secret: only whether one is set). */
export function toPipeline(row: Selectable<PipelinesTable>) {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    currentVersion: row.current_version,
    alertWebhookUrl: row.alert_webhook_url,
    alertSecretSet: row.alert_secret_sealed !== null || row.alert_secret !== null,
    sla: row.sla,
    schedulePaused: row.schedule_paused,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

export const scheduleIdOf = (pipelineId: string) => `pipeline-schedule-${pipelineId}`

/** 400 with every problem (line and column) in `details.problems`. */
export function invalidPipeline(problems: SpecProblem[]): AppError {
  const first = problems[0]
  const summary = first ? `${first.line}:${first.column} ${first.message}` : 'invalid pipeline'
  return new AppError(400, 'invalid_pipeline', `Invalid pipeline (${problems.length} problem(s)): ${summary}`, {
    problems,
  })
}

/** Pipelines and their versions, and keeping their Temporal Schedules in step with the latest version. */
export class PipelineService {
  constructor(private readonly deps: PipelineServiceDeps) {}

  get db(): Kysely<Database> {
    return this.deps.db
  }

  /** JSON Schema of the format with the step types this service accepts, for editors. */
  jsonSchema(): Record<string, unknown> {
    return pipelineJsonSchema(this.deps.registry)
  }

  /** Validates a document against the spec and what the workspace has (notebooks, connections). */
  async validate(workspaceId: string, yaml: string) {
    const known = await this.deps.references(workspaceId)
    const guard = await this.deps.outbound?.guard()
    return validatePipeline(yaml, {
      registry: this.deps.registry,
      known,
      destinationProblem: guard && ((url) => destinationProblem(guard, url)),
    })
  }

  /** 400 naming `alertWebhookUrl` when the webhook targets an address the outbound policy refuses. */
  async #checkWebhook(url: string | null | undefined): Promise<void> {
    if (!url || !this.deps.outbound) return
    const problem = await this.deps.outbound.urlProblem(url)
    if (problem)
      throw new AppError(400, 'destination_not_allowed', `alertWebhookUrl ${problem}`, {
        fields: [{ field: 'alertWebhookUrl', message: problem }],
      })
  }

  async #validOrThrow(workspaceId: string, yaml: string): Promise<PipelineSpec> {
    const result = await this.validate(workspaceId, yaml)
    if (!result.ok) throw invalidPipeline(result.problems)
    return result.spec
  }

  /** The workspace's pipelines by name, each with its schedule and last run (for the list page). */
  async list(workspaceId: string) {
    return listPipelineSummaries(this.db, workspaceId, { scheduleEvery: this.deps.scheduleEvery })
  }

  async getRow(workspaceId: string, pipelineId: string): Promise<Selectable<PipelinesTable>> {
    const row = await this.db
      .selectFrom('pipelines')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', pipelineId)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('pipeline', pipelineId)
    return row
  }

  async version(workspaceId: string, pipelineId: string, version?: number) {
    const pipeline = await this.getRow(workspaceId, pipelineId)
    const row = await this.db
      .selectFrom('pipeline_versions')
      .selectAll()
      .where('pipeline_id', '=', pipelineId)
      .where('version', '=', version ?? pipeline.current_version)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('pipeline_version', String(version))
    return { pipeline, version: row.version, yaml: row.yaml, spec: row.spec as PipelineSpec, createdAt: row.created_at }
  }

  async versions(workspaceId: string, pipelineId: string) {
    await this.getRow(workspaceId, pipelineId)
    return this.db
      .selectFrom('pipeline_versions')
      .select(['version', 'created_by', 'created_at'])
      .where('pipeline_id', '=', pipelineId)
      .orderBy('version', 'desc')
      .execute()
  }

  /** Saves a new pipeline (version 1) after validating it; schedules it when its spec has a schedule. */
  async create(workspaceId: string, yaml: string, settings: PipelineSettings, userId: string | null) {
    const spec = await this.#validOrThrow(workspaceId, yaml)
    this.#checkSchedulable(spec)
    await this.#checkWebhook(settings.alertWebhookUrl)
    const id = randomUUID()
    const sealedSecret = settings.alertSecret ? await this.#sealSecret(workspaceId, id, settings.alertSecret) : null
    await this.db.transaction().execute(async (trx) => {
      const clash = await trx
        .selectFrom('pipelines')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('name', '=', spec.metadata.name)
        .executeTakeFirst()
      if (clash) throw new AppError(409, 'pipeline_exists', `A pipeline named '${spec.metadata.name}' already exists`)
      await trx
        .insertInto('pipelines')
        .values({
          id,
          workspace_id: workspaceId,
          name: spec.metadata.name,
          current_version: 1,
          alert_webhook_url: settings.alertWebhookUrl ?? null,
          alert_secret_sealed: sealedSecret,
          sla: settings.sla ? JSON.stringify(settings.sla) : null,
          // The spec's `paused` is the initial state; pause/resume through the API override it.
          schedule_paused: spec.schedule?.paused === true,
          created_by: userId,
        } as never)
        .execute()
      await trx
        .insertInto('pipeline_versions')
        .values({ pipeline_id: id, version: 1, yaml, spec: JSON.stringify(spec), created_by: userId })
        .execute()
    })
    const row = await this.getRow(workspaceId, id)
    await this.syncSchedule(row, 1, spec)
    return toPipeline(row)
  }

  /** Every save is a new version; the schedule follows the latest one. */
  async saveVersion(workspaceId: string, pipelineId: string, yaml: string, userId: string | null) {
    const spec = await this.#validOrThrow(workspaceId, yaml)
    this.#checkSchedulable(spec)
    const version = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('pipelines')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', pipelineId)
        .forUpdate()
        .executeTakeFirst()
      if (!row) throw new NotFoundError('pipeline', pipelineId)
      const clash = await trx
        .selectFrom('pipelines')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('name', '=', spec.metadata.name)
        .where('id', '!=', pipelineId)
        .executeTakeFirst()
      if (clash) throw new AppError(409, 'pipeline_exists', `A pipeline named '${spec.metadata.name}' already exists`)
      const previous = await trx
        .selectFrom('pipeline_versions')
        .select('spec')
        .where('pipeline_id', '=', pipelineId)
        .where('version', '=', row.current_version)
        .executeTakeFirst()
      const wasPaused = (previous?.spec as PipelineSpec | undefined)?.schedule?.paused === true
      const nowPaused = spec.schedule?.paused === true
      const next = row.current_version + 1
      await trx
        .insertInto('pipeline_versions')
        .values({ pipeline_id: pipelineId, version: next, yaml, spec: JSON.stringify(spec), created_by: userId })
        .execute()
      await trx
        .updateTable('pipelines')
        .set({
          current_version: next,
          name: spec.metadata.name,
          updated_at: new Date(),
          // Editing `paused` in the YAML is an explicit pause/resume; otherwise the API's state stands.
          ...(wasPaused !== nowPaused ? { schedule_paused: nowPaused } : {}),
        })
        .where('id', '=', pipelineId)
        .execute()
      return next
    })
    const row = await this.getRow(workspaceId, pipelineId)
    await this.syncSchedule(row, version, spec)
    return toPipeline(row)
  }

  async updateSettings(workspaceId: string, pipelineId: string, settings: PipelineSettings) {
    await this.getRow(workspaceId, pipelineId)
    await this.#checkWebhook(settings.alertWebhookUrl)
    const set: Record<string, unknown> = { updated_at: new Date() }
    if (settings.alertWebhookUrl !== undefined) set.alert_webhook_url = settings.alertWebhookUrl
    if (settings.alertSecret !== undefined) {
      set.alert_secret_sealed = settings.alertSecret
        ? await this.#sealSecret(workspaceId, pipelineId, settings.alertSecret)
        : null
      // A legacy secret still in clear is replaced (or removed) too.
      set.alert_secret = null
    }
    if (settings.sla !== undefined) set.sla = settings.sla ? JSON.stringify(settings.sla) : null
    await this.db.updateTable('pipelines').set(set).where('id', '=', pipelineId).execute()
    return toPipeline(await this.getRow(workspaceId, pipelineId))
  }

  /** Deletes the pipeline, its schedule, versions and run history. */
  async delete(workspaceId: string, pipelineId: string): Promise<void> {
    const { spec } = await this.version(workspaceId, pipelineId)
    if (spec.schedule) await this.#orchestrator().deleteSchedule(scheduleIdOf(pipelineId))
    else await this.deps.orchestrator()?.deleteSchedule(scheduleIdOf(pipelineId))
    await this.db.deleteFrom('pipelines').where('id', '=', pipelineId).execute()
  }

  /** Pauses or resumes the schedule (kept across saves). */
  async setPaused(workspaceId: string, pipelineId: string, paused: boolean) {
    const row = await this.getRow(workspaceId, pipelineId)
    const { spec, version } = await this.version(workspaceId, pipelineId)
    if (!spec.schedule) throw new AppError(409, 'pipeline_not_scheduled', 'This pipeline has no schedule')
    if (!paused) {
      // Resuming schedules it again: its references must still exist.
      await this.#validOrThrow(workspaceId, (await this.version(workspaceId, pipelineId)).yaml)
    }
    await this.db.updateTable('pipelines').set({ schedule_paused: paused }).where('id', '=', pipelineId).execute()
    await this.syncSchedule({ ...row, schedule_paused: paused }, version, spec)
    return this.schedule(workspaceId, pipelineId)
  }

  async schedule(workspaceId: string, pipelineId: string) {
    const row = await this.getRow(workspaceId, pipelineId)
    const state = await this.#orchestrator().describeSchedule(scheduleIdOf(pipelineId))
    return {
      scheduled: state !== undefined,
      paused: state?.paused ?? row.schedule_paused,
      nextRuns: (state?.nextActionTimes ?? []).map((d) => d.toISOString()),
      actionsTaken: state?.actions ?? 0,
    }
  }

  /** Creates, updates or removes the pipeline's Temporal Schedule to match `spec`. */
  async syncSchedule(row: Selectable<PipelinesTable>, version: number, spec: PipelineSpec): Promise<void> {
    const scheduleId = scheduleIdOf(row.id)
    if (!spec.schedule) {
      // Without Temporal there is nothing to remove a schedule from; saving an unscheduled pipeline still works.
      await this.deps.orchestrator()?.deleteSchedule(scheduleId)
      return
    }
    const orchestrator = this.#orchestrator()
    const { values } = resolveParams(spec)
    const cron = spec.schedule.cron
    await orchestrator.upsertSchedule(scheduleId, {
      cron: Array.isArray(cron) ? cron : [cron],
      timezone: spec.schedule.timezone,
      every: this.deps.scheduleEvery,
      overlap: spec.schedule.overlap,
      catchupWindow: spec.schedule.catchup_window,
      paused: row.schedule_paused,
      input: {
        spec,
        params: values,
        report: { pipelineId: row.id, workspaceId: row.workspace_id, version, trigger: 'schedule', params: values },
      },
    })
  }

  /** A scheduled run has no one to ask for parameters: every parameter needs a default. */
  #checkSchedulable(spec: PipelineSpec): void {
    if (!spec.schedule) return
    const { problems } = resolveParams(spec)
    if (problems.length === 0) return
    throw new AppError(
      400,
      'invalid_pipeline',
      `A scheduled pipeline needs a default for every parameter: ${problems.map((p) => p.message).join('; ')}`,
      { problems: problems.map((p) => ({ code: 'missing_required', message: p.message, path: ['params', p.param] })) },
    )
  }

  async #sealSecret(workspaceId: string, pipelineId: string, secret: string): Promise<string> {
    if (!this.deps.secrets)
      throw new AppError(503, 'secrets_unavailable', 'Alert secrets cannot be stored: no master key is configured')
    return this.deps.secrets.seal(workspaceId, pipelineId, secret)
  }

  #orchestrator(): OrchestratorClient {
    const client = this.deps.orchestrator()
    if (!client) throw new AppError(503, 'orchestrator_unavailable', 'Temporal is still starting')
    return client
  }
}
