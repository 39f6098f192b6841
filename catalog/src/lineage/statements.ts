/**
 * Splits a SQL script into statements on `;`, ignoring semicolons in quotes, comments and dollar-quoted bodies.
 * Comments are kept with their statement; empty statements are dropped.
 */
export function splitStatements(script: string): string[] {
  const out: string[] = []
  let start = 0
  let i = 0
  const n = script.length
  while (i < n) {
    const ch = script[i]
    const next = script[i + 1]
    if (ch === "'" || ch === '"' || ch === '`') {
      i++
      while (i < n && !(script[i] === ch && script[i + 1] !== ch)) i += script[i] === ch ? 2 : 1
      i++
    } else if (ch === '-' && next === '-') {
      while (i < n && script[i] !== '\n') i++
    } else if (ch === '/' && next === '*') {
      const end = script.indexOf('*/', i + 2)
      i = end < 0 ? n : end + 2
    } else if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(script.slice(i))?.[0]
      if (tag) {
        const end = script.indexOf(tag, i + tag.length)
        i = end < 0 ? n : end + tag.length
      } else i++
    } else if (ch === ';') {
      out.push(script.slice(start, i))
      start = ++i
    } else i++
  }
  out.push(script.slice(start))
  return out.filter((s) => stripComments(s).trim() !== '')
}

/** The statement without leading/trailing comments and whitespace (inner comments are left alone). */
export function stripComments(statement: string): string {
  let s = statement.trim()
  for (;;) {
    if (s.startsWith('--')) {
      const nl = s.indexOf('\n')
      s = nl < 0 ? '' : s.slice(nl + 1).trim()
    } else if (s.startsWith('/*')) {
      const end = s.indexOf('*/')
      s = end < 0 ? '' : s.slice(end + 2).trim()
    } else return s
  }
}

/** A `schema.table` reference as parts, unquoted; unquoted parts are lower-cased (DuckDB and PostgreSQL fold them). */
export function parseQualifiedName(text: string): string[] {
  const parts: string[] = []
  const re = /\s*(?:"((?:[^"]|"")+)"|([^\s."]+))\s*(\.|$)/gy
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    parts.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : (m[2] ?? '').toLowerCase())
    if (m[3] === '' || re.lastIndex >= text.length) break
  }
  return parts
}

const NAME = String.raw`(?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+)){0,2}`
const CREATE_AS = new RegExp(
  String.raw`^create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary)\s+)?(table|view)\s+(?:if\s+not\s+exists\s+)?(${NAME})\s*(?:\(([^()]*)\))?\s+as\s+([\s\S]+)$`,
  'i',
)
const INSERT = new RegExp(
  String.raw`^insert\s+(?:or\s+(?:replace|ignore)\s+)?into\s+(${NAME})\s*(?:\(([^()]*)\))?\s*(?:by\s+(?:name|position)\s+)?([\s\S]+)$`,
  'i',
)

/** What a statement writes (if anything) and the query that produces the data. */
export interface ShapedStatement {
  /** `create` (CREATE TABLE/VIEW … AS), `insert` (INSERT INTO … query), `select`, or `other` (not analysed). */
  kind: 'create' | 'insert' | 'select' | 'other'
  target?: { parts: string[]; columns?: string[] }
  /** The SELECT (or WITH/FROM/VALUES) part, as DuckDB's serializer accepts only queries. */
  query?: string
}

/** Recognises the statement forms lineage understands; the query part is then parsed by DuckDB. */
export function shapeStatement(statement: string): ShapedStatement {
  const s = stripComments(statement)
  const columns = (list: string | undefined) =>
    list === undefined ? undefined : list.split(',').map((c) => parseQualifiedName(c.trim())[0] ?? c.trim())
  const create = CREATE_AS.exec(s)
  if (create)
    return {
      kind: 'create',
      target: { parts: parseQualifiedName(create[2] ?? ''), columns: columns(create[3]) },
      query: create[4],
    }
  const insert = INSERT.exec(s)
  if (insert && /^(\(|select\b|with\b|from\b|values\b)/i.test((insert[3] ?? '').trim()))
    return {
      kind: 'insert',
      target: { parts: parseQualifiedName(insert[1] ?? ''), columns: columns(insert[2]) },
      query: insert[3],
    }
  if (/^(\(|select\b|with\b|from\b)/i.test(s)) return { kind: 'select', query: s }
  return { kind: 'other' }
}
