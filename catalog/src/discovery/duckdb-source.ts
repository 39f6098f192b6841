import { quoteIdent, quoteLiteral } from '../sql-quote.ts'
import type { DiscoverySource, IntrospectedTable, IntrospectionItem, RunSql } from '../types.ts'

/**
 * The workspace DuckDB as a catalog source: reads DuckDB's own catalog functions page by page, so a database
 * with many thousands of tables is never held in memory at once. `exclude` hides tables that are not the
 * user's data (the workbench's own bookkeeping): they are neither catalogued nor read.
 */
export function duckdbSource(
  runSql: RunSql,
  options: { pageSize?: number; exclude?: (schema: string, name: string) => boolean } = {},
): DiscoverySource {
  const pageSize = options.pageSize ?? 500
  const exclude = options.exclude ?? (() => false)
  return {
    kind: 'duckdb',
    dialect: 'duckdb',
    runSql,
    async *introspect(): AsyncIterable<IntrospectionItem> {
      let after: [string, string] | undefined
      for (;;) {
        const cursor = after
          ? `WHERE (schema_name > ${quoteLiteral(after[0])} OR (schema_name = ${quoteLiteral(after[0])} AND name > ${quoteLiteral(after[1])}))`
          : ''
        const page = await runSql(
          `SELECT * FROM (
             SELECT schema_name, table_name AS name, 'table' AS kind, comment, estimated_size AS estimate
             FROM system.main.duckdb_tables() WHERE NOT internal AND NOT temporary AND database_name = system.main.current_database()
             UNION ALL
             SELECT schema_name, view_name, 'view', comment, NULL
             FROM system.main.duckdb_views() WHERE NOT internal AND NOT temporary AND database_name = system.main.current_database()
           ) ${cursor} ORDER BY schema_name, name LIMIT ${pageSize}`,
          { limit: pageSize },
        )
        if (page.rows.length === 0) return
        const tables = new Map<string, IntrospectedTable>()
        for (const [schema, name, kind, comment, estimate] of page.rows) {
          if (exclude(String(schema), String(name))) continue
          tables.set(`${schema}.${name}`, {
            schema: String(schema),
            name: String(name),
            kind: kind === 'view' ? 'view' : 'table',
            comment: comment === null || comment === undefined ? null : String(comment),
            rowEstimate: estimate === null || estimate === undefined ? null : Number(estimate),
            columns: [],
          })
        }
        const last = page.rows[page.rows.length - 1] as unknown[]
        after = [String(last[0]), String(last[1])]
        const filter = [...tables.values()]
          .map((t) => `(schema_name = ${quoteLiteral(t.schema)} AND table_name = ${quoteLiteral(t.name)})`)
          .join(' OR ')
        let columnError: string | undefined
        if (tables.size > 0)
          try {
            const columns = await runSql(
              `SELECT schema_name, table_name, column_name, data_type, is_nullable, comment, column_index
             FROM system.main.duckdb_columns() WHERE database_name = system.main.current_database() AND (${filter})
             ORDER BY schema_name, table_name, column_index`,
              { limit: 10_000_000 },
            )
            for (const [schema, table, name, type, nullable, comment, ordinal] of columns.rows) {
              tables.get(`${schema}.${table}`)?.columns.push({
                name: String(name),
                type: String(type),
                nullable: Boolean(nullable),
                comment: comment === null || comment === undefined ? null : String(comment),
                ordinal: Number(ordinal),
              })
            }
          } catch (err) {
            columnError = err instanceof Error ? err.message : String(err)
          }
        for (const table of tables.values())
          yield columnError ? { schema: table.schema, name: table.name, error: columnError } : table
        if (page.rows.length < pageSize) return
      }
    },
  }
}

/** Quotes `schema.table` for the given dialect. */
export function qualifiedName(dialect: DiscoverySource['dialect'], schema: string, name: string): string {
  return `${quoteIdent(dialect, schema)}.${quoteIdent(dialect, name)}`
}
