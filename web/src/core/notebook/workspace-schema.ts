import { api } from '../api/client.ts'
import { TABLE_MIME_TYPE, type TableData } from './execution.ts'
import { isInternalName, type SchemaTable } from './sql-support.ts'

const COLUMNS_SQL = `SELECT table_schema, table_name, column_name, data_type
FROM information_schema.columns
WHERE table_schema NOT IN ('information_schema', 'pg_catalog')
ORDER BY table_schema, table_name, ordinal_position`

/**
 * The workspace DuckDB's tables and columns for autocomplete, read through the kernel session's one-shot
 * execute (`POST /api/workspaces/{ws}/kernels/sessions/{sid}/execute`, language sql). Any failure (no
 * such endpoint, kernel error) gives no tables: autocomplete then offers keywords, functions and the
 * notebook's own named results.
 */
export async function loadWorkspaceSchema(workspaceId: string, sessionId: string): Promise<SchemaTable[]> {
  try {
    const result = await api<{ outputs: { output_type: string; data?: Record<string, unknown> }[] }>(
      'POST',
      `/api/workspaces/${encodeURIComponent(workspaceId)}/kernels/sessions/${encodeURIComponent(sessionId)}/execute`,
      { language: 'sql', code: COLUMNS_SQL },
    )
    const table = result.outputs.map((o) => o.data?.[TABLE_MIME_TYPE] as TableData | undefined).find(Boolean)
    if (!table) return []
    const byName = new Map<string, SchemaTable>()
    for (const [schema, name, column, type] of table.rows as string[][]) {
      if (isInternalName(String(name))) continue
      const key = schema === 'main' ? String(name) : `${schema}.${name}`
      const entry = byName.get(key) ?? { name: key, columns: [] }
      entry.columns.push({ name: String(column), type: String(type) })
      byName.set(key, entry)
    }
    return [...byName.values()]
  } catch {
    return []
  }
}
