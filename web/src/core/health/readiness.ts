/** Mirrors the `/api/readyz` answer (the server's `Readiness` schema). */
export type ServiceName = 'database' | 'duckdb' | 'jupyter' | 'temporal'

export interface Probe {
  status: 'up' | 'down'
  latencyMs: number
  error?: string
}

export interface Readiness {
  status: 'ready' | 'not_ready'
  services: Record<ServiceName, Probe>
}

export const SERVICE_LABELS: Record<ServiceName, string> = {
  database: 'Metadata database',
  duckdb: 'DuckDB',
  jupyter: 'Jupyter Server',
  temporal: 'Temporal',
}

export type ReadinessState =
  | { kind: 'loading' }
  | { kind: 'loaded'; readiness: Readiness }
  | { kind: 'unreachable'; error: string }

/** Fetches readiness; a 503 still carries the per-service answer, so it is data, not an error. */
export async function fetchReadiness(signal?: AbortSignal): Promise<ReadinessState> {
  try {
    const res = await fetch('/api/readyz', { signal, headers: { Accept: 'application/json' } })
    if (res.status !== 200 && res.status !== 503) return { kind: 'unreachable', error: `HTTP ${res.status}` }
    const readiness: Readiness = await res.json()
    return { kind: 'loaded', readiness }
  } catch (err) {
    return { kind: 'unreachable', error: err instanceof Error ? err.message : String(err) }
  }
}
