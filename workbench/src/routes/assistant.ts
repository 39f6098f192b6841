import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { sql } from 'kysely'
import type { AssistantModule } from '../assistant/assistant-module.ts'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError, requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import { body, ErrorBody, json, WorkspaceParam } from './catalog-schemas.ts'

const errors = {
  400: json(ErrorBody, 'Invalid request'),
  404: json(ErrorBody, 'Not found'),
  502: json(ErrorBody, 'The model server failed or is unreachable (the message names its base URL)'),
  503: json(ErrorBody, 'No model is configured, or the assistant is starting'),
  504: json(ErrorBody, 'The model server did not answer in time'),
}

const AskRequest = z
  .object({ question: z.string().trim().min(1).max(4_000).openapi({ example: 'Revenue by month in 2025' }) })
  .openapi('AssistantAskRequest')

const Chart = z
  .object({
    kind: z.enum(['bar', 'line', 'point', 'arc']),
    title: z.string(),
    reason: z.string(),
    spec: z.record(z.string(), z.unknown()).openapi({ description: 'A Vega-Lite v5 spec with the rows inline' }),
  })
  .openapi('AssistantChart')

const AskAnswer = z
  .object({
    status: z.enum(['answered', 'refused', 'not_found', 'failed']),
    reason: z.string().nullable(),
    sql: z.string().nullable(),
    explanation: z.string(),
    result: z
      .object({
        columns: z.array(z.object({ name: z.string(), type: z.string() })),
        rows: z.array(z.array(z.unknown())),
        masked: z.array(z.string()),
        nextOffset: z.number().nullable(),
      })
      .nullable(),
    tables: z.array(z.string()),
    chart: Chart.nullable(),
    charts: z.array(Chart),
    insights: z
      .object({
        summary: z.string(),
        facts: z.array(
          z.object({ label: z.string(), value: z.union([z.number(), z.string(), z.null()]), sql: z.string() }),
        ),
      })
      .nullable(),
    attempts: z.array(z.object({ sql: z.string().nullable(), error: z.string().nullable() })),
    usage: z.object({
      promptTokens: z.number(),
      completionTokens: z.number(),
      estimated: z.boolean(),
      costUsd: z.number(),
      calls: z.number(),
    }),
    historyId: z.string().nullable(),
  })
  .openapi('AssistantAnswer')

