// The small expression language of `when` conditions and `{{ }}` templates. Pure and dependency-free:
// the workflow evaluates conditions itself, so this file must stay deterministic.
//
//   expr    := or
//   or      := and ('||' and)*
//   and     := not ('&&' not)*
//   not     := '!' not | compare
//   compare := primary (('==' | '!=' | '<' | '<=' | '>' | '>=') primary)?
//   primary := number | string | true | false | null | reference | '(' expr ')'
//   reference := ident ('.' ident | '[' (number | string) ']')*

export type Expression =
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'reference'; path: (string | number)[]; offset: number }
  | { kind: 'not'; operand: Expression }
  | { kind: 'logical'; operator: '&&' | '||'; left: Expression; right: Expression }
  | { kind: 'compare'; operator: CompareOperator; left: Expression; right: Expression }

type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>='

/** A syntax error with the character offset inside the expression text. */
export interface ExpressionError {
  message: string
  offset: number
}

type Token =
  | { type: 'number'; value: number; offset: number }
  | { type: 'string'; value: string; offset: number }
  | { type: 'ident'; value: string; offset: number }
  | { type: 'op'; value: string; offset: number }
  | { type: 'end'; offset: number }

const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '.', '[', ']']

function tokenize(text: string): Token[] | ExpressionError {
  const tokens: Token[] = []
  let i = 0
  while (i < text.length) {
    const ch = text[i] as string
    if (/\s/.test(ch)) {
      i += 1
      continue
    }
    const number = /^-?\d+(\.\d+)?/.exec(text.slice(i))
    if (number && (ch !== '-' || tokens.length === 0 || tokens.at(-1)?.type === 'op')) {
      tokens.push({ type: 'number', value: Number(number[0]), offset: i })
      i += number[0].length
      continue
    }
    if (ch === "'" || ch === '"') {
      let j = i + 1
      let value = ''
      while (j < text.length && text[j] !== ch) {
        if (text[j] === '\\' && j + 1 < text.length) j += 1
        value += text[j]
        j += 1
      }
      if (j >= text.length) return { message: 'unterminated string', offset: i }
      tokens.push({ type: 'string', value, offset: i })
      i = j + 1
      continue
    }
    const ident = /^[A-Za-z_][\w-]*/.exec(text.slice(i))
    if (ident) {
      tokens.push({ type: 'ident', value: ident[0], offset: i })
      i += ident[0].length
      continue
    }
    const op = OPERATORS.find((candidate) => text.startsWith(candidate, i))
    if (!op) return { message: `unexpected character '${ch}'`, offset: i }
    tokens.push({ type: 'op', value: op, offset: i })
    i += op.length
  }
  tokens.push({ type: 'end', offset: text.length })
  return tokens
}

class Parser {
  #pos = 0
  constructor(readonly tokens: Token[]) {}

  get #token(): Token {
    return this.tokens[this.#pos] as Token
  }

