import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { AppError } from './errors.ts'

/**
 * Routes that bound their bodies themselves: upload chunks and documents stream to disk under their own size limit,
 * notebook import has its own (larger) limit, and separate workers post step results under their token.
 */
const OWN_LIMIT: readonly { method: string; path: RegExp }[] = [
  { method: 'PUT', path: /^\/api\/workspaces\/[^/]+\/files\/uploads\/[^/]+$/ },
  { method: 'POST', path: /^\/api\/workspaces\/[^/]+\/notebooks\/import$/ },
  // Document uploads stream to disk under the documents' size limit.
  { method: 'POST', path: /^\/api\/workspaces\/[^/]+\/documents$/ },
  // The worker token is checked before the body is read.
  { method: 'POST', path: /^\/internal\/pipeline-steps\/run$/ },
]

/**
 * A request body limit for every route (Hono `bodyLimit`): a declared `Content-Length` over the limit is refused
 * before anything is read, a streamed body as soon as it passes the limit; both answer 413 `body_too_large`.
 *
 * @example
 * app.use('*', requestBodyLimit({ maxBytes: 1024 * 1024 }))
 */
export function requestBodyLimit(options: {
  maxBytes: number
  /** More routes with a limit of their own (method and path). */
  exempt?: readonly { method: string; path: RegExp }[]
}): MiddlewareHandler {
  const exempt = [...OWN_LIMIT, ...(options.exempt ?? [])]
  const limit = bodyLimit({
    maxSize: options.maxBytes,
    onError: () => {
      throw new AppError(413, 'body_too_large', `Request bodies are limited to ${options.maxBytes} bytes`, {
        limit: options.maxBytes,
      })
    },
  })
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next()
    if (exempt.some((e) => e.method === c.req.method && e.path.test(c.req.path))) return next()
    return limit(c, next)
  }
}
