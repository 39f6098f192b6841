import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { validationHook } from '../http/validation.ts'

const Problem = z
  .object({
    id: z.string(),
    notebookId: z.string(),
    notebookName: z.string(),
    workspaceId: z.string(),
    kind: z.string(),
    detail: z.string(),
    createdAt: z.string(),
  })
  .openapi('NotebookProblem')
const Page = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
})
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})
const Answer = json(z.object({ items: z.array(Problem), total: z.number() }), 'Problems, newest first')

const workspaceRoute = createRoute({
  method: 'get',
  path: '/workspaces/{workspaceId}/notebook-problems',
  tags: ['notebooks'],
  summary: "Problems met loading this workspace's notebooks (corrupted stored updates or snapshots); admins",
  request: { params: z.object({ workspaceId: z.string().min(1).max(100) }), query: Page },
  responses: { 200: Answer },
})
const instanceRoute = createRoute({
  method: 'get',
  path: '/admin/notebook-problems',
  tags: ['admin'],
  summary: 'Problems met loading any notebook (corrupted stored updates or snapshots); instance admins',
  request: { query: Page },
  responses: { 200: Answer },
})

/** The document store's `notebook_problems`, for workspace admins (theirs) and instance admins (all). */
export function notebookProblemRoutes(identity: Identity) {
  const page = async (workspaceId: string | undefined, limit: number, offset: number) => {
    const kysely = identity.db()
    let query = kysely
      .selectFrom('notebook_problems')
      .innerJoin('notebooks', 'notebooks.id', 'notebook_problems.notebook_id')
    if (workspaceId) query = query.where('notebooks.workspace_id', '=', workspaceId)
    const [rows, count] = await Promise.all([
      query
        .select([
          'notebook_problems.id',
          'notebook_problems.notebook_id',
          'notebooks.name',
          'notebooks.workspace_id',
          'notebook_problems.kind',
          'notebook_problems.detail',
          'notebook_problems.created_at',
        ])
        .orderBy('notebook_problems.id', 'desc')
        .limit(limit)
        .offset(offset)
        .execute(),
      query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
    ])
    return {
      items: rows.map((r) => ({
        id: String(r.id),
        notebookId: r.notebook_id,
        notebookName: r.name,
        workspaceId: r.workspace_id,
        kind: r.kind,
        detail: r.detail,
        createdAt: new Date(r.created_at).toISOString(),
      })),
      total: Number(count.total),
    }
  }
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(
      { ...workspaceRoute, middleware: [authorize(identity, can.workspace('admin'), 'notebooks.problems.list')] },
      async (c) => {
        const { limit, offset } = c.req.valid('query')
        return c.json(await page(c.req.valid('param').workspaceId, limit, offset), 200)
      },
    )
    .openapi(
      { ...instanceRoute, middleware: [authorize(identity, can.instanceAdmin, 'admin.notebooks.problems.list')] },
      async (c) => {
        const { limit, offset } = c.req.valid('query')
        return c.json(await page(undefined, limit, offset), 200)
      },
    )
}
