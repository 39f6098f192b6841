import { type Kysely, sql } from 'kysely'
import { beginSearchChange } from '../search/search-documents.ts'
import { quoteLiteral } from '../sql-quote.ts'
import type { CatalogTables, RunSql } from '../types.ts'
import { baseTablesIn, type ColumnSource, queryLineage, tableKey } from './extract.ts'
import { shapeStatement, splitStatements } from './statements.ts'

/** Parses one query into DuckDB's JSON parse tree (`json_serialize_sql`); never executes it. */
export type ParseSql = (query: string) => Promise<unknown>

/** A parser over any DuckDB (no data is read: `json_serialize_sql` only parses, offline). */
export function duckdbParser(runSql: RunSql): ParseSql {
  return async (query) => {
    const page = await runSql(`SELECT system.main.json_serialize_sql(${quoteLiteral(query)})`, { limit: 1 })
    const text = page.rows[0]?.[0]
    return typeof text === 'string' ? JSON.parse(text) : text
  }
}

/** What produced some SQL: a notebook (and its version or update seq) or a pipeline run. */
export interface LineageProducer {
  kind: 'notebook' | 'pipeline'
  /** Notebook id or pipeline id. */
  id: string
  /** Notebook version id / seq, or the pipeline run id. */
  version?: string | null
}

export interface LineageEdge {
  from: ColumnSource | { table: string; column: '' }
  to: { table: string; column: string }
}

export interface StatementLineage {
  kind: 'create' | 'insert' | 'select' | 'other'
  target?: string
  reads: string[]
  edges: LineageEdge[]
  notes: string[]
}

export interface ExtractedLineage {
  statements: StatementLineage[]
  /** Every note, prefixed with the statement number; a statement that cannot be parsed yields only a note. */
  notes: string[]
}

/** Looks up known columns (in order) of `schema.table` keys. */
export type ColumnLookup = (tables: string[]) => Promise<Map<string, string[]>>

/**
 * Table- and column-level lineage of a SQL script (several statements). Unparseable or unsupported statements
 * give a note and no lineage; this never throws for SQL content.
 *
 * @example
 * await extractLineage('CREATE TABLE t AS SELECT a, b + c AS d FROM s', { parse })
 * // edges main.s.a -> main.t.a, main.s.b -> main.t.d, main.s.c -> main.t.d (plus main.s -> main.t)
 */
export async function extractLineage(
  script: string,
  deps: { parse: ParseSql; lookup?: ColumnLookup; defaultSchema?: string },
): Promise<ExtractedLineage> {
  const defaultSchema = deps.defaultSchema ?? 'main'
  const created = new Map<string, string[]>()
  const statements: StatementLineage[] = []
  const notes: string[] = []
  const parts = splitStatements(script)
  for (const [index, text] of parts.entries()) {
    const shaped = shapeStatement(text)
    const target = shaped.target ? targetKey(shaped.target.parts, defaultSchema) : undefined
    const result: StatementLineage = { kind: shaped.kind, target, reads: [], edges: [], notes: [] }
    statements.push(result)
    if (!shaped.query) {
      // Tell a typo from a statement we do not analyse (UPDATE, COPY…): DuckDB reports a parser error for the former.
      const tree = (await deps.parse(text).catch(() => undefined)) as
        | { error_type?: string; error_message?: string }
        | undefined
      result.notes.push(
        tree?.error_type === 'parser'
          ? `SQL could not be parsed, no lineage: ${tree.error_message ?? ''}`
          : 'statement not analysed for lineage (only queries, CREATE … AS and INSERT … SELECT are)',
      )
    } else {
      let tree: unknown
      try {
        tree = await deps.parse(shaped.query)
      } catch (err) {
        tree = { error: true, error_message: err instanceof Error ? err.message : String(err) }
      }
      const root = tree as { error?: boolean; error_message?: string; statements?: { node: unknown }[] }
      if (!root || root.error || !root.statements?.[0]) {
        result.notes.push(`SQL could not be parsed, no lineage: ${root?.error_message ?? 'unknown parser error'}`)
      } else {
        const tables = baseTablesIn(root.statements[0].node).map(([s, t]) => tableKey(s ?? '', t ?? '', defaultSchema))
        if (target) tables.push(target)
        const known = new Map(deps.lookup ? await deps.lookup([...new Set(tables)]) : [])
        for (const [k, v] of created) known.set(k, v)
        const lineage = queryLineage(root.statements[0].node, (t) => known.get(t), defaultSchema)
        result.reads = lineage.reads
        result.notes.push(...lineage.notes)
        if (target) {
          const explicit = shaped.target?.columns
          const targetColumns =
            explicit ?? (shaped.kind === 'insert' ? known.get(target) : undefined) ?? lineage.outputs.map((o) => o.name)
          if (shaped.kind === 'insert' && !explicit && !known.has(target))
            result.notes.push(`columns of ${target} are not known: INSERT columns matched by the query's names`)
          for (const read of lineage.reads)
            result.edges.push({ from: { table: read, column: '' }, to: { table: target, column: '' } })
          lineage.outputs.forEach((o, i) => {
            const to = targetColumns[i]
            if (to === undefined) return
            for (const s of o.sources) result.edges.push({ from: s, to: { table: target, column: to.toLowerCase() } })
          })
          if (shaped.kind === 'create')
            created.set(
              target,
              lineage.outputs.map((o) => o.name.toLowerCase()),
            )
        }
      }
    }
    for (const n of result.notes) notes.push(parts.length > 1 ? `statement ${index + 1}: ${n}` : n)
  }
  return { statements, notes }
}

