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
 * DuckDB errors read `Parser Error: syntax error at or near "x"\n\nLINE 1: SELECT 1 FORM x\n     ^`.
 * Splits that into the class, the message and the position of the caret within the statement.
 */
export function parseDuckdbError(raw: string): {
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
    const prefix = `LINE ${context[1]}: `.length
    // A long line is shown as a window starting with "...": the caret column is then not the real column.
    if (!context[2].startsWith('...')) at = { line: Number(context[1]), column: context[3].length - prefix + 1 }
    message = message.slice(0, context.index)
  }
  return { ename, message: message.trim(), at }
}
