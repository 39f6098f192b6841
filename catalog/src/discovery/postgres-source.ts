import type { DiscoverySource, IntrospectedTable, IntrospectionItem, RunSql } from '../types.ts'

/** Runs a parameterised PostgreSQL query and returns its rows as objects (e.g. `pg.Client#query(...).rows`). */
export type PgQuery = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>

/**
 * A PostgreSQL database as a catalog source, through a query function the caller owns (the connections service
 * once wired; a `pg` client in tests). Tables and views are read page by page with keyset paging.
 */
export function postgresSource(query: PgQuery, options: { pageSize?: number } = {}): DiscoverySource {
  const pageSize = options.pageSize ?? 500
  const runSql: RunSql = async (text, o = {}) => {
    const rows = await query(text)
    const names = rows[0] ? Object.keys(rows[0]) : []
    return {
      columns: names.map((name) => ({ name, type: 'unknown' })),
      rows: rows.slice(0, o.limit ?? 1_000).map((r) => names.map((n) => toJson(r[n]))),
    }
  }
  return {
    kind: 'postgres',
    dialect: 'postgres',
    runSql,
    async *introspect(): AsyncIterable<IntrospectionItem> {
      let after: [string, string] = ['', '']
      for (;;) {
        const page = await query(
          `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name,
                  CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END AS kind,
                  obj_description(c.oid, 'pg_class') AS comment,
                  CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS estimate
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p', 'v', 'm')
             AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
             AND (n.nspname, c.relname) > ($1, $2)
           ORDER BY n.nspname, c.relname LIMIT ${pageSize}`,
          after,
        )
        if (page.length === 0) return
        const tables = new Map<number, IntrospectedTable>()
        for (const r of page)
          tables.set(Number(r.oid), {
            schema: String(r.schema),
            name: String(r.name),
            kind: r.kind === 'view' ? 'view' : 'table',
            comment: r.comment === null ? null : String(r.comment),
            rowEstimate: r.estimate === null ? null : Number(r.estimate),
            columns: [],
          })
        const columns = await query(
          `SELECT a.attrelid::int AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
                  NOT a.attnotnull AS nullable, col_description(a.attrelid, a.attnum) AS comment, a.attnum AS ordinal
           FROM pg_attribute a WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
           ORDER BY a.attrelid, a.attnum`,
          [[...tables.keys()]],
        )
        for (const c of columns)
          tables.get(Number(c.oid))?.columns.push({
            name: String(c.name),
            type: String(c.type),
            nullable: Boolean(c.nullable),
            comment: c.comment === null ? null : String(c.comment),
            ordinal: Number(c.ordinal),
          })
        yield* tables.values()
        const last = page[page.length - 1] as Record<string, unknown>
        after = [String(last.schema), String(last.name)]
        if (page.length < pageSize) return
      }
    },
  }
}

function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`
  return value
}
