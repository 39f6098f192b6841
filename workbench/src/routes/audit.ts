import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { stream } from 'hono/streaming'
import type { AuditEvent, AuditQuery } from '../auth/audit-log.ts'
import { AUDIT_CATEGORIES, auditCategory } from '../auth/audit-policy.ts'
import { labelResources } from '../auth/audit-resources.ts'
import { authorize, can, currentWorkspace } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { validationHook } from '../http/validation.ts'
import { errorResponses, json, Uuid } from './identity-schemas.ts'

const Filters = z.object({
  actorId: Uuid.optional(),
  action: z
    .string()
    .max(100)
    .optional()
    .openapi({ description: 'One action (`members.change_role`), or a prefix: `notebooks.*` or `notebooks.`' }),
  category: z
    .enum(AUDIT_CATEGORIES)
    .optional()
    .openapi({ description: 'auth (sign-ins), change, data (reads of data: rows, exports, previews…), denied' }),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
})
const PageQuery = Filters.extend({
  before: z
    .string()
    .regex(/^\d{1,19}$/, 'must be an event id')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
})
const AdminPageQuery = PageQuery.extend({ workspaceId: Uuid.optional() })
const AdminFilters = Filters.extend({ workspaceId: Uuid.optional() })
const EventSchema = z
  .object({
    id: z.string(),
    occurredAt: z.string(),
    actorId: z.string().nullable(),
    actorEmail: z.string().nullable(),
    workspaceId: z.string().nullable(),
    action: z.string(),
    resource: z.string().nullable(),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    outcome: z.enum(['success', 'failure', 'denied']),
    status: z.number().nullable(),
    detail: z.string().nullable().optional(),
    category: z.enum(['auth', 'change', 'data']),
    /** The resource the path names, by name and with its page in the web app, when it still exists. */
    target: z
      .object({
        kind: z.enum(['notebook', 'pipeline', 'run', 'connection', 'member', 'workspace']),
        id: z.string(),
        name: z.string().optional(),
        link: z.string().optional(),
      })
      .nullable(),
  })
  .openapi('AuditEvent')
const Page = z.object({ events: z.array(EventSchema), nextBefore: z.string().nullable() }).openapi('AuditPage')
const ActionList = z
  .object({ actions: z.array(z.object({ action: z.string(), category: z.enum(['auth', 'change', 'data']) })) })
  .openapi('AuditActions')
const WorkspaceParams = z.object({ workspaceId: z.string().openapi({ param: { name: 'workspaceId', in: 'path' } }) })
const csvResponse = { description: 'CSV (RFC 4180), newest first', content: { 'text/csv': { schema: z.string() } } }

const workspaceLog = createRoute({
  method: 'get',
  path: '/workspaces/{workspaceId}/audit',
  tags: ['audit'],
  summary: "The workspace's audit log, newest first (admin); page with `before`",
  request: { params: WorkspaceParams, query: PageQuery },
  responses: { 200: json(Page), ...errorResponses },
})
const workspaceCsv = createRoute({
  method: 'get',
  path: '/workspaces/{workspaceId}/audit.csv',
  tags: ['audit'],
  summary: "The workspace's audit log as CSV (admin)",
  request: { params: WorkspaceParams, query: Filters },
  responses: { 200: csvResponse, ...errorResponses },
})
const workspaceActions = createRoute({
  method: 'get',
  path: '/workspaces/{workspaceId}/audit/actions',
  tags: ['audit'],
  summary: "The actions the workspace's audit log holds, with their category (admin), for the action filter",
  request: { params: WorkspaceParams },
  responses: { 200: json(ActionList), ...errorResponses },
})
const instanceActions = createRoute({
  method: 'get',
  path: '/admin/audit/actions',
  tags: ['audit'],
  summary: 'The actions the whole audit log holds, with their category (instance admins)',
  responses: { 200: json(ActionList), ...errorResponses },
})
const instanceLog = createRoute({
  method: 'get',
  path: '/admin/audit',
  tags: ['audit'],
  summary: 'The whole audit log (instance admins), optionally one workspace',
  request: { query: AdminPageQuery },
  responses: { 200: json(Page), ...errorResponses },
})
const instanceCsv = createRoute({
  method: 'get',
  path: '/admin/audit.csv',
  tags: ['audit'],
  summary: 'The whole audit log as CSV (instance admins)',
  request: { query: AdminFilters },
  responses: { 200: csvResponse, ...errorResponses },
})

function toQuery(f: z.infer<typeof AdminFilters>): Omit<AuditQuery, 'limit'> {
  return {
    workspaceId: f.workspaceId,
    actorId: f.actorId,
    action: f.action,
    category: f.category,
    outcome: f.outcome,
    from: f.from ? new Date(f.from) : undefined,
    to: f.to ? new Date(f.to) : undefined,
  }
}

function sendCsv(c: Context<AppEnv>, rows: AsyncGenerator<string>, name: string) {
  c.header('Content-Type', 'text/csv; charset=utf-8')
  c.header('Content-Disposition', `attachment; filename="${name}"`)
  return stream(c, async (out) => {
    for await (const line of rows) await out.write(line)
  })
}

/** Reading the audit log. There is deliberately no route that changes or deletes an event. */
export function auditRoutes(identity: Identity) {
  /** A page as people read it: each event's category, and its resource by name with a link. */
  const described = async (page: { events: AuditEvent[]; nextBefore: string | null }) => {
    const targets = await labelResources(identity.db(), page.events)
    return {
      nextBefore: page.nextBefore,
      events: page.events.map((e, i) => ({ ...e, category: auditCategory(e.action), target: targets[i] ?? null })),
    }
  }
  const actionList = (actions: string[]) => ({
    actions: actions.map((action) => ({ action, category: auditCategory(action) })),
  })
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(
      { ...workspaceActions, middleware: [authorize(identity, can.workspace('admin'), 'audit.actions')] },
      async (c) => c.json(actionList(await identity.audit.actions(currentWorkspace(c).id)), 200),
    )
    .openapi(
      { ...instanceActions, middleware: [authorize(identity, can.instanceAdmin, 'admin.audit.actions')] },
      async (c) => c.json(actionList(await identity.audit.actions()), 200),
    )
    .openapi(
      { ...workspaceLog, middleware: [authorize(identity, can.workspace('admin'), 'audit.read')] },
      async (c) => {
        const q = c.req.valid('query')
        const page = await identity.audit.query({
          ...toQuery(q),
          workspaceId: currentWorkspace(c).id,
          before: q.before,
          limit: q.limit,
        })
        return c.json(await described(page), 200)
      },
    )
    .openapi(
      { ...workspaceCsv, middleware: [authorize(identity, can.workspace('admin'), 'audit.export')] },
      async (c) => {
        const rows = identity.audit.csv({ ...toQuery(c.req.valid('query')), workspaceId: currentWorkspace(c).id })
        return sendCsv(c, rows, 'workspace-audit.csv')
      },
    )
    .openapi(
      { ...instanceLog, middleware: [authorize(identity, can.instanceAdmin, 'admin.audit.read')] },
      async (c) => {
        const q = c.req.valid('query')
        return c.json(
          await described(await identity.audit.query({ ...toQuery(q), before: q.before, limit: q.limit })),
          200,
        )
      },
    )
    .openapi(
      { ...instanceCsv, middleware: [authorize(identity, can.instanceAdmin, 'admin.audit.export')] },
      async (c) => {
        return sendCsv(c, identity.audit.csv(toQuery(c.req.valid('query'))), 'audit.csv')
      },
    )
}