function targetKey(parts: string[], defaultSchema: string): string {
  const name = parts[parts.length - 1] ?? ''
  const schema = parts.length > 1 ? (parts[parts.length - 2] ?? '') : ''
  return tableKey(schema, name, defaultSchema)
}

/** Known columns of catalogued tables, by lower-case `schema.table`. */
export function catalogColumnLookup(db: Kysely<CatalogTables>, workspaceId: string): ColumnLookup {
  return async (tables) => {
    const out = new Map<string, string[]>()
    if (tables.length === 0) return out
    const rows = await sql<{ key: string; name: string }>`
      SELECT lower(a.schema_name || '.' || a.name) AS key, lower(c.name) AS name
      FROM catalog_assets a JOIN catalog_columns c ON c.asset_id = a.id
      WHERE a.workspace_id = ${workspaceId} AND a.gone_at IS NULL
        AND lower(a.schema_name || '.' || a.name) IN (${sql.join(tables.map((t) => sql`${t}`))})
      ORDER BY a.id, c.ordinal
    `.execute(db)
    for (const r of rows.rows) out.set(r.key, [...(out.get(r.key) ?? []), r.name])
    return out
  }
}

/**
 * The ingestion entry point for notebook executions and pipeline runs: extracts lineage from `sql`, replaces the
 * producer's earlier edges into the same targets, and counts reads and writes for usage. Bad SQL gives notes.
 */
export async function recordLineage(
  db: Kysely<CatalogTables>,
  parse: ParseSql,
  input: { workspaceId: string; sql: string; producer: LineageProducer; defaultSchema?: string },
): Promise<ExtractedLineage> {
  const { workspaceId, producer } = input
  const lineage = await extractLineage(input.sql, {
    parse,
    lookup: catalogColumnLookup(db, workspaceId),
    defaultSchema: input.defaultSchema,
  })
  const now = new Date()
  const usesTables = lineage.statements.some((st) => st.reads.length > 0 || st.target)
  await db.transaction().execute(async (trx) => {
    // Usage counts rank search results: the change is versioned like every search document change.
    const version = usesTables ? await beginSearchChange(trx, workspaceId) : 0
    const touched = new Set<string>()
    for (const st of lineage.statements) {
      if (st.target) {
        await trx
          .deleteFrom('catalog_lineage_edges')
          .where('workspace_id', '=', workspaceId)
          .where('producer_kind', '=', producer.kind)
          .where('producer_id', '=', producer.id)
          .where('target_table', '=', st.target)
          .execute()
      }
      const unique = new Map(st.edges.map((e) => [`${e.from.table}|${e.from.column}|${e.to.table}|${e.to.column}`, e]))
      if (unique.size > 0)
        await trx
          .insertInto('catalog_lineage_edges')
          .values(
            [...unique.values()].map((e) => ({
              workspace_id: workspaceId,
              source_table: e.from.table,
              source_column: e.from.column,
              target_table: e.to.table,
              target_column: e.to.column,
              producer_kind: producer.kind,
              producer_id: producer.id,
              producer_version: producer.version ?? null,
              updated_at: now,
            })),
          )
          .onConflict((oc) =>
            oc
              .constraint('catalog_lineage_edges_uq')
              .doUpdateSet({ producer_version: producer.version ?? null, updated_at: now }),
          )
          .execute()
      const uses = [
        ...st.reads.map((t) => ({ table: t, mode: 'read' as const })),
        ...(st.target ? [{ table: st.target, mode: 'write' as const }] : []),
      ]
      for (const use of uses) {
        touched.add(use.table)
        await trx
          .insertInto('catalog_usage')
          .values({
            workspace_id: workspaceId,
            table_name: use.table,
            producer_kind: producer.kind,
            producer_id: producer.id,
            mode: use.mode,
            count: 1,
            last_at: now,
          })
          .onConflict((oc) =>
            oc
              .columns(['workspace_id', 'table_name', 'producer_kind', 'producer_id', 'mode'])
              .doUpdateSet({ count: sql`catalog_usage.count + 1`, last_at: now }),
          )
          .execute()
      }
    }
    if (touched.size > 0)
      await sql`
        UPDATE catalog_assets a SET usage_count = coalesce((
          SELECT sum(u.count)::int FROM catalog_usage u
          WHERE u.workspace_id = a.workspace_id AND u.table_name = lower(a.schema_name || '.' || a.name)), 0),
          search_version = ${version}, updated_at = now()
        WHERE a.workspace_id = ${workspaceId}
          AND lower(a.schema_name || '.' || a.name) IN (${sql.join([...touched].map((t) => sql`${t}`))})
      `.execute(trx)
  })
  return lineage
}
