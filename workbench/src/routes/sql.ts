import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { DuckdbDatabase } from '@workbench/kernels/duckdb'
import { authorize, can } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'

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
  summary: 'Run SQL on the sandboxed in-memory scratch DuckDB (no file access, no extensions)',
  request: { body: { required: true, content: { 'application/json': { schema: QueryRequest } } } },
  responses: {
    200: { description: 'First page of the result', content: { 'application/json': { schema: QueryResponse } } },
    400: { description: 'Invalid request or SQL error', content: { 'application/json': { schema: ErrorSchema } } },
  },
})

/**
 * One-shot SQL on a scratch database; notebook execution with sessions comes with the kernels issue.
 * Any signed-in account may use it: the database is in-memory, sandboxed and holds no workspace data.
 */
export function sqlRoutes(identity: Identity, scratch: () => DuckdbDatabase | undefined) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
    { ...runScratchQuery, middleware: [authorize(identity, can.user, 'sql.scratch')] },
    async (c) => {
      const db = scratch()
      if (!db) throw new AppError(503, 'duckdb_unavailable', 'DuckDB is still starting')
      const { sql, limit } = c.req.valid('json')
      const started = performance.now()
      try {
        const page = await db.query(sql, { limit })
        return c.json({ ...page, durationMs: Math.round((performance.now() - started) * 1000) / 1000 }, 200)
      } catch (err) {
        throw new AppError(400, 'sql_error', err instanceof Error ? err.message : String(err))
      }
    },
  )
}
