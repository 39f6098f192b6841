/** "1.2 s", "3 min 4 s", "2 h 5 min": a duration as people read it. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

/**
 * A timestamp in the reader's locale, always with its zone ("2 Dec 2026, 07:00 CET"), or a dash. With `timeZone`
 * (a schedule's IANA zone) the time is shown in that zone, so it reads like the cron next to it.
 */
export function formatTime(iso: string | null | undefined, timeZone?: string | null): string {
  if (!iso) return '—'
  // Components, not dateStyle/timeStyle: those two cannot be combined with timeZoneName.
  const options: Intl.DateTimeFormatOptions = {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }
  try {
    return new Date(iso).toLocaleString(undefined, { ...options, ...(timeZone ? { timeZone } : {}) })
  } catch {
    // An unknown zone name (a typo in the YAML): the reader's zone, still named.
    return new Date(iso).toLocaleString(undefined, options)
  }
}

/** Human words for a status code (`timed_out` -> "timed out"). */
export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ')
}
