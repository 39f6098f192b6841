/**
 * Column lineage of one query from DuckDB's parse tree (`json_serialize_sql`). Pure: the tree and the known
 * columns of tables come in, output columns with the source columns they derive from come out.
 */

/** `schema.table` (lower-cased) and a column. */
export interface ColumnSource {
  table: string
  column: string
}

export interface QueryLineage {
  /** Output columns in order, each with the source columns it is computed from. */
  outputs: { name: string; sources: ColumnSource[] }[]
  /** Every table the query reads (FROM, JOIN, subqueries, CTE bodies). */
  reads: string[]
  /** What could not be resolved: lineage is partial, never wrong on purpose. */
  notes: string[]
}

/** Known column names of a table, in order; undefined when the catalog does not know the table. */
export type KnownColumns = (table: string) => string[] | undefined

type Node = Record<string, unknown>
type Output = { name: string; sources: Map<string, ColumnSource> }
interface Relation {
  alias: string
  /** Base table key when the relation is a table. */
  table?: string
  /** Output columns when known (subqueries, CTEs, tables the catalog knows). */
  columns?: Output[]
}

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Every base table a parse tree mentions, as written (`[schema, table]` parts), to look their columns up. */
export function baseTablesIn(tree: unknown): string[][] {
  const out: string[][] = []
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit)
    else if (isNode(v)) {
      if (v.type === 'BASE_TABLE' && typeof v.table_name === 'string')
        out.push([String(v.schema_name ?? ''), v.table_name])
      for (const value of Object.values(v)) visit(value)
    }
  }
  visit(tree)
  return out
}

/** `schema.table` key for a table reference, with `defaultSchema` for unqualified names. */
export function tableKey(schema: string, name: string, defaultSchema: string): string {
  return `${(schema || defaultSchema).toLowerCase()}.${name.toLowerCase()}`
}

