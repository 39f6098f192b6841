import type { OdooField } from './client.ts'

/** The comparison operators of Odoo domains. */
export const DOMAIN_OPERATORS = [
  '=',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  'in',
  'not in',
  'like',
  'not like',
  'ilike',
  'not ilike',
  '=like',
  '=ilike',
  'child_of',
  'parent_of',
] as const

export type DomainOperator = (typeof DOMAIN_OPERATORS)[number]
export type DomainScalar = string | number | boolean
/** `[field or dotted.path, operator, value]` */
export type DomainLeaf = [string, DomainOperator, DomainScalar | DomainScalar[] | false]
/** Prefix (Polish) notation: `&` and `|` take the next two terms, `!` the next one; terms side by side are ANDed. */
export type Domain = (DomainLeaf | '&' | '|' | '!')[]

/** A domain that is not well formed, with the index of the bad term. */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message)
    this.name = 'DomainError'
  }
}

const PATH = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$/i
const OPERATORS = new Set<string>(DOMAIN_OPERATORS)
const LIST_OPERATORS = new Set(['in', 'not in'])

/**
 * Checks a domain's shape (operators, arity, leaves, value types) and, given the model's fields, that
 * each path's first field exists and that dotted paths go through relational fields. Answers the domain
 * typed; throws {@link DomainError} naming the term.
 */
export function validateDomain(value: unknown, fields?: Record<string, Pick<OdooField, 'type'>>): Domain {
  if (!Array.isArray(value)) throw new DomainError('a domain is a list of terms', -1)
  let needed = 1
  value.forEach((term, i) => {
    if (needed === 0) needed = 1 // terms side by side are ANDed
    if (term === '&' || term === '|') {
      needed += 1
      return
    }
    if (term === '!') return
    needed -= 1
    if (!Array.isArray(term) || term.length !== 3)
      throw new DomainError(`term ${i} is neither an operator nor a [field, operator, value] leaf`, i)
    const [path, op, v] = term as unknown[]
    if ((path === 1 || path === 0) && op === '=' && v === 1) return
    if (typeof path !== 'string' || !PATH.test(path))
      throw new DomainError(`term ${i}: ${JSON.stringify(path)} is not a field path`, i)
    if (typeof op !== 'string' || !OPERATORS.has(op))
      throw new DomainError(`term ${i}: unknown operator ${JSON.stringify(op)}`, i)
    if (LIST_OPERATORS.has(op) && !Array.isArray(v))
      throw new DomainError(`term ${i}: "${op}" needs a list of values`, i)
    const scalar = (x: unknown) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean'
    if (Array.isArray(v) ? !v.every(scalar) : !scalar(v))
      throw new DomainError(`term ${i}: values must be text, numbers or booleans`, i)
    if (fields) {
      const [first = '', ...rest] = path.split('.')
      const f = fields[first]
      if (!f) throw new DomainError(`term ${i}: the model has no field ${first}`, i)
      if (rest.length > 0 && !['many2one', 'one2many', 'many2many'].includes(f.type))
        throw new DomainError(`term ${i}: ${first} is not a relational field, so ${path} cannot be followed`, i)
    }
  })
  if (value.length > 0 && needed !== 0) throw new DomainError('an operator is missing its terms', value.length)
  return value as Domain
}

/** One term: several side-by-side terms made a single `&` expression. */
function single(d: Domain): Domain {
  validateDomain(d)
  if (d.length === 0) return [[1 as unknown as string, '=', 1] as unknown as DomainLeaf]
  const terms = topLevelTerms(d)
  return [...Array<'&'>(terms.length - 1).fill('&'), ...terms.flat()] as Domain
}

function topLevelTerms(d: Domain): Domain[] {
  const out: Domain[] = []
  let i = 0
  const take = (): Domain => {
    const t = d[i++]
    if (t === '&' || t === '|') return [t, ...take(), ...take()]
    if (t === '!') return ['!', ...take()]
    return [t as DomainLeaf]
  }
  while (i < d.length) out.push(take())
  return out
}

/**
 * A typed domain builder.
 *
 * @example
 * const d = domainOf.and(
 *   domainOf.where('parent_state', '=', 'posted'),
 *   domainOf.or(domainOf.where('account_type', '=', 'asset_receivable'), domainOf.where('account_type', '=', 'liability_payable')),
 * )
 * // ['&', ['parent_state','=','posted'], '|', ['account_type','=','asset_receivable'], ['account_type','=','liability_payable']]
 */
export const domainOf = {
  where: (path: string, op: DomainOperator, value: DomainLeaf[2]): Domain => validateDomain([[path, op, value]]),
  and: (...parts: Domain[]): Domain => combine('&', parts),
  or: (...parts: Domain[]): Domain => combine('|', parts),
  not: (part: Domain): Domain => ['!', ...single(part)],
}

function combine(op: '&' | '|', parts: Domain[]): Domain {
  const nonEmpty = parts.filter((p) => p.length > 0)
  if (nonEmpty.length === 0) return []
  return [...Array<'&' | '|'>(nonEmpty.length - 1).fill(op), ...nonEmpty.flatMap(single)] as Domain
}
