import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Logger } from 'pino'
import { redactServerPaths, redactServerPathsDeep } from './server-paths.ts'

/**
 * The one error the API answers with: a stable machine-readable `code`, a human message, the HTTP status.
 *
 * @example
 * throw new AppError(409, 'notebook_conflict', 'The notebook was renamed meanwhile')
 */
export class AppError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(status, { message })
    this.name = 'AppError'
  }
}

/** Thrown by `...OrThrow` lookups; answered 404 with code `<resource>_not_found`. */
export class NotFoundError extends AppError {
  constructor(resource: string, id: string) {
    super(404, `${resource}_not_found`, `No ${resource.replaceAll('_', ' ')} with id ${id}`)
    this.name = 'NotFoundError'
  }
}

export interface ErrorBody {
  code: string
  message: string
  requestId: string
  details?: unknown
}

/**
 * `app.onError`: AppErrors keep their code; anything else is logged and answered 500 without internals.
 * Messages and details never carry a server path (DuckDB, file and import errors name files by path).
 */
export function errorHandler(logger: Logger) {
  return (err: Error, c: Context): Response => {
    const requestId = c.get('requestId') ?? 'unknown'
    if (err instanceof AppError) {
      const body: ErrorBody = { code: err.code, message: redactServerPaths(err.message), requestId }
      if (err.details !== undefined) body.details = redactServerPathsDeep(err.details)
      return c.json(body, err.status)
    }
    if (err instanceof HTTPException) {
      const status = err.status
      const body: ErrorBody = {
        code: httpCode(status),
        message: redactServerPaths(err.message || 'Request failed'),
        requestId,
      }
      return c.json(body, status as ContentfulStatusCode)
    }
    logger.error({ err, requestId }, 'unhandled error')
    const body: ErrorBody = { code: 'internal_error', message: 'Internal server error', requestId }
    return c.json(body, 500)
  }
}

/** 404 for routes that do not exist, in the same error shape. */
export function notFoundHandler(c: Context): Response {
  const body: ErrorBody = {
    code: 'route_not_found',
    message: `No route for ${c.req.method} ${c.req.path}`,
    requestId: c.get('requestId') ?? 'unknown',
  }
  return c.json(body, 404)
}

function httpCode(status: number): string {
  if (status === 400) return 'bad_request'
  if (status === 401) return 'unauthorized'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'not_found'
  if (status === 413) return 'payload_too_large'
  return `http_${status}`
}

/**
 * The service a route needs, or a 503 with `code` while it is still starting: the HTTP server answers before
 * the metadata DB and the services behind it are up.
 *
 * @example
 * const ready = requireStarted(deps, 'files_unavailable', 'Files are still starting')
 */
export function requireStarted<T>(service: () => T | undefined, code: string, message: string): () => T {
  return () => {
    const started = service()
    if (!started) throw new AppError(503, code, message)
    return started
  }
}
