import { ApiError, api } from '../api/client.ts'

/** A workspace connection a SQL cell can run against (`GET /api/workspaces/{ws}/connections`). */
export interface ConnectionChoice {
  id: string
  name: string
  type: string
}

export const DUCKDB_CHOICE: ConnectionChoice = { id: 'duckdb', name: 'Workspace DuckDB', type: 'duckdb' }

/** The connections to offer: DuckDB always, plus the workspace's when the connections API answers. */
export async function loadConnections(workspaceId: string): Promise<ConnectionChoice[]> {
  try {
    const body = await api<ConnectionChoice[] | { items?: ConnectionChoice[]; connections?: ConnectionChoice[] }>(
      'GET',
      `/api/workspaces/${encodeURIComponent(workspaceId)}/connections`,
    )
    const list = Array.isArray(body) ? body : (body.items ?? body.connections ?? [])
    return [DUCKDB_CHOICE, ...list.filter((c) => c.id !== 'duckdb').map(({ id, name, type }) => ({ id, name, type }))]
  } catch (err) {
    if (!(err instanceof ApiError)) console.warn('connections unavailable', err)
    return [DUCKDB_CHOICE]
  }
}
