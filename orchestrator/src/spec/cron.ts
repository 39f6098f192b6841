import { Cron } from 'croner'

const NICKNAMES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'])

/**
 * Why a cron expression is unusable, or `undefined` when it is fine. Five fields only: it is the form
 * Temporal Schedules and crontab share, and a sixth (seconds) field is a common copy-paste mistake.
 */
export function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim()
  if (NICKNAMES.has(trimmed)) return undefined
  const fields = trimmed.split(/\s+/)
  if (fields.length !== 5) {
    return `cron '${expression}' has ${fields.length} field(s); expected 5 (minute hour day-of-month month day-of-week)`
  }
  try {
    new Cron(trimmed, { paused: true })
    return undefined
  } catch (err) {
    return `cron '${expression}' is invalid: ${err instanceof Error ? err.message : String(err)}`
  }
}

/** Whether the runtime knows an IANA time zone name. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}
