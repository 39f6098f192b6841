import { type Kysely, sql } from 'kysely'
import { baseTablesIn, queryLineage, tableKey } from '../lineage/extract.ts'
import type { ParseSql } from '../lineage/record.ts'
import { shapeStatement, splitStatements, stripComments } from '../lineage/statements.ts'
import { type CatalogTables, MASKING_STATUSES } from '../types.ts'
import { MASKED_TAGS } from './masking.ts'

/** Where a SQL result came from: a catalog source of the workspace (its DuckDB or a connection). */
export interface ResultMaskingInput {
  workspaceId: string
  /** The catalog source(s) of what the SQL ran on; none when it is not catalogued (nothing is tagged then). */
  sourceIds: readonly string[]
  sql: string
  /**
   * Schema of unqualified table names: `main` for DuckDB, `public` for PostgreSQL. Undefined (e.g. MySQL, whose
   * default schema is the connection's database) matches an unqualified name in any schema of the source.
   */
  defaultSchema?: string
  /**
   * Follow recorded column lineage (`catalog_lineage_edges`, the workspace DuckDB's tables): a column computed from a
   * tagged column by an earlier notebook cell or pipeline run (`CREATE TABLE t AS SELECT email …`) is masked too.
   */
  followLineage?: boolean
}

/** Which result columns of a SQL script are derived from PII-tagged source columns. */
export interface ResultMaskPlan {
  /** Accepted masking tags (`PII.*`, `sensitive`) of each result column, in order; `[]` leaves it clear. */
  tagsFor(columns: readonly string[]): string[][]
  /** Whether any column of any result can be masked (false: results are left alone without looking). */
  readonly active: boolean
  /**
   * The SQL mentions a table with tagged columns: its error messages may quote their values (`Could not convert
   * string 'jane@…'`), so they are masked too.
   */
  readonly mentionsTagged: boolean
  /** Why columns were masked by name rather than by lineage (unparseable SQL, unresolved columns). */
  readonly notes: string[]
}

const NO_MASKING: ResultMaskPlan = {
  tagsFor: (columns) => columns.map(() => []),
  active: false,
  mentionsTagged: false,
  notes: [],
}
const ANY_SCHEMA = '?'
/** Statements that never return rows: they cannot show tagged values, whatever they mention. */
const ROWLESS =
  /^(update|delete|insert|create|drop|alter|set|reset|begin|commit|rollback|abort|attach|detach|use|load|install|checkpoint|vacuum|analyze|comment|grant|revoke|truncate|prepare|deallocate)\b/i

type Tags = Map<string, Set<string>>

/**
 * Plans the masking of a SQL cell's results: result columns derived from columns with an accepted PII or
 * `sensitive` tag (directly, through aliases, expressions, joins, CTEs or subqueries — column lineage from
 * DuckDB's parse tree) get those tags. Conservative where lineage is blind: a statement that cannot be parsed,
 * or a result column lineage does not account for, is masked when its name is a tagged column of a table the
 * script mentions; a statement that returns rows but is not analysed (SUMMARIZE, DESCRIBE, PIVOT…) and
 * mentions a tagged table masks every column. Masking too much beats leaking.
 *
 * @example
 * const plan = await planResultMasking(db, parse, { workspaceId, sourceId, sql: 'SELECT upper(email) AS x, id FROM customers' })
 * plan.tagsFor(['x', 'id']) // [['PII.email'], []]
 */
