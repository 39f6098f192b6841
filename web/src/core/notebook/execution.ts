import type * as Y from 'yjs'
import { ApiError, api } from '../api/client.ts'
import type { ChartChoice, ChartData } from './chart-spec.ts'
import type { PageRequest, TableData } from './table-types.ts'

export * from './table-types.ts'

/** Run state of one cell, as the server writes it into `ydoc.getMap('execution')`. */
export interface CellRunState {
  state: 'queued' | 'running' | 'ok' | 'error' | 'interrupted'
  queuedAt: number
  startedAt?: number
  finishedAt?: number
  durationMs?: number
  by: string
}

export type KernelStatus = 'none' | 'starting' | 'idle' | 'busy' | 'dead'

export interface ExecutionInfo {
  sessionId: string | null
  kernel: KernelStatus
  queue: string[]
}

/** Execution state shared through the document: every collaborator sees the same. */
export function executionMap(doc: Y.Doc): Y.Map<CellRunState> {
  return doc.getMap<CellRunState>('execution')
}

export function kernelMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('kernel')
}

/**
 * Contract A: `/api/workspaces/{ws}/notebooks/{id}/execution` (GET status, POST run/interrupt/restart).
 * `available` is false when the server has no execution API (404): the UI then hides run controls.
 */
export function executionApi(workspaceId: string, notebookId: string) {
  const base = `/api/workspaces/${encodeURIComponent(workspaceId)}/notebooks/${encodeURIComponent(notebookId)}/execution`
  return {
    status: async (): Promise<ExecutionInfo | 'unavailable'> => {
      try {
        return await api<ExecutionInfo>('GET', base)
      } catch (err) {
        if (err instanceof ApiError && (err.status === 404 || err.status === 501)) return 'unavailable'
        throw err
      }
    },
    run: (cellIds: string[]) => api<{ queued: string[] }>('POST', `${base}/run`, { cellIds }),
    interrupt: () => api<void>('POST', `${base}/interrupt`),
    /** Python completions at `cursor` (a UTF-16 offset) from the running kernel. */
    complete: (code: string, cursor: number) =>
      api<{ matches: string[]; cursorStart: number; cursorEnd: number; types?: string[] }>('POST', `${base}/complete`, {
        code,
        cursor,
      }),
    /** The kernel's documentation of the name at `cursor` (Shift-Tab). */
    inspect: (code: string, cursor: number) =>
      api<{ found: boolean; text?: string }>('POST', `${base}/inspect`, { code, cursor }),
    restart: () => api<void>('POST', `${base}/restart`),
  }
}

/** Contract A result paging and export: `/api/workspaces/{ws}/kernels/sessions/{sid}/results/{rid}/...`. */
export function resultsApi(workspaceId: string, sessionId: string, resultId: string) {
  const base = `/api/workspaces/${encodeURIComponent(workspaceId)}/kernels/sessions/${encodeURIComponent(sessionId)}/results/${encodeURIComponent(resultId)}`
  return {
    /** `unmask`: clear values of masked columns (workspace admins only; audited by the server). */
    page: (request: PageRequest, unmask = false) =>
      api<TableData & { masked?: string[] }>('POST', `${base}/page${unmask ? '?unmask=true' : ''}`, request),
    /** A chart computed over the whole kept result by the server (DuckDB results only). */
    chart: (choice: ChartChoice, unmask = false) =>
      api<ChartData>('POST', `${base}/chart${unmask ? '?unmask=true' : ''}`, choice),
    /** Kept in the workspace DuckDB (charts are computed there, Parquet is written there); connection results are cursors read by position. */
    inDuckdb: !resultId.startsWith('c:'),
    exportUrl: (format: 'csv' | 'parquet', unmask = false) =>
      `${base}/export?format=${format}${unmask ? '&unmask=true' : ''}`,
  }
}

/** "1.2 s", "340 ms": how long a cell ran. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}
