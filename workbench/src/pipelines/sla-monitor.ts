import { parseDuration } from '@workbench/orchestrator/spec'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'
import type { AlertDispatcher } from './alerts.ts'

/** The instant the wall clock in `timeZone` shows `hh:mm` on the day `reference` falls on there. */
export function zonedTimeOfDay(reference: Date, hhmm: string, timeZone: string): Date {
  const [h, m] = hhmm.split(':').map(Number) as [number, number]
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    })
      .formatToParts(reference)
      .map((p) => [p.type, p.value]),
  )
  const guess = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), h, m)
  // Correct by the zone's offset at that moment (twice, for days when the offset changes).
  let instant = guess
  for (let i = 0; i < 2; i++) instant = guess - offsetMs(new Date(instant), timeZone)
  return new Date(instant)
}

function offsetMs(at: Date, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  )
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  )
  return asUtc - Math.floor(at.getTime() / 1000) * 1000
}

/**
 * Checks each pipeline's SLA: runs longer than `maxDuration` (running or finished), and days on which
 * no run had succeeded by `finishBy` in the SLA's time zone. Each breach is recorded and alerted once.
 */
export class SlaMonitor {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly alerts: AlertDispatcher,
  ) {}

  /** One pass at `now`; returns the breaches newly recorded. */
  async check(now = new Date()): Promise<number> {
    const pipelines = await this.db
      .selectFrom('pipelines')
      .select(['id', 'name', 'sla', 'created_at'])
      .where('sla', 'is not', null)
      .execute()
    let recorded = 0
    for (const pipeline of pipelines) {
      const sla = pipeline.sla
      if (!sla) continue
      const maxMs = sla.maxDuration ? parseDuration(sla.maxDuration) : undefined
      if (maxMs) {
        const runs = await this.db
          .selectFrom('pipeline_runs')
          .select(['id', 'status', 'started_at', 'created_at', 'ended_at'])
          .where('pipeline_id', '=', pipeline.id)
          .where('created_at', '>', new Date(now.getTime() - 2 * 86_400_000 - maxMs))
          .execute()
        for (const run of runs) {
          const began = run.started_at ?? run.created_at
          const until = run.ended_at ?? now
          const took = until.getTime() - began.getTime()
          if (took <= maxMs) continue
          const raised = await this.alerts.raise({
            pipelineId: pipeline.id,
            runId: run.id,
            kind: 'sla_duration',
            dedupeKey: `sla_duration:${run.id}`,
            message: `run ${run.id} of '${pipeline.name}' took longer than its SLA of ${sla.maxDuration}${run.ended_at ? '' : ' and is still running'}`,
            details: { sla, tookMs: took },
          })
          if (raised) recorded += 1
        }
      }
      if (sla.finishBy) {
        const zone = sla.timezone ?? 'UTC'
        let deadline = zonedTimeOfDay(now, sla.finishBy, zone)
        if (deadline > now) deadline = zonedTimeOfDay(new Date(now.getTime() - 86_400_000), sla.finishBy, zone)
        if (deadline <= pipeline.created_at) continue
        const windowStart = new Date(deadline.getTime() - 86_400_000)
        const success = await this.db
          .selectFrom('pipeline_runs')
          .select('id')
          .where('pipeline_id', '=', pipeline.id)
          .where('status', '=', 'succeeded')
          .where('ended_at', '>', windowStart)
          .where('ended_at', '<=', deadline)
          .executeTakeFirst()
        if (success) continue
        const day = deadline.toISOString()
        const raised = await this.alerts.raise({
          pipelineId: pipeline.id,
          runId: null,
          kind: 'sla_finish_by',
          dedupeKey: `sla_finish_by:${day}`,
          message: `'${pipeline.name}' had no successful run by ${sla.finishBy} (${zone}) on ${day.slice(0, 10)}`,
          details: { sla, deadline: day },
        })
        if (raised) recorded += 1
      }
    }
    return recorded
  }
}