export async function planResultMasking(
  db: Kysely<CatalogTables>,
  parse: ParseSql,
  input: ResultMaskingInput,
): Promise<ResultMaskPlan> {
  if (input.sourceIds.length === 0) return NO_MASKING
  const defaultSchema = input.defaultSchema ?? ANY_SCHEMA
  const tagged = await taggedColumns(db, input.workspaceId, input.sourceIds)
  if (tagged.size === 0) return NO_MASKING
  if (input.followLineage) await inheritThroughLineage(db, input.workspaceId, tagged)
  const tagsOf = (table: string, column: string): string[] => [
    ...matching(tagged, table).flatMap((t) => [...(t.get(column) ?? []), ...(t.get('') ?? [])]),
  ]

  const notes: string[] = []
  // Name fallback: tagged columns of every tagged table the script mentions as a word (computed at the end, as
  // tables created by the script itself may become tagged on the way).
  const mentioned = () => [...tagged.entries()].filter(([key]) => mentions(input.sql, key.slice(key.indexOf('.') + 1)))
  let everything = false
  /** Tables created earlier in the script, with their columns, for `SELECT *` from them later. */
  const created = new Map<string, string[]>()

  const byName = new Map<string, Set<string>>()
  const accounted = new Set<string>()
  const partial = new Set<string>()
  const widths: string[][][] = [] // tags by position, one list per analysed SELECT
  let unparsed = false
  for (const text of splitStatements(input.sql)) {
    const shaped = shapeStatement(text)
    const body = stripComments(text)
    // `… RETURNING` turns a write into rows that lineage does not follow.
    if (shaped.kind === 'other' || /\breturning\b/i.test(body)) {
      if ((!ROWLESS.test(body) || /\breturning\b/i.test(body)) && mentioned().length > 0) {
        everything = true
        notes.push(`a statement that returns rows is not analysed (${body.split(/\s/)[0]}): every column is masked`)
      }
      continue
    }
    const tree = (await parse(shaped.query ?? '').catch(() => undefined)) as
      | { error?: boolean; statements?: { node: unknown }[] }
      | undefined
    const node = tree && !tree.error ? tree.statements?.[0]?.node : undefined
    if (node === undefined) {
      unparsed = true
      notes.push('SQL could not be parsed: result columns are masked by name')
      continue
    }
    const tables = [...new Set(baseTablesIn(node).map(([s, t]) => tableKey(s ?? '', t ?? '', defaultSchema)))]
    const known = await knownColumns(db, input.workspaceId, input.sourceIds, tables)
    for (const [k, v] of created) known.set(k, v)
    const lineage = queryLineage(node, (t) => known.get(t) ?? matchingKnown(known, t), defaultSchema)
    if (shaped.kind !== 'select') {
      // A table written earlier in the script carries the tags of what it was computed from, for later statements.
      const parts = shaped.target?.parts ?? []
      const target = tableKey(
        parts.length > 1 ? (parts[parts.length - 2] ?? '') : '',
        parts.at(-1) ?? '',
        defaultSchema,
      )
      const names = (shaped.target?.columns ?? lineage.outputs.map((o) => o.name)).map((n) => n.toLowerCase())
      if (shaped.kind === 'create') created.set(target, names)
      lineage.outputs.forEach((o, i) => {
        const tags = o.sources.flatMap((src) => tagsOf(src.table, src.column.toLowerCase()))
        for (const t of tags) add(tableTags(tagged, target), names[i] ?? o.name.toLowerCase(), t)
      })
      continue
    }
    const positional: string[][] = []
    for (const output of lineage.outputs) {
      const name = output.name.toLowerCase()
      accounted.add(name)
      const tags = [...new Set(output.sources.flatMap((s) => tagsOf(s.table, s.column.toLowerCase())))]
      for (const t of tags) add(byName, name, t)
      if (output.sources.length === 0 && lineage.notes.length > 0) partial.add(name)
      positional.push(tags)
    }
    widths.push(positional)
  }

  const byNameFallback = new Map<string, Set<string>>()
  for (const [key, columns] of mentioned())
    for (const [column, tags] of columns) {
      if (column === '') {
        everything = true // a table tagged `sensitive` as a whole
        notes.push(`${key} is tagged as a whole: every result column is masked`)
      } else for (const t of tags) add(byNameFallback, column, t)
    }

  return {
    active: true,
    mentionsTagged: mentioned().length > 0,
    notes,
    tagsFor: (columns) => {
      const sameWidth = widths.filter((w) => w.length === columns.length)
      return columns.map((column, i) => {
        const name = column.toLowerCase()
        const tags = new Set(byName.get(name) ?? [])
        for (const w of sameWidth) for (const t of w[i] ?? []) tags.add(t)
        // Lineage does not vouch for this column: fall back to its name.
        if (unparsed || partial.has(name) || (!accounted.has(name) && sameWidth.length === 0))
          for (const t of byNameFallback.get(name) ?? []) tags.add(t)
        if (everything) tags.add('sensitive')
        return [...tags]
      })
    },
  }
}