  #isOp(value: string): boolean {
    const token = this.#token
    return token.type === 'op' && token.value === value
  }

  #fail(message: string): never {
    throw { message, offset: this.#token.offset } satisfies ExpressionError
  }

  parse(): Expression {
    const expression = this.#or()
    if (this.#token.type !== 'end') this.#fail(`unexpected '${describe(this.#token)}'`)
    return expression
  }

  #or(): Expression {
    let left = this.#and()
    while (this.#isOp('||')) {
      this.#pos += 1
      left = { kind: 'logical', operator: '||', left, right: this.#and() }
    }
    return left
  }

  #and(): Expression {
    let left = this.#not()
    while (this.#isOp('&&')) {
      this.#pos += 1
      left = { kind: 'logical', operator: '&&', left, right: this.#not() }
    }
    return left
  }

  #not(): Expression {
    if (this.#isOp('!')) {
      this.#pos += 1
      return { kind: 'not', operand: this.#not() }
    }
    return this.#compare()
  }

  #compare(): Expression {
    const left = this.#primary()
    const token = this.#token
    if (token.type === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(token.value)) {
      this.#pos += 1
      return { kind: 'compare', operator: token.value as CompareOperator, left, right: this.#primary() }
    }
    return left
  }

  #primary(): Expression {
    const token = this.#token
    if (token.type === 'number' || token.type === 'string') {
      this.#pos += 1
      return { kind: 'literal', value: token.value }
    }
    if (token.type === 'op' && token.value === '(') {
      this.#pos += 1
      const inner = this.#or()
      if (!this.#isOp(')')) this.#fail(`expected ')' but found '${describe(this.#token)}'`)
      this.#pos += 1
      return inner
    }
    if (token.type === 'ident') {
      this.#pos += 1
      if (token.value === 'true' || token.value === 'false') return { kind: 'literal', value: token.value === 'true' }
      if (token.value === 'null') return { kind: 'literal', value: null }
      const path: (string | number)[] = [token.value]
      for (;;) {
        if (this.#isOp('.')) {
          this.#pos += 1
          const next = this.#token
          if (next.type !== 'ident') this.#fail(`expected a name after '.' but found '${describe(next)}'`)
          path.push(next.value)
          this.#pos += 1
        } else if (this.#isOp('[')) {
          this.#pos += 1
          const next = this.#token
          if (next.type !== 'number' && next.type !== 'string') this.#fail('expected a number or a string inside [ ]')
          path.push(next.value)
          this.#pos += 1
          if (!this.#isOp(']')) this.#fail(`expected ']' but found '${describe(this.#token)}'`)
          this.#pos += 1
        } else break
      }
      return { kind: 'reference', path, offset: token.offset }
    }
    return this.#fail(`expected a value but found '${describe(token)}'`)
  }
}

function describe(token: Token): string {
  return token.type === 'end' ? 'end of expression' : String(token.value)
}

/**
 * Parses an expression; never throws.
 *
 * @example parseExpression("params.env == 'prod' && steps.count.output.rows > 0")
 */
export function parseExpression(text: string): { expression: Expression } | { error: ExpressionError } {
  const tokens = tokenize(text)
  if (!Array.isArray(tokens)) return { error: tokens }
  try {
    return { expression: new Parser(tokens).parse() }
  } catch (err) {
    return { error: err as ExpressionError }
  }
}

/** Every reference in an expression, in source order (validation checks them against params and steps). */
export function references(expression: Expression): Extract<Expression, { kind: 'reference' }>[] {
  switch (expression.kind) {
    case 'literal':
      return []
    case 'reference':
      return [expression]
    case 'not':
      return references(expression.operand)
    default:
      return [...references(expression.left), ...references(expression.right)]
  }
}

/** What expressions can see: parameter values and finished steps' status and output. */
export interface ExpressionScope {
  params: Record<string, unknown>
  steps: Record<string, { status: string; output?: unknown }>
}

function lookup(scope: ExpressionScope, path: (string | number)[]): unknown {
  let value: unknown = scope
  for (const key of path) {
    if (value === null || typeof value !== 'object') return null
    value = (value as Record<string | number, unknown>)[key]
  }
  return value ?? null
}

function compare(operator: CompareOperator, left: unknown, right: unknown): boolean {
  if (operator === '==' || operator === '!=') {
    const equal = JSON.stringify(left) === JSON.stringify(right)
    return operator === '==' ? equal : !equal
  }
  // Ordering only between two numbers or two strings: anything else is false rather than JS coercion.
  if (
    !(
      (typeof left === 'number' && typeof right === 'number') ||
      (typeof left === 'string' && typeof right === 'string')
    )
  )
    return false
  switch (operator) {
    case '<':
      return left < right
    case '<=':
      return left <= right
    case '>':
      return left > right
    default:
      return left >= right
  }
}

/** The value of an expression; a missing reference is `null`. */
export function evaluate(expression: Expression, scope: ExpressionScope): unknown {
  switch (expression.kind) {
    case 'literal':
      return expression.value
    case 'reference':
      return lookup(scope, expression.path)
    case 'not':
      return !truthy(evaluate(expression.operand, scope))
    case 'logical': {
      const left = truthy(evaluate(expression.left, scope))
      if (expression.operator === '&&') return left && truthy(evaluate(expression.right, scope))
      return left || truthy(evaluate(expression.right, scope))
    }
    case 'compare':
      return compare(expression.operator, evaluate(expression.left, scope), evaluate(expression.right, scope))
  }
}

/** JavaScript truthiness, except that an empty list or object is false (e.g. a query that returned no rows). */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0
  if (value !== null && typeof value === 'object') return Object.keys(value).length > 0
  return Boolean(value)
}
