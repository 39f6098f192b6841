import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import type { WorkspaceQueries } from '../sql/workspace-queries.ts'
import { body, errors, json } from './catalog-schemas.ts'

const QueryRequest = z
  .object({
    sql: z.string().min(1).max(100_000).openapi({ example: 'SELECT city, count(*) AS n FROM customers GROUP BY city' }),
    limit: z.number().int().min(1).max(10_000).default(200),
    offset: z.number().int().min(0).max(100_000).default(0),
  })
  .openapi('WorkspaceQueryRequest')

const QueryPage = z
  .object({
    columns: z.array(z.object({ name: z.string(), type: z.string() })),
    rows: z.array(z.array(z.unknown())),
    masked: z.array(z.string()),
    tables: z.array(z.string()),
    offset: z.number(),
    nextOffset: z.number().nullable(),
    durationMs: z.number(),
  })
  .openapi('WorkspaceQueryPage')

const queryRoute = createRoute({
  method: 'post',
  path: '/workspaces/{workspaceId}/sql/query',
  tags: ['sql'],
  summary: "Read-only SQL on the workspace's DuckDB: one SELECT over catalogued tables, PII masked, paged",
  description:
    'Refused (400 `read_only_query_refused`) unless the SQL is exactly one SELECT reading catalogued tables of the ' +
    'workspace; a table that is not catalogued answers 404 `table_not_found`. Runs in a READ ONLY transaction with ' +
    'the statement timeout. Columns derived from PII-tagged columns are masked and listed in `masked`.',
  request: {
    params: z.object({ workspaceId: z.string().min(1).max(100) }),
    body: body(QueryRequest),
  },
  responses: { 200: json(QueryPage, 'A page of rows'), ...errors },
})

/** Read-only queries for API clients and agents (the MCP `run_sql` tool); viewers and read-only tokens included. */
export function workspaceSqlRoutes(identity: Identity, deps: () => WorkspaceQueries | undefined) {
  const ready = requireStarted(deps, 'duckdb_unavailable', 'Workspace queries are still starting')
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
    { ...queryRoute, middleware: [authorize(identity, can.workspaceRead('viewer'), 'sql.query')] },
    async (c) => {
      const { workspaceId } = c.req.valid('param')
      const { sql, limit, offset } = c.req.valid('json')
      const page = await ready().run({
        workspaceId,
        userId: currentPrincipal(c).userId,
        sql,
        limit,
        offset,
        signal: c.req.raw.signal,
      })
      return c.json(page, 200)
    },
  )
}