/** Accepted masking tags of a source's columns: `schema.table` -> column (`''` = the whole table) -> tags. */
async function taggedColumns(db: Kysely<CatalogTables>, workspaceId: string, sourceIds: readonly string[]) {
  // Gone assets count too: their tags are kept, and the object may be back before discovery notices.
  const rows = await db
    .selectFrom('catalog_tags as t')
    .innerJoin('catalog_assets as a', 'a.id', 't.asset_id')
    .select(['a.schema_name', 'a.name', 't.column_name', 't.tag'])
    .where('a.workspace_id', '=', workspaceId)
    .where('a.source_id', 'in', sourceIds)
    .where('t.status', 'in', MASKING_STATUSES)
    .where('t.tag', 'in', MASKED_TAGS)
    .execute()
  const out = new Map<string, Tags>()
  for (const r of rows) {
    // Only a table tagged `sensitive` as a whole masks its columns (as in previews).
    if (r.column_name === '' && r.tag !== 'sensitive') continue
    const key = `${r.schema_name}.${r.name}`.toLowerCase()
    const columns = out.get(key) ?? new Map<string, Set<string>>()
    out.set(key, columns)
    add(columns, r.column_name.toLowerCase(), r.tag)
  }
  return out
}

/**
 * Adds to `tagged` the columns computed from tagged columns according to recorded lineage edges, transitively
 * (a few hops: notebooks rarely chain deeper, and each hop is one query).
 */
async function inheritThroughLineage(db: Kysely<CatalogTables>, workspaceId: string, tagged: Map<string, Tags>) {
  let frontier = [...tagged.keys()]
  for (let hop = 0; hop < 5 && frontier.length > 0; hop++) {
    const edges = await db
      .selectFrom('catalog_lineage_edges')
      .select(['source_table', 'source_column', 'target_table', 'target_column'])
      .where('workspace_id', '=', workspaceId)
      .where('source_table', 'in', frontier)
      .where('target_column', '!=', '')
      .execute()
    const next = new Set<string>()
    for (const e of edges) {
      const from = tagged.get(e.source_table)
      const tags = [...(from?.get(e.source_column) ?? []), ...(from?.get('') ?? [])]
      if (tags.length === 0) continue
      const into = tableTags(tagged, e.target_table)
      for (const t of tags) {
        if (into.get(e.target_column)?.has(t)) continue
        add(into, e.target_column, t)
        next.add(e.target_table)
      }
    }
    frontier = [...next]
  }
}

function tableTags(tagged: Map<string, Tags>, table: string): Tags {
  const columns = tagged.get(table) ?? new Map<string, Set<string>>()
  tagged.set(table, columns)
  return columns
}

/** Known columns of the source's tables (unqualified names of a source without default schema match any schema). */
async function knownColumns(
  db: Kysely<CatalogTables>,
  workspaceId: string,
  sourceIds: readonly string[],
  tables: string[],
) {
  const out = new Map<string, string[]>()
  const names = [...new Set(tables.map((t) => t.slice(t.indexOf('.') + 1)))]
  if (names.length === 0) return out
  const rows = await sql<{ key: string; name: string }>`
    SELECT lower(a.schema_name || '.' || a.name) AS key, lower(c.name) AS name
    FROM catalog_assets a JOIN catalog_columns c ON c.asset_id = a.id
    WHERE a.workspace_id = ${workspaceId} AND a.source_id IN (${sql.join(sourceIds.map((id) => sql`${id}`))}) AND a.gone_at IS NULL
      AND lower(a.name) IN (${sql.join(names.map((n) => sql`${n}`))})
    ORDER BY a.id, c.ordinal
  `.execute(db)
  for (const r of rows.rows) out.set(r.key, [...(out.get(r.key) ?? []), r.name])
  return out
}

/** Entries of a `schema.table` map for a key; `?.table` (any schema) matches the table in every schema. */
function matching<T>(map: Map<string, T>, key: string): T[] {
  if (!key.startsWith(`${ANY_SCHEMA}.`)) {
    const hit = map.get(key)
    return hit === undefined ? [] : [hit]
  }
  const name = key.slice(2)
  return [...map.entries()].filter(([k]) => k.slice(k.indexOf('.') + 1) === name).map(([, v]) => v)
}

function matchingKnown(known: Map<string, string[]>, key: string): string[] | undefined {
  const hits = matching(known, key)
  return hits.length === 1 ? hits[0] : undefined
}

/** Whether `name` appears in the SQL as a word (case-insensitive; quoted or not). */
function mentions(script: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(^|[^\\w$])${escaped}($|[^\\w$])`, 'i').test(script)
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key) ?? new Set<string>()
  set.add(value)
  map.set(key, set)
}
