import type { Hook } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { AppError } from './errors.ts'

/**
 * Turns a failed request validation into a 400 `validation_failed` naming each bad field, instead of
 * zod-openapi's default body.
 */
// biome-ignore lint/suspicious/noExplicitAny: the hook serves every route, whatever its env and schema
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (result.success) {
    // PostgreSQL text cannot hold a NUL byte and no name or id needs one: refused here, naming the field,
    // instead of failing as a 500 deep inside a query.
    const found = findNul(result.data)
    if (found) {
      const prefix = result.target === 'json' ? '' : result.target === 'param' ? 'path.' : `${result.target}.`
      throw nulByteError(found === '(body)' ? `${prefix}(value)` : `${prefix}${found}`)
    }
    return
  }
  const fields = result.error.issues.map((issue) => ({
    field: issue.path.join('.') || '(body)',
    message: issue.message,
  }))
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ')
  throw new AppError(400, 'validation_failed', `Invalid request: ${summary}`, { fields })
}

const NUL = '\u0000'

/** Where a NUL byte sits in a parsed JSON value: `name`, `cells.3.source`, `(body)`; undefined if none. */
export function findNul(value: unknown, at: string[] = []): string | undefined {
  const here = () => at.join('.') || '(body)'
  if (typeof value === 'string') return value.includes(NUL) ? here() : undefined
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findNul(item, [...at, String(i)])
      if (found) return found
    }
    return undefined
  }
  if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) {
      if (key.includes(NUL)) return [...at, key.replaceAll(NUL, '\\0')].join('.')
      const found = findNul(item, [...at, key])
      if (found) return found
    }
  return undefined
}

/** The 400 for a NUL byte in `field`: PostgreSQL text cannot hold one, and no name or id needs one. */
export function nulByteError(field: string): AppError {
  return new AppError(400, 'validation_failed', `Invalid request: ${field}: must not contain a NUL byte`, {
    fields: [{ field, message: 'must not contain a NUL byte' }],
  })
}

/**
 * Refuses NUL bytes in the path and the query string with a 400 naming the field, before any route
 * sees them (routes without a schema too). Bodies are checked where they are parsed: JSON bodies by
 * {@link validationHook}, files (.ipynb, CSV) by their importers; this middleware never reads a body, so
 * body limits further down still apply.
 */
export function rejectNulBytes(): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url)
    let decoded: string
    try {
      decoded = decodeURIComponent(url.pathname)
    } catch {
      throw new AppError(400, 'validation_failed', 'Invalid request: the path is not valid percent-encoding', {
        fields: [{ field: 'path', message: 'not valid percent-encoding' }],
      })
    }
    if (decoded.includes(NUL)) {
      const segment = decoded.split('/').findIndex((part) => part.includes(NUL))
      throw nulByteError(`path segment ${segment}`)
    }
    for (const [key, value] of url.searchParams)
      if (key.includes(NUL) || value.includes(NUL)) throw nulByteError(`query.${key.replaceAll(NUL, '\\0')}`)
    await next()
  }
}