/** Lineage of one serialized query statement (`statements[0].node` of `json_serialize_sql`). */
export function queryLineage(node: unknown, known: KnownColumns, defaultSchema = 'main'): QueryLineage {
  const reads = new Set<string>()
  const notes: string[] = []
  const note = (text: string) => {
    if (!notes.includes(text)) notes.push(text)
  }

  const walkQuery = (q: unknown, ctes: Map<string, Output[]>, outer: Relation[]): Output[] => {
    if (!isNode(q)) return []
    const scopeCtes = new Map(ctes)
    const cteMap = isNode(q.cte_map) && Array.isArray(q.cte_map.map) ? q.cte_map.map : []
    for (const entry of cteMap) {
      if (!isNode(entry) || !isNode(entry.value)) continue
      const name = String(entry.key).toLowerCase()
      const inner = isNode(entry.value.query) ? entry.value.query.node : undefined
      const outputs = walkQuery(inner, scopeCtes, outer)
      const aliases = Array.isArray(entry.value.aliases) ? entry.value.aliases.map(String) : []
      scopeCtes.set(name, rename(outputs, aliases))
    }
    if (q.type === 'SET_OPERATION_NODE' || q.type === 'RECURSIVE_CTE_NODE' || q.type === 'CTE_NODE') {
      const parts = Array.isArray(q.children) ? q.children : [q.left, q.right]
      const results = parts.filter(isNode).map((p) => walkQuery(p, scopeCtes, outer))
      const first = results[0] ?? []
      return first.map((o, i) => {
        const sources = new Map(o.sources)
        for (const other of results.slice(1)) for (const [k, v] of other[i]?.sources ?? []) sources.set(k, v)
        return { name: o.name, sources }
      })
    }
    if (q.type !== 'SELECT_NODE') {
      note(`query form ${String(q.type)} not analysed`)
      return []
    }
    const scope = walkFrom(q.from_table, scopeCtes, outer)
    const visible = [...scope, ...outer]
    // Filters, grouping and ordering read tables (already counted in FROM) and may hold subqueries that read more.
    for (const key of ['where_clause', 'having', 'qualify', 'group_expressions']) refs(q[key], visible, scopeCtes)
    const outputs: Output[] = []
    const list = Array.isArray(q.select_list) ? q.select_list : []
    list.forEach((expr, i) => {
      if (!isNode(expr)) return
      if (expr.class === 'STAR' && !expr.expr) {
        const exclude = new Set(
          (Array.isArray(expr.exclude_list) ? expr.exclude_list : []).map((e) =>
            String(isNode(e) ? (e.column_name ?? '') : e).toLowerCase(),
          ),
        )
        const relation = String(expr.relation_name ?? '').toLowerCase()
        const from = relation ? scope.filter((r) => r.alias === relation) : scope
        for (const r of from) {
          if (!r.columns) {
            note(
              `SELECT * from ${r.table ?? r.alias}: its columns are not known to the catalog, column lineage is partial`,
            )
            continue
          }
          for (const c of r.columns)
            if (!exclude.has(c.name.toLowerCase())) outputs.push({ name: c.name, sources: new Map(c.sources) })
        }
        return
      }
      outputs.push({ name: outputName(expr, i), sources: refs(expr, visible, scopeCtes) })
    })
    return outputs
  }

  const walkFrom = (ref: unknown, ctes: Map<string, Output[]>, outer: Relation[]): Relation[] => {
    if (!isNode(ref)) return []
    switch (ref.type) {
      case 'BASE_TABLE': {
        const name = String(ref.table_name)
        const schema = String(ref.schema_name ?? '')
        const alias = String(ref.alias || name).toLowerCase()
        const cte = !schema ? ctes.get(name.toLowerCase()) : undefined
        if (cte) return [{ alias, columns: cte }]
        const key = tableKey(schema, name, defaultSchema)
        reads.add(key)
        const cols = known(key)
        return [
          {
            alias,
            table: key,
            columns: cols?.map((c) => ({
              name: c,
              sources: new Map([[`${key}.${c.toLowerCase()}`, { table: key, column: c.toLowerCase() }]]),
            })),
          },
        ]
      }
      case 'JOIN':
        refs(ref.condition, [], ctes) // subqueries in ON
        return [...walkFrom(ref.left, ctes, outer), ...walkFrom(ref.right, ctes, outer)]
      case 'SUBQUERY': {
        const inner = isNode(ref.subquery) ? ref.subquery.node : undefined
        const outputs = walkQuery(inner, ctes, outer)
        const aliases = Array.isArray(ref.column_name_alias) ? ref.column_name_alias.map(String) : []
        return [{ alias: String(ref.alias || '').toLowerCase(), columns: rename(outputs, aliases) }]
      }
      case 'EMPTY':
      case 'EMPTY_FROM':
        return []
      default:
        note(`${String(ref.type).toLowerCase().replaceAll('_', ' ')} in FROM is not analysed`)
        return [{ alias: String(ref.alias || '').toLowerCase() }]
    }
  }

  /** Source columns an expression reads; subqueries inside are walked in their own scope. */
  const refs = (expr: unknown, scope: Relation[], ctes: Map<string, Output[]>): Map<string, ColumnSource> => {
    const found = new Map<string, ColumnSource>()
    const visit = (v: unknown) => {
      if (Array.isArray(v)) return v.forEach(visit)
      if (!isNode(v)) return
      if (v.class === 'COLUMN_REF' && Array.isArray(v.column_names)) {
        for (const s of resolve(v.column_names.map(String), scope)) found.set(`${s.table}.${s.column}`, s)
        return
      }
      if (v.class === 'SUBQUERY' && isNode(v.subquery)) {
        for (const o of walkQuery(v.subquery.node, ctes, scope)) for (const [k, s] of o.sources) found.set(k, s)
        visit(v.child)
        return
      }
      for (const value of Object.values(v)) visit(value)
    }
    visit(expr)
    return found
  }

  const resolve = (names: string[], scope: Relation[]): ColumnSource[] => {
    const column = (names[names.length - 1] ?? '').toLowerCase()
    const qualifier = names.length > 1 ? (names[names.length - 2] ?? '').toLowerCase() : undefined
    const fromRelation = (r: Relation): ColumnSource[] | undefined => {
      const c = r.columns?.find((o) => o.name.toLowerCase() === column)
      if (c) return [...c.sources.values()]
      if (r.table && !r.columns) return [{ table: r.table, column }]
      return undefined
    }
    if (qualifier !== undefined) {
      const r = scope.find((x) => x.alias === qualifier || x.table?.endsWith(`.${qualifier}`))
      const hit = r ? fromRelation(r) : undefined
      if (!hit && r?.columns) note(`column ${qualifier}.${column} not found in ${r.table ?? r.alias}`)
      return hit ?? []
    }
    const withColumn = scope.filter((r) => r.columns?.some((o) => o.name.toLowerCase() === column))
    if (withColumn.length >= 1) return fromRelation(withColumn[0] as Relation) ?? []
    const unknown = scope.filter((r) => r.table && !r.columns)
    if (unknown.length === 1) return fromRelation(unknown[0] as Relation) ?? []
    // Lambdas, struct fields, aliases of the select list itself, or an ambiguous name across unknown tables.
    if (unknown.length > 1) note(`column ${column} could come from ${unknown.map((r) => r.table).join(' or ')}`)
    return []
  }

  const outputs = walkQuery(node, new Map(), [])
  return {
    outputs: outputs.map((o) => ({ name: o.name, sources: [...o.sources.values()] })),
    reads: [...reads],
    notes,
  }
}

function rename(outputs: Output[], aliases: string[]): Output[] {
  return outputs.map((o, i) => ({ name: aliases[i] ?? o.name, sources: o.sources }))
}

function outputName(expr: Node, index: number): string {
  if (typeof expr.alias === 'string' && expr.alias) return expr.alias
  if (expr.class === 'COLUMN_REF' && Array.isArray(expr.column_names))
    return String(expr.column_names[expr.column_names.length - 1])
  if (expr.class === 'FUNCTION' && typeof expr.function_name === 'string' && !expr.is_operator)
    return expr.function_name
  return `col${index}`
}
