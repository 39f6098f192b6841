// The pipelines list with what its page shows of each pipeline: the schedule and the last run, in one query.
import { Cron } from 'croner'
import { type Kysely, sql } from 'kysely'
import type { Database, PipelineRunStatus, PipelineTrigger } from '../db/schema.ts'
import { toPipeline } from './pipeline-service.ts'

/** A pipeline's schedule as its current version declares it. */
export interface ScheduleSummary {
  cron: string[]
  timezone: string | null
  paused: boolean
  /** The next time the cron fires (null when paused, or when demo schedules fire on an interval). */
  nextRunAt: string | null
}

/** The newest run of a pipeline. */
export interface LastRunSummary {
  id: string
  status: PipelineRunStatus
  trigger: PipelineTrigger
  createdAt: string
  startedAt: string | null
  endedAt: string | null
}

/** When the earliest of `crons` fires next, computed here (no Temporal round trip per pipeline). */
export function nextCronTime(crons: string[], timezone: string | null): string | null {
  let next: Date | null = null
  for (const expression of crons) {
    try {
      const at = new Cron(expression, { timezone: timezone ?? 'UTC', paused: true }).nextRun()
      if (at && (!next || at < next)) next = at
    } catch {
      // A cron Temporal accepts but croner does not: its next time is left unknown.
    }
  }
  return next?.toISOString() ?? null
}

function scheduleOf(raw: unknown, paused: boolean, interval: boolean): ScheduleSummary | null {
  if (raw === null || typeof raw !== 'object') return null
  const { cron, timezone } = raw as { cron?: unknown; timezone?: unknown }
  const crons = (Array.isArray(cron) ? cron : [cron]).filter((c): c is string => typeof c === 'string')
  if (crons.length === 0) return null
  const zone = typeof timezone === 'string' ? timezone : null
  return { cron: crons, timezone: zone, paused, nextRunAt: paused || interval ? null : nextCronTime(crons, zone) }
}

const toIso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString())

/**
 * The workspace's pipelines by name, each with its schedule and last run. One query: the current
 * version's `schedule` and a lateral join on the newest run (served by the runs' pipeline index).
 */
export async function listPipelineSummaries(
  db: Kysely<Database>,
  workspaceId: string,
  options: { scheduleEvery?: string } = {},
) {
  const rows = await db
    .selectFrom('pipelines as p')
    .leftJoin('pipeline_versions as v', (join) =>
      join.onRef('v.pipeline_id', '=', 'p.id').onRef('v.version', '=', 'p.current_version'),
    )
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('pipeline_runs as r')
          .select([
            'r.id as run_id',
            'r.status as run_status',
            'r.trigger as run_trigger',
            'r.created_at as run_created_at',
            'r.started_at as run_started_at',
            'r.ended_at as run_ended_at',
          ])
          .whereRef('r.pipeline_id', '=', 'p.id')
          .orderBy('r.created_at', 'desc')
          .orderBy('r.id', 'desc')
          .limit(1)
          .as('last'),
      (join) => join.onTrue(),
    )
    .selectAll('p')
    .select([
      sql<unknown>`v.spec -> 'schedule'`.as('schedule'),
      'last.run_id',
      'last.run_status',
      'last.run_trigger',
      'last.run_created_at',
      'last.run_started_at',
      'last.run_ended_at',
    ])
    .where('p.workspace_id', '=', workspaceId)
    .orderBy('p.name')
    .execute()
  return rows.map((row) => ({
    ...toPipeline(row),
    schedule: scheduleOf(row.schedule, row.schedule_paused, options.scheduleEvery !== undefined),
    lastRun:
      row.run_id && row.run_status && row.run_trigger && row.run_created_at
        ? ({
            id: row.run_id,
            status: row.run_status,
            trigger: row.run_trigger,
            createdAt: toIso(row.run_created_at) as string,
            startedAt: toIso(row.run_started_at),
            endedAt: toIso(row.run_ended_at),
          } satisfies LastRunSummary)
        : null,
  }))
}
