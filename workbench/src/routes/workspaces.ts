import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal, currentWorkspace } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { workspaceScope } from '../auth/workspace-scope.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError, NotFoundError } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import { errorResponses, json, jsonBody, Name, RoleSchema, Uuid, WorkspaceSchema } from './identity-schemas.ts'

const WorkspaceParams = z.object({ workspaceId: z.string().openapi({ param: { name: 'workspaceId', in: 'path' } }) })
const MemberParams = WorkspaceParams.extend({
  userId: Uuid.openapi({ param: { name: 'userId', in: 'path' } }),
})
const MemberSchema = z
  .object({ userId: z.string(), email: z.string(), name: z.string(), role: RoleSchema, joinedAt: z.string() })
  .openapi('Member')

const listMine = createRoute({
  method: 'get',
  path: '/workspaces',
  tags: ['workspaces'],
  summary: 'Workspaces the caller is a member of, with their role',
  responses: { 200: json(z.object({ workspaces: z.array(WorkspaceSchema) })), ...errorResponses },
})
const create = createRoute({
  method: 'post',
  path: '/workspaces',
  tags: ['workspaces'],
  summary: 'Create a workspace; the caller becomes its owner',
  request: jsonBody(z.object({ name: Name })),
  responses: { 201: json(WorkspaceSchema, 'Created'), ...errorResponses },
})
const get = createRoute({
  method: 'get',
  path: '/workspaces/{workspaceId}',
  tags: ['workspaces'],
  summary: 'One workspace',
  request: { params: WorkspaceParams },
  responses: { 200: json(WorkspaceSchema), ...errorResponses },
})
const rename = createRoute({
  method: 'patch',
  path: '/workspaces/{workspaceId}',
  tags: ['workspaces'],
  summary: 'Rename a workspace (admin)',
  request: { params: WorkspaceParams, ...jsonBody(z.object({ name: Name })) },
  responses: { 200: json(WorkspaceSchema), ...errorResponses },
})
const remove = createRoute({
  method: 'delete',
  path: '/workspaces/{workspaceId}',
  tags: ['workspaces'],
  summary: 'Delete a workspace (owner; soft delete: data is kept but no longer reachable)',
  request: { params: WorkspaceParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
})
const listMembers = createRoute({
  method: 'get',
  path: '/workspaces/{workspaceId}/members',
  tags: ['workspaces'],
  summary: 'Members and their roles',
  request: { params: WorkspaceParams },
  responses: { 200: json(z.object({ members: z.array(MemberSchema) })), ...errorResponses },
})
const changeRole = createRoute({
  method: 'patch',
  path: '/workspaces/{workspaceId}/members/{userId}',
  tags: ['workspaces'],
  summary: "Change a member's role (admin; only owners grant or take away ownership)",
  request: { params: MemberParams, ...jsonBody(z.object({ role: RoleSchema })) },
  responses: { 200: json(MemberSchema), ...errorResponses, 409: errorResponses[400] },
})
const removeMember = createRoute({
  method: 'delete',
  path: '/workspaces/{workspaceId}/members/{userId}',
  tags: ['workspaces'],
  summary: 'Remove a member (admin; only owners remove owners; the last owner stays)',
  request: { params: MemberParams },
  responses: { 204: { description: 'Removed' }, ...errorResponses, 409: errorResponses[400] },
})

/** Workspaces (tenants) and their members. */
export function workspaceRoutes(identity: Identity) {
  const members = (workspaceId: string) =>
    identity
      .db()
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id', 'users.email', 'users.name', 'memberships.role', 'memberships.created_at'])
      .where('memberships.workspace_id', '=', workspaceId)

  const toMember = (r: {
    id: string
    email: string
    name: string
    role: z.infer<typeof RoleSchema>
    created_at: Date
  }) => ({
    userId: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    joinedAt: new Date(r.created_at).toISOString(),
  })

  /** Guards owner changes and keeps at least one owner. */
  const guardOwnership = async (
    workspaceId: string,
    actorRole: z.infer<typeof RoleSchema>,
    target: { role: z.infer<typeof RoleSchema> },
    newRole: z.infer<typeof RoleSchema> | null,
  ) => {
    if ((target.role === 'owner' || newRole === 'owner') && actorRole !== 'owner')
      throw new AppError(403, 'role_insufficient', 'Only owners grant or take away ownership', {
        required: 'owner',
        actual: actorRole,
      })
    if (target.role === 'owner' && newRole !== 'owner') {
      const owners = await identity
        .db()
        .selectFrom('memberships')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('workspace_id', '=', workspaceId)
        .where('role', '=', 'owner')
        .executeTakeFirstOrThrow()
      if (Number(owners.n) <= 1) throw new AppError(409, 'last_owner', 'A workspace needs at least one owner')
    }
  }

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...listMine, middleware: [authorize(identity, can.user, 'workspaces.list')] }, async (c) => {
      const rows = await identity
        .db()
        .selectFrom('memberships')
        .innerJoin('workspaces', 'workspaces.id', 'memberships.workspace_id')
        .select(['workspaces.id', 'workspaces.name', 'workspaces.created_at', 'memberships.role'])
        .where('memberships.user_id', '=', currentPrincipal(c).userId)
        .where('workspaces.deleted_at', 'is', null)
        .orderBy('workspaces.name')
        .execute()
      const workspaces = rows.map((r) => ({
        id: r.id,
        name: r.name,
        role: r.role,
        createdAt: new Date(r.created_at).toISOString(),
      }))
      return c.json({ workspaces }, 200)
    })
    .openapi({ ...create, middleware: [authorize(identity, can.user, 'workspace.create')] }, async (c) => {
      const { name } = c.req.valid('json')
      const userId = currentPrincipal(c).userId
      const row = await identity
        .db()
        .transaction()
        .execute(async (trx) => {
          const ws = await trx
            .insertInto('workspaces')
            .values({ name, created_by: userId })
            .returningAll()
            .executeTakeFirstOrThrow()
          await trx.insertInto('memberships').values({ workspace_id: ws.id, user_id: userId, role: 'owner' }).execute()
          return ws
        })
      c.set('auditWorkspaceId', row.id)
      return c.json(
        { id: row.id, name: row.name, role: 'owner' as const, createdAt: new Date(row.created_at).toISOString() },
        201,
      )
    })
    .openapi({ ...get, middleware: [authorize(identity, can.workspace('viewer'), 'workspace.read')] }, async (c) => {
      const ws = currentWorkspace(c)
      const row = await identity
        .db()
        .selectFrom('workspaces')
        .select('created_at')
        .where('id', '=', ws.id)
        .executeTakeFirstOrThrow()
      return c.json({ ...ws, createdAt: new Date(row.created_at).toISOString() }, 200)
    })
    .openapi(
      { ...rename, middleware: [authorize(identity, can.workspace('admin'), 'workspace.rename')] },
      async (c) => {
        const ws = currentWorkspace(c)
        const row = await identity
          .db()
          .updateTable('workspaces')
          .set({ name: c.req.valid('json').name })
          .where('id', '=', ws.id)
          .returningAll()
          .executeTakeFirstOrThrow()
        return c.json(
          { id: row.id, name: row.name, role: ws.role, createdAt: new Date(row.created_at).toISOString() },
          200,
        )
      },
    )
    .openapi(
      { ...remove, middleware: [authorize(identity, can.workspace('owner'), 'workspace.delete')] },
      async (c) => {
        await identity
          .db()
          .updateTable('workspaces')
          .set({ deleted_at: new Date() })
          .where('id', '=', currentWorkspace(c).id)
          .execute()
        await identity.liveSockets.recheck()
        return c.body(null, 204)
      },
    )
    .openapi(
      { ...listMembers, middleware: [authorize(identity, can.workspace('viewer'), 'members.list')] },
      async (c) => {
        const rows = await members(workspaceScope(c, identity).id).orderBy('users.email').execute()
        return c.json({ members: rows.map(toMember) }, 200)
      },
    )
    .openapi(
      { ...changeRole, middleware: [authorize(identity, can.workspace('admin'), 'members.change_role')] },
      async (c) => {
        const scope = workspaceScope(c, identity)
        const { userId } = c.req.valid('param')
        const { role } = c.req.valid('json')
        const target = await members(scope.id).where('users.id', '=', userId).executeTakeFirst()
        if (!target) throw new NotFoundError('member', userId)
        await guardOwnership(scope.id, scope.workspace.role, target, role)
        await scope.updateTable('memberships').set({ role }).where('user_id', '=', userId).execute()
        // Open sockets of the member follow at once: downgraded or closed (see LiveSockets).
        await identity.liveSockets.recheck()
        return c.json(toMember({ ...target, role }), 200)
      },
    )
    .openapi(
      { ...removeMember, middleware: [authorize(identity, can.workspace('admin'), 'members.remove')] },
      async (c) => {
        const scope = workspaceScope(c, identity)
        const { userId } = c.req.valid('param')
        const target = await members(scope.id).where('users.id', '=', userId).executeTakeFirst()
        if (!target) throw new NotFoundError('member', userId)
        await guardOwnership(scope.id, scope.workspace.role, target, null)
        await scope.deleteFrom('memberships').where('user_id', '=', userId).execute()
        await identity.liveSockets.recheck()
        return c.body(null, 204)
      },
    )
}