const HistoryEntry = z
  .object({
    id: z.string(),
    origin: z.string(),
    question: z.string().nullable(),
    sql: z.string(),
    outcome: z.string(),
    error: z.string().nullable(),
    rowCount: z.number().nullable(),
    durationMs: z.number().nullable(),
    tables: z.array(z.string()),
    accepted: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('QueryHistoryEntry')

const UsageRow = z.object({
  period: z.string(),
  calls: z.number(),
  promptTokens: z.number(),
  completionTokens: z.number(),
  costUsd: z.number(),
  queries: z.number(),
})

const askRoute = createRoute({
  method: 'post',
  path: '/workspaces/{workspaceId}/assistant/ask',
  tags: ['assistant'],
  summary: 'A question in plain language answered with SQL, its first page of rows, a chart and insights',
  description:
    'Retrieves candidate tables from the catalog, asks the model for one SELECT, validates and runs it read-only ' +
    '(only catalogued tables, PII masked), correcting parse/bind errors a bounded number of times. `status` says ' +
    'whether it was answered, refused (with the reason; nothing ran), not found, or failed.',
  request: { params: WorkspaceParam, body: body(AskRequest) },
  responses: { 200: json(AskAnswer, 'The answer'), ...errors },
})

const historyRoute = createRoute({
  method: 'get',
  path: '/workspaces/{workspaceId}/assistant/history',
  tags: ['assistant'],
  summary: "The caller's query history in this workspace, newest first, searchable",
  request: {
    params: WorkspaceParam,
    query: z.object({
      q: z.string().max(200).optional(),
      accepted: z.enum(['true', 'false']).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
  },
  responses: { 200: json(z.object({ items: z.array(HistoryEntry) }), 'History entries'), ...errors },
})

const feedbackRoute = createRoute({
  method: 'post',
  path: '/workspaces/{workspaceId}/assistant/history/{historyId}/feedback',
  tags: ['assistant'],
  summary: 'Thumbs up (accepted: a few-shot example for later questions) or down on an answer',
  request: {
    params: WorkspaceParam.extend({ historyId: z.string().min(1).max(100) }),
    body: body(z.object({ accepted: z.boolean() })),
  },
  responses: { 200: json(HistoryEntry, 'The entry'), ...errors },
})

const usageRoute = createRoute({
  method: 'get',
  path: '/workspaces/{workspaceId}/assistant/usage',
  tags: ['assistant'],
  summary: 'Model calls, tokens, cost and assistant queries of this workspace per day or month',
  request: {
    params: WorkspaceParam,
    query: z.object({ period: z.enum(['day', 'month']).default('day'), mine: z.enum(['true', 'false']).optional() }),
  },
  responses: { 200: json(z.object({ items: z.array(UsageRow) }), 'Usage per period, newest first'), ...errors },
})

/** The assistant's REST surface; the MCP `ask` tool calls the same ask route. */
export function assistantRoutes(identity: Identity, deps: () => AssistantModule | undefined) {
  const ready = requireStarted(deps, 'assistant_unavailable', 'The assistant is still starting')
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(
      { ...askRoute, middleware: [authorize(identity, can.workspaceRead('viewer'), 'assistant.ask')] },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        const { question } = c.req.valid('json')
        const principal = currentPrincipal(c)
        const answer = await ready().textToSql.ask({
          workspaceId,
          userId: principal.userId,
          userEmail: principal.email,
          question,
          origin: principal.via === 'api_token' ? 'api' : 'assistant',
          requestId: c.get('requestId') ?? null,
          ip: c.get('clientIp') ?? null,
          signal: c.req.raw.signal,
        })
        return c.json(answer, 200)
      },
    )
    .openapi(
      { ...historyRoute, middleware: [authorize(identity, can.workspaceRead('viewer'), 'assistant.history')] },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        const { q, accepted, limit } = c.req.valid('query')
        let query = ready()
          .db()
          .selectFrom('query_history')
          .selectAll()
          .where('workspace_id', '=', workspaceId)
          .where('user_id', '=', currentPrincipal(c).userId)
        if (accepted) query = query.where('accepted', '=', accepted === 'true')
        if (q?.trim()) {
          const pattern = `%${q
            .trim()
            .toLowerCase()
            .replace(/[\\%_]/g, (m) => `\\${m}`)}%`
          query = query.where((eb) =>
            eb.or([eb(sql`lower(question)`, 'like', pattern), eb(sql`lower(sql)`, 'like', pattern)]),
          )
        }
        const rows = await query.orderBy('created_at', 'desc').limit(limit).execute()
        return c.json({ items: rows.map(historyEntry) }, 200)
      },
    )
    .openapi(
      { ...feedbackRoute, middleware: [authorize(identity, can.workspaceRead('viewer'), 'assistant.feedback')] },
      async (c) => {
        const { workspaceId, historyId } = c.req.valid('param')
        const { accepted } = c.req.valid('json')
        const row = await ready()
          .db()
          .updateTable('query_history')
          .set({ accepted })
          .where('id', '=', historyId)
          .where('workspace_id', '=', workspaceId)
          .where('user_id', '=', currentPrincipal(c).userId)
          // Only answers that ran can teach later questions.
          .where('outcome', '=', 'ok')
          .returningAll()
          .executeTakeFirst()
        if (!row) throw new AppError(404, 'history_not_found', 'No successful answer with this id is in your history')
        return c.json(historyEntry(row), 200)
      },
    )
    .openapi(
      { ...usageRoute, middleware: [authorize(identity, can.workspaceRead('viewer'), 'assistant.usage')] },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        const { period, mine } = c.req.valid('query')
        const userId = mine === 'true' ? currentPrincipal(c).userId : undefined
        return c.json({ items: await ready().usage(workspaceId, period, userId) }, 200)
      },
    )
}

function historyEntry(row: {
  id: string
  origin: string
  question: string | null
  sql: string
  outcome: string
  error: string | null
  row_count: number | null
  duration_ms: number | null
  tables: string[] | string
  accepted: boolean
  created_at: Date | string
}) {
  return {
    id: row.id,
    origin: row.origin,
    question: row.question,
    sql: row.sql,
    outcome: row.outcome,
    error: row.error,
    rowCount: row.row_count,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    tables: typeof row.tables === 'string' ? (JSON.parse(row.tables) as string[]) : row.tables,
    accepted: row.accepted,
    createdAt: new Date(row.created_at).toISOString(),
  }
}
