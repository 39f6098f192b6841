// What a SQL cell reads and writes, for the notebook -> pipeline compiler. Pure: the queries are parsed
// by DuckDB's `json_serialize_sql` on the caller's side (it only serialises queries, so the statement
// around a query — CREATE TABLE … AS, INSERT INTO, COPY — is recognised here and its query parsed there).

/** A SQL statement's query part to hand to `json_serialize_sql`, or nothing to parse. */
export interface SqlStatementShape {
  /** The statement as written (comments kept). */
  text: string
  /** Tables the statement itself writes (CREATE/INSERT/COPY FROM/UPDATE/DELETE/DROP/ALTER targets). */
  writes: string[]
  /** Tables read outside a query (COPY t TO, UPDATE/DELETE targets). */
  reads: string[]
  /** The query to parse for the tables it reads (FROM/JOIN/subqueries), if any. */
  query?: string
  /** Set when the statement kind is not known: its reads and writes are not inferred. */
  unrecognised?: boolean
}

/** The answer of `SELECT json_serialize_sql(query)`, as JSON text or the parsed value. */
export type SerializedSql = string | Record<string, unknown>

/** Tables a cell reads and writes, plus what could not be analysed. */
export interface SqlAnalysis {
  reads: string[]
  writes: string[]
  problems: { code: 'sql_parse' | 'sql_unrecognised' | 'sql_not_parsed'; message: string }[]
}

/** Splits SQL into statements on `;` outside strings, quoted identifiers and comments. */
export function splitSql(sql: string): string[] {
  const statements: string[] = []
  let start = 0
  let i = 0
  while (i < sql.length) {
    const c = sql[i]
    const next = sql[i + 1]
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1)
      i = end === -1 ? sql.length : end + 1
      // A doubled quote is an escaped quote: the scan simply continues inside the same literal.
      continue
    }
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i)
      i = end === -1 ? sql.length : end + 1
      continue
    }
    if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2)
      i = end === -1 ? sql.length : end + 2
      continue
    }
    if (c === ';') {
      statements.push(sql.slice(start, i))
      start = i + 1
    }
    i++
  }
  statements.push(sql.slice(start))
  return statements.filter((s) => stripComments(s).trim() !== '')
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ')
}

const NAME = String.raw`((?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)){0,2})`
const QUERY_START = /^\s*(\(|select\b|with\b|from\b|values\b|table\b)/i

const PATTERNS: { re: RegExp; shape: (m: RegExpExecArray, rest: string) => Omit<SqlStatementShape, 'text'> }[] = [
  {
    re: new RegExp(
      String.raw`^\s*create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary|persistent)\s+)?table\s+(?:if\s+not\s+exists\s+)?${NAME}\s*`,
      'i',
    ),
    shape: (m, rest) => {
      const as = /^(?:\([^)]*\)\s*)?as\s+([\s\S]*)$/i.exec(rest)
      return { writes: [tableName(m[1])], reads: [], query: as?.[1] }
    },
  },
  {
    re: new RegExp(
      String.raw`^\s*create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary)\s+)?view\s+(?:if\s+not\s+exists\s+)?${NAME}\s*`,
      'i',
    ),
    shape: (m, rest) => {
      const as = /^(?:\([^)]*\)\s*)?as\s+([\s\S]*)$/i.exec(rest)
      return { writes: [tableName(m[1])], reads: [], query: as?.[1] }
    },
  },
  {
    re: new RegExp(String.raw`^\s*insert\s+(?:or\s+(?:replace|ignore)\s+)?into\s+${NAME}\s*`, 'i'),
    shape: (m, rest) => {
      const body = rest
        .replace(/^\((?:[^()]|\([^)]*\))*\)\s*/, (list) => (QUERY_START.test(list.slice(1)) ? list : ''))
        .replace(/^by\s+(?:name|position)\s+/i, '')
      const query = /^default\s+values/i.test(body) ? undefined : body.replace(/\s+on\s+conflict\b[\s\S]*$/i, '')
      return { writes: [tableName(m[1])], reads: [], query: query && QUERY_START.test(query) ? query : undefined }
    },
  },
  {
    re: /^\s*copy\s+\(([\s\S]*)\)\s*to\s/i,
    shape: (m) => ({ writes: [], reads: [], query: m[1] }),
  },
  {
    re: new RegExp(String.raw`^\s*copy\s+${NAME}\s*(?:\([^)]*\)\s*)?(from|to)\s`, 'i'),
    shape: (m) =>
      m[2]?.toLowerCase() === 'from'
        ? { writes: [tableName(m[1])], reads: [] }
        : { writes: [], reads: [tableName(m[1])] },
  },
  {
    re: new RegExp(String.raw`^\s*(?:update|delete\s+from|truncate(?:\s+table)?)\s+${NAME}`, 'i'),
    shape: (m) => ({ writes: [tableName(m[1])], reads: [tableName(m[1])] }),
  },
  {
    re: new RegExp(String.raw`^\s*(?:drop|alter)\s+(?:table|view)\s+(?:if\s+exists\s+)?${NAME}`, 'i'),
    shape: (m) => ({ writes: [tableName(m[1])], reads: [] }),
  },
  {
    // Statements that touch no table data: settings, schemas, macros, sequences, types, transactions.
    re: /^\s*(set|reset|pragma|begin|commit|rollback|checkpoint|use|create\s+(?:or\s+replace\s+)?(?:schema|macro|function|sequence|type|secret|index)|drop\s+(?:schema|macro|function|sequence|type|index))\b/i,
    shape: () => ({ writes: [], reads: [] }),
  },
  {
    // DuckDB serialises these as queries over the table (or query) they name.
    re: /^\s*(summarize|describe|show)\b/i,
    shape: (m, rest) => ({ writes: [], reads: [], query: `${m[1]} ${rest}` }),
  },
  {
    // `json_serialize_sql` does not take PIVOT statements: the source table is read from the text.
    re: new RegExp(String.raw`^\s*(?:pivot|unpivot)\s+${NAME}\s`, 'i'),
    shape: (m) => ({ writes: [], reads: [tableName(m[1])] }),
  },
]

