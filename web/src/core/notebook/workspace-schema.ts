import { api } from '../api/client.ts'
import type { SchemaTable } from './sql-support.ts'

/**
 * The workspace DuckDB's tables and columns for autocomplete, from the server's one list
 * (`GET /api/workspaces/{ws}/catalog/workspace-tables`: live, the workbench's internal tables hidden, as in the
 * catalog and the Files page). Any failure gives no tables: autocomplete then offers keywords, functions and the
 * notebook's own named results.
 */
export async function loadWorkspaceSchema(workspaceId: string): Promise<SchemaTable[]> {
  try {
    const result = await api<{ tables: { schema: string; name: string; columns: { name: string; type: string }[] }[] }>(
      'GET',
      `/api/workspaces/${encodeURIComponent(workspaceId)}/catalog/workspace-tables`,
    )
    return result.tables.map((t) => ({
      name: t.schema === 'main' ? t.name : `${t.schema}.${t.name}`,
      columns: t.columns,
    }))
  } catch {
    return []
  }
}
