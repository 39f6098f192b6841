import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import type { ScratchDatabases } from '../sql/scratch-databases.ts'

const QueryRequest = z
  .object({
    sql: z.string().min(1).max(100_000).openapi({ example: 'SELECT 42 AS answer' }),
    limit: z.number().int().min(0).max(10_000).default(1_000),
  })
  .openapi('ScratchQueryRequest')

const QueryResponse = z
  .object({
    columns: z.array(z.object({ name: z.string(), type: z.string() })),
    rows: z.array(z.array(z.unknown())),
    truncated: z.boolean(),
    durationMs: z.number(),
  })
  .openapi('ScratchQueryResult')

const ErrorSchema = z.object({ code: z.string(), message: z.string(), requestId: z.string() }).openapi('Error')

const runScratchQuery = createRoute({
  method: 'post',
  path: '/sql/scratch',
  tags: ['sql'],
  summary: "Run SQL on the caller's own sandboxed in-memory scratch DuckDB (no file access, no extensions)",
  description:
    'Each account has its own scratch database (memory-limited, dropped when idle). Statements stop at the statement ' +
    'timeout (400 `statement_timeout`) or when the client disconnects; too many queries at once answer 429 ' +
    '(`too_many_queries` for one account, `server_busy` for the server).',
  request: { body: { required: true, content: { 'application/json': { schema: QueryRequest } } } },
  responses: {
    200: { description: 'First page of the result', content: { 'application/json': { schema: QueryResponse } } },
    400: { description: 'Invalid request or SQL error', content: { 'application/json': { schema: ErrorSchema } } },
    429: { description: 'Too many queries at once', content: { 'application/json': { schema: ErrorSchema } } },
  },
})

/**
 * One-shot SQL on the caller's scratch database; notebook execution with sessions is in the kernels routes.
 * Any signed-in account may use it: each account's database is its own, in-memory, sandboxed, and holds no
 * workspace data.
 */
export function sqlRoutes(identity: Identity, scratch: () => ScratchDatabases | undefined) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
    { ...runScratchQuery, middleware: [authorize(identity, can.user, 'sql.scratch')] },
    async (c) => {
      const databases = scratch()
      if (!databases) throw new AppError(503, 'duckdb_unavailable', 'DuckDB is still starting')
      const { sql, limit } = c.req.valid('json')
      const started = performance.now()
      // The request's signal aborts when the client disconnects: the statement is interrupted, not left running.
      const page = await databases.query(currentPrincipal(c).userId, sql, { limit, signal: c.req.raw.signal })
      return c.json({ ...page, durationMs: Math.round((performance.now() - started) * 1000) / 1000 }, 200)
    },
  )
}