/** Recognises one statement: the tables around its query and the query to parse. */
export function statementShape(text: string): SqlStatementShape {
  const clean = stripComments(text).trim()
  const explain = /^explain\s+(analyze\s+)?/i.exec(clean)
  if (explain) {
    // EXPLAIN reads what the statement reads; only EXPLAIN ANALYZE also runs its writes.
    const inner = statementShape(clean.slice(explain[0].length))
    return { ...inner, text, writes: explain[1] ? inner.writes : [] }
  }
  if (QUERY_START.test(clean)) return { text, writes: [], reads: [], query: clean }
  for (const { re, shape } of PATTERNS) {
    const match = re.exec(clean)
    if (match) {
      const result = shape(match, clean.slice(match[0].length))
      if (result.query !== undefined) result.query = result.query.trim()
      return { text, ...result, query: result.query || undefined }
    }
  }
  return { text, writes: [], reads: [], unrecognised: true }
}

/**
 * The key of a table name, as dependencies compare them: lowercased (DuckDB identifiers are
 * case-insensitive, quoted or not), quotes removed, the default `main` schema (and `memory` catalog) dropped.
 */
export function tableName(raw: string | undefined): string {
  const parts = (raw ?? '')
    .match(/"(?:[^"]|"")+"|[^.\s]+/g)
    ?.map((part) => (part.startsWith('"') ? part.slice(1, -1).replaceAll('""', '"') : part).toLowerCase()) ?? [
    (raw ?? '').toLowerCase(),
  ]
  while (parts.length > 1 && (parts[0] === 'memory' || (parts[0] === 'main' && parts.length === 2))) parts.shift()
  if (parts.length === 3 && parts[1] === 'main') parts.splice(1, 1)
  return parts.join('.')
}

/** Every query of a cell that needs parsing (what the caller runs `json_serialize_sql` on). */
export function queriesOf(sql: string): string[] {
  return splitSql(sql)
    .map(statementShape)
    .flatMap((shape) => (shape.query === undefined ? [] : [shape.query]))
}

/**
 * Reads and writes of a SQL cell. `parsed` maps each query (from {@link queriesOf}) to DuckDB's
 * serialised parse tree; a query missing from it, or that DuckDB could not parse, is a problem and its
 * reads are unknown. Never throws.
 */
export function analyzeSql(sql: string, parsed: ReadonlyMap<string, SerializedSql>): SqlAnalysis {
  const reads = new Set<string>()
  const writes = new Set<string>()
  const problems: SqlAnalysis['problems'] = []
  for (const shape of splitSql(sql).map(statementShape)) {
    for (const name of shape.writes) writes.add(name)
    for (const name of shape.reads) reads.add(name)
    if (shape.unrecognised) {
      const head = stripComments(shape.text).trim().split(/\s+/).slice(0, 3).join(' ')
      problems.push({
        code: 'sql_unrecognised',
        message: `statement '${head} …' is not one the compiler understands; declare its tables in the cell's workbench.reads / workbench.writes`,
      })
      continue
    }
    if (shape.query === undefined) continue
    const tree = parsed.get(shape.query)
    if (tree === undefined) {
      problems.push({ code: 'sql_not_parsed', message: 'the SQL was not parsed (no parser was available)' })
      continue
    }
    const result = tablesOfTree(tree)
    if ('error' in result) problems.push({ code: 'sql_parse', message: `SQL does not parse: ${result.error}` })
    else for (const name of result.tables) reads.add(name)
  }
  return { reads: [...reads], writes: [...writes], problems }
}

/** Tables a serialised query reads (BASE_TABLE nodes at any depth), CTE names excluded. */
export function tablesOfTree(tree: SerializedSql): { tables: string[] } | { error: string } {
  let value: unknown
  try {
    value = typeof tree === 'string' ? JSON.parse(tree) : tree
  } catch (err) {
    return { error: `unreadable parse tree: ${err instanceof Error ? err.message : String(err)}` }
  }
  if (!isRecord(value)) return { error: 'unreadable parse tree' }
  if (value.error === true) return { error: String(value.error_message ?? 'unknown parser error') }
  const tables = new Set<string>()
  const ctes = new Set<string>()
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item)
      return
    }
    if (!isRecord(node)) return
    if (node.type === 'BASE_TABLE' && typeof node.table_name === 'string') {
      const parts = [node.catalog_name, node.schema_name, node.table_name].filter(
        (part): part is string => typeof part === 'string' && part !== '',
      )
      tables.add(tableName(parts.map((part) => `"${part.replaceAll('"', '""')}"`).join('.')))
    }
    const cteMap = node.cte_map
    if (isRecord(cteMap) && Array.isArray(cteMap.map)) {
      for (const entry of cteMap.map) if (isRecord(entry) && typeof entry.key === 'string') ctes.add(entry.key)
    }
    for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) walk(child)
  }
  walk(value.statements)
  // DuckDB resolves an unqualified name to a CTE of the same name first.
  const cteKeys = new Set([...ctes].map((name) => name.toLowerCase()))
  return { tables: [...tables].filter((name) => name.includes('.') || !cteKeys.has(name)) }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
