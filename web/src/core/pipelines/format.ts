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

/** A timestamp in the reader's locale, or a dash. */
export function formatTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—'
}

/** Human words for a status code (`timed_out` -> "timed out"). */
export function statusLabel(status: string): string {
  return status.replace(/_/g, ' ')
}
