/** One statement of a cell, with where it starts so errors can point at the cell's own lines. */
export interface SqlStatement {
  text: string
  /** 1-based line of the cell where the statement starts. */
  line: number
  /** 1-based column of that line where the statement starts. */
  column: number
}

/**
 * Splits a cell into statements at top-level semicolons, ignoring those in quotes ('', "", $tag$ $tag$) and
 * comments (--, /* *\/). Statements that are only whitespace or comments are dropped.
 * Both DuckDB and PostgreSQL use this lexical structure.
 */
export function splitStatements(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = []
  let start = 0
  let i = 0
  const push = (end: number) => {
    const piece = sql.slice(start, end)
    if (stripComments(piece).trim() !== '') {
      const lead = piece.length - piece.trimStart().length
      const { line, column } = positionOf(sql, start + lead)
      statements.push({ text: piece.trim(), line, column })
    }
    start = end + 1
  }
  while (i < sql.length) {
    const ch = sql[i]
    const next = sql[i + 1]
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i)
      i = end === -1 ? sql.length : end + 1
    } else if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2)
      i = end === -1 ? sql.length : end + 2
    } else if (ch === "'" || ch === '"') {
      i = skipQuoted(sql, i, ch)
    } else if (ch === '$') {
      // A tag is empty or an identifier; `$1` is a parameter, not the start of a quote.
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64))?.[0]
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length)
        i = end === -1 ? sql.length : end + tag.length
      } else i++
    } else if (ch === ';') {
      push(i)
      i++
    } else i++
  }
  push(sql.length)
  return statements
}

function skipQuoted(sql: string, from: number, quote: string): number {
  let i = from + 1
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2
      else return i + 1
    } else i++
  }
  return sql.length
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '')
}

/** 1-based line and column of a character offset. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

/** Maps a position inside `statement` to a position in the whole cell. */
export function cellPosition(
  statement: SqlStatement,
  inStatement: { line: number; column: number },
): { line: number; column: number } {
  if (inStatement.line === 1) return { line: statement.line, column: statement.column + inStatement.column - 1 }
  return { line: statement.line + inStatement.line - 1, column: inStatement.column }
}
