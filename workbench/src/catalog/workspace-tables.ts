import type { DuckdbDatabase } from '@workbench/kernels/duckdb'
import { REJECTS_SCHEMA } from '../files/loader.ts'

/**
 * Schemas the workbench keeps for itself in a workspace DuckDB: `import_rejects` holds the rows each import
 * rejected (shown on their import, not as tables of their own).
 */
export const INTERNAL_SCHEMAS: readonly string[] = [REJECTS_SCHEMA]
/** Tables the workbench writes next to the user's, e.g. `_workbench_step_runs` (pipeline step idempotency keys). */
export const INTERNAL_TABLE_PREFIX = '_workbench_'

/**
 * Whether a table of a workspace DuckDB is the workbench's own bookkeeping. The catalog, the Files page and SQL
 * autocomplete all hide these, through this one rule.
 */
export function isInternalTable(schema: string, name: string): boolean {
  return INTERNAL_SCHEMAS.includes(schema.toLowerCase()) || name.toLowerCase().startsWith(INTERNAL_TABLE_PREFIX)
}

/** A table of the workspace DuckDB with its columns, as autocomplete offers it. */
export interface WorkspaceTable {
  schema: string
  name: string
  kind: 'table' | 'view'
  columns: { name: string; type: string }[]
}

/** Most columns listed (autocomplete of a huge database offers the first ones, in schema/table order). */
const MAX_COLUMNS = 50_000

/**
 * The user's tables and views of a workspace DuckDB with their columns (internal ones hidden), read live from
 * DuckDB's catalog functions (named by their catalog, so a user macro cannot shadow them).
 */
export async function listWorkspaceTables(
  duckdb: Pick<DuckdbDatabase, 'query'>,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<WorkspaceTable[]> {
  const page = await duckdb.query(
    `SELECT c.schema_name, c.table_name, c.column_name, c.data_type,
            CASE WHEN v.view_name IS NULL THEN 'table' ELSE 'view' END AS kind
     FROM system.main.duckdb_columns() c
     LEFT JOIN system.main.duckdb_views() v
       ON v.database_name = c.database_name AND v.schema_name = c.schema_name AND v.view_name = c.table_name
     WHERE c.database_name = system.main.current_database() AND NOT c.internal
     ORDER BY c.schema_name, c.table_name, c.column_index
     LIMIT ${MAX_COLUMNS}`,
    { ...options, limit: MAX_COLUMNS },
  )
  const tables = new Map<string, WorkspaceTable>()
  for (const [schema, table, column, type, kind] of page.rows) {
    const s = String(schema)
    const t = String(table)
    if (isInternalTable(s, t)) continue
    const key = `${s}\u0000${t}`
    const entry = tables.get(key) ?? { schema: s, name: t, kind: kind === 'view' ? 'view' : 'table', columns: [] }
    entry.columns.push({ name: String(column), type: String(type) })
    tables.set(key, entry)
  }
  return [...tables.values()]
}
