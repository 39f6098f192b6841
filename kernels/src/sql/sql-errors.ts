import { type ErrorOutput, errorOutput } from '../kernel.ts'
import { cellPosition, type SqlStatement } from './split-statements.ts'

/**
 * An engine error as an error output: `ename` from the engine's error class (`Parser Error` -> `ParserError`),
 * and, when the engine says where, `line N, column M` of the cell in the message and traceback.
 */
export function sqlErrorOutput(
  statement: SqlStatement,
  ename: string,
  message: string,
  at?: { line: number; column: number },
): ErrorOutput {
  if (!at) return errorOutput(ename, message, [`${ename}: ${message}`])
  const where = cellPosition(statement, at)
  const evalue = `${message} (line ${where.line}, column ${where.column})`
  return errorOutput(ename, evalue, [`${ename}: ${evalue}`, `${statement.text.split('\n')[at.line - 1] ?? ''}`])
}

/**
 * An engine error raised while running the user's statement inside generated SQL (e.g. `CREATE TEMP TABLE x AS`
 * followed by the statement): `lineOffset` generated lines come before the user's first line, so the engine's
 * line numbers are that many too high. The message is the engine's own.
 */
export class WrappedStatementError extends Error {
  readonly lineOffset: number

  constructor(cause: unknown, lineOffset: number) {
    super(cause instanceof Error ? cause.message : String(cause), { cause })
    this.name = 'WrappedStatementError'
    this.lineOffset = lineOffset
  }
}

/**
 * DuckDB errors read `Parser Error: syntax error at or near "x"\n\nLINE 1: SELECT 1 FORM x\n     ^`.
 * Splits that into the class, the message and the position of the caret within the statement. Every error
 * class (parser, binder, catalog, conversion...) uses the same excerpt. `lineOffset` generated lines ran
 * before the statement (see {@link WrappedStatementError}). A long line is shown as a window between `...`:
 * with the statement's text the window is found in the real line; without it, no position is claimed.
 */
export function parseDuckdbError(
  raw: string,
  source: { text?: string; lineOffset?: number } = {},
): {
  ename: string
  message: string
  at?: { line: number; column: number }
} {
  const head = /^([A-Za-z ]+) Error: ([\s\S]*)$/.exec(raw)
  const words = head?.[1]?.split(' ').map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
  const ename = words ? `${words.join('')}Error` : 'SqlError'
  let message = head?.[2] ?? raw
  const context = /\n\nLINE (\d+): (.*)\n( *)\^/.exec(message)
  let at: { line: number; column: number } | undefined
  if (context?.[1] && context[2] !== undefined && context[3] !== undefined) {
    const line = Number(context[1]) - (source.lineOffset ?? 0)
    const caret = context[3].length - `LINE ${context[1]}: `.length
    const column = excerptColumn(context[2], caret, source.text?.split('\n')[line - 1])
    if (line >= 1 && column !== undefined) at = { line, column }
    message = message.slice(0, context.index)
  }
  return { ename, message: message.trim(), at }
}

/** The 1-based column in `real` of the caret at `caret` (0-based) under DuckDB's excerpt of that line. */
function excerptColumn(excerpt: string, caret: number, real: string | undefined): number | undefined {
  const windowed = excerpt.startsWith('...')
  if (!windowed) return real !== undefined && caret > real.length ? undefined : caret + 1
  if (real === undefined) return undefined
  const core = excerpt.slice(3).replace(/\.\.\.$/, '')
  const start = real.indexOf(core)
  if (!core || start < 0) return undefined
  return start + (caret - 3) + 1
}
