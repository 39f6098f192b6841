// `{{ expression }}` placeholders inside string values of a step's `with`. Pure and dependency-free:
// the workflow renders templates before it calls a step's activity.
import { type Expression, type ExpressionError, type ExpressionScope, evaluate, parseExpression } from './expression.ts'

const PLACEHOLDER = /\{\{(.*?)\}\}/g

/** One placeholder: its expression (or syntax error) and where it starts in the string. */
export type Placeholder = { offset: number } & ({ expression: Expression } | { error: ExpressionError })

/** Placeholders of one string, with their offsets so validation can point at them. */
export function placeholders(text: string): Placeholder[] {
  const found: Placeholder[] = []
  for (const match of text.matchAll(PLACEHOLDER)) {
    const offset = (match.index ?? 0) + 2
    found.push({ offset, ...parseExpression(match[1] as string) })
  }
  return found
}

function renderString(text: string, scope: ExpressionScope): unknown {
  const whole = /^\{\{(.*?)\}\}$/.exec(text)
  if (whole && !whole[1]?.includes('}}')) {
    // A value that is only a placeholder keeps its type: `limit: '{{ params.n }}'` stays a number.
    const parsed = parseExpression(whole[1] as string)
    return 'expression' in parsed ? evaluate(parsed.expression, scope) : text
  }
  return text.replace(PLACEHOLDER, (_, source: string) => {
    const parsed = parseExpression(source)
    if (!('expression' in parsed)) return ''
    const value = evaluate(parsed.expression, scope)
    return value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value)
  })
}

/** Replaces every placeholder in a JSON-like value (strings at any depth). */
export function render(value: unknown, scope: ExpressionScope): unknown {
  if (typeof value === 'string') return value.includes('{{') ? renderString(value, scope) : value
  if (Array.isArray(value)) return value.map((item) => render(item, scope))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, render(item, scope)]))
  }
  return value
}
