import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { declaredPermission, type Permission } from '../../src/auth/authorize.ts'
import { roleAtLeast } from '../../src/auth/principal.ts'
import { hashSecret } from '../../src/auth/secrets.ts'
import type { Role } from '../../src/db/schema.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { createIdentityFixture, type IdentityFixture } from '../support/identity.ts'

/**
 * Walks the app's route table, so a route added later is covered without touching this file: every
 * `/api` route must declare a permission, and each one is called as anonymous, as each workspace role,
 * as a member of another workspace and as an instance admin who is not a member.
 */
type Caller = 'anonymous' | 'outsider' | 'instanceAdmin' | Role
const CALLERS: Caller[] = ['anonymous', 'outsider', 'instanceAdmin', 'viewer', 'editor', 'admin', 'owner']

interface ApiRoute {
  method: string
  path: string
  permission: Permission
}

function apiRoutes(f: IdentityFixture): { routes: ApiRoute[]; undeclared: string[] } {
  const groups = new Map<string, { method: string; path: string; permissions: Permission[] }>()
  for (const r of f.app.routes) {
    if (!r.path.startsWith('/api/') || r.method === 'ALL') continue
    const key = `${r.method} ${r.path}`
    const group = groups.get(key) ?? { method: r.method, path: r.path, permissions: [] }
    const declared = declaredPermission(r.handler)
    if (declared) group.permissions.push(declared.permission)
    groups.set(key, group)
  }
  const undeclared = [...groups.entries()].filter(([, g]) => g.permissions.length !== 1).map(([k]) => k)
  const routes = [...groups.values()].flatMap((g) => (g.permissions[0] ? [{ ...g, permission: g.permissions[0] }] : []))
  return { routes, undeclared }
}

describe.each(DATABASE_KINDS)('authorization of every route on %s', (kind) => {
  let f: IdentityFixture
  const users = {} as Record<Exclude<Caller, 'anonymous'>, string>
  let foreign: { workspaceId: string; name: string; invitationId: string; ownerId: string }

  const insertUser = async (label: string, admin = false) => {
    const row = await f.db
      .insertInto('users')
      .values({
        email: `${label}-${randomUUID()}@example.com`,
        name: label,
        password_hash: 'not-a-hash',
        is_instance_admin: admin,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    return row.id
  }

  /** A fresh workspace per route, so destructive calls by one caller cannot change what the next one sees. */
  const freshWorkspace = async () => {
    const ws = await f.db.insertInto('workspaces').values({ name: 'home' }).returning('id').executeTakeFirstOrThrow()
    for (const role of ['owner', 'admin', 'editor', 'viewer'] as const)
      await f.db.insertInto('memberships').values({ workspace_id: ws.id, user_id: users[role], role }).execute()
    const invitation = await f.db
      .insertInto('invitations')
      .values({
        workspace_id: ws.id,
        email: 'invitee@example.com',
        role: 'viewer',
        token_hash: hashSecret(randomUUID()),
        expires_at: new Date(Date.now() + 86_400_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    return { workspaceId: ws.id, invitationId: invitation.id }
  }

  beforeAll(async () => {
    f = await createIdentityFixture(kind)
    users.instanceAdmin = await insertUser('instance-admin', true)
    for (const role of ['owner', 'admin', 'editor', 'viewer', 'outsider'] as const) users[role] = await insertUser(role)
    const name = `foreign-${randomUUID()}`
    const ws = await f.db.insertInto('workspaces').values({ name }).returning('id').executeTakeFirstOrThrow()
    await f.db
      .insertInto('memberships')
      .values({ workspace_id: ws.id, user_id: users.outsider, role: 'owner' })
      .execute()
    const inv = await f.db
      .insertInto('invitations')
      .values({
        workspace_id: ws.id,
        email: 'foreign-invitee@example.com',
        role: 'editor',
        token_hash: hashSecret(randomUUID()),
        expires_at: new Date(Date.now() + 86_400_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    foreign = { workspaceId: ws.id, name, invitationId: inv.id, ownerId: users.outsider }
  })
  afterAll(async () => f?.dispose())

  it('finds the identity routes and a declared permission on every /api route', () => {
    const { routes, undeclared } = apiRoutes(f)
    expect(undeclared).toEqual([])
    const paths = routes.map((r) => `${r.method} ${r.path}`)
    expect(paths).toContain('GET /api/workspaces/:workspaceId/members')
    expect(paths).toContain('POST /api/sql/scratch')
    expect(routes.length).toBeGreaterThan(30)
  })

  it('leaves managing connections to workspace admins; editors use them', () => {
    const role = (method: string, path: string) => {
      const p = apiRoutes(f).routes.find((r) => r.method === method && r.path === path)?.permission
      return p?.kind === 'workspace' ? p.role : p?.kind
    }
    const base = '/api/workspaces/:workspaceId/connections'
    expect(role('POST', base)).toBe('admin')
    expect(role('POST', `${base}/test`)).toBe('admin')
    expect(role('PATCH', `${base}/:connectionId`)).toBe('admin')
    expect(role('DELETE', `${base}/:connectionId`)).toBe('admin')
    // Testing a saved connection as it is, listing and introspecting: use, not management.
    expect(role('POST', `${base}/:connectionId/test`)).toBe('editor')
    expect(role('GET', base)).toBe('viewer')
  })

  it('leaves the network settings (allow-list, kernel egress) to instance admins', () => {
    const kinds = ['GET', 'PUT'].flatMap((method) =>
      ['/api/admin/connections/allowed-networks', '/api/admin/kernels/egress'].map(
        (path) => apiRoutes(f).routes.find((r) => r.method === method && r.path === path)?.permission.kind,
      ),
    )
    expect(kinds).toEqual(['instance_admin', 'instance_admin', 'instance_admin', 'instance_admin'])
  })

  it('answers each caller as its permission says, and never with another workspace’s data', async () => {
    const { routes } = apiRoutes(f)
    const failures: string[] = []
    for (const route of routes) {
      const home = await freshWorkspace()
      const throwaway = await insertUser('throwaway')
      const token = await f.db
        .insertInto('api_tokens')
        .values({
          user_id: users.viewer,
          name: 't',
          scope: 'read',
          token_hash: hashSecret(randomUUID()),
          prefix: 'wbt_x',
          expires_at: new Date(Date.now() + 86_400_000),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
      const params: Record<string, string> = {
        workspaceId: home.workspaceId,
        invitationId: home.invitationId,
        userId: route.path.startsWith('/api/admin/') ? throwaway : users.editor,
        tokenId: token.id,
        file: 'swagger-ui.css',
      }
      const url = route.path.replace(/:(\w+)/g, (_, name: string) => params[name] ?? 'unknown')
      for (const caller of CALLERS) {
        const client = f.client()
        const c =
          caller === 'anonymous'
            ? client
            : client.withBearer((await f.identity.sessions.start(users[caller])).accessToken)
        const method = route.method
        const body = method === 'GET' || method === 'DELETE' ? undefined : {}
        const res = await c.request(method, url, body)
        const expected = expectation(route.permission, caller)
        const label = `${method} ${route.path} as ${caller}: ${res.status} ${res.text.slice(0, 120)}`
        if (!expected(res.status, res.body?.code)) failures.push(`unexpected answer: ${label}`)
        // The outsider may see its own workspace; instance admins see every workspace in admin views.
        const seesEverything =
          caller === 'outsider' || (route.permission.kind === 'instance_admin' && caller === 'instanceAdmin')
        if (!seesEverything && (res.text.includes(foreign.workspaceId) || res.text.includes(foreign.name)))
          failures.push(`foreign workspace data: ${label}`)
      }
    }
    expect(failures).toEqual([])
  }, 300_000) // every route × every caller: a few hundred requests, long on a loaded machine

  it('does not reach another workspace’s resources through one’s own workspace path', async () => {
    const home = await freshWorkspace()
    const owner = f.client().withBearer((await f.identity.sessions.start(users.owner)).accessToken)
    const base = `/api/workspaces/${home.workspaceId}`
    const attempts = [
      await owner.delete(`${base}/invitations/${foreign.invitationId}`),
      await owner.patch(`${base}/members/${foreign.ownerId}`, { role: 'viewer' }),
      await owner.delete(`${base}/members/${foreign.ownerId}`),
    ]
    expect(attempts.map((a) => [a.status, a.body.code])).toEqual([
      [404, 'invitation_not_found'],
      [404, 'member_not_found'],
      [404, 'member_not_found'],
    ])
    const inv = await f.db
      .selectFrom('invitations')
      .selectAll()
      .where('id', '=', foreign.invitationId)
      .executeTakeFirstOrThrow()
    expect(inv.revoked_at).toBeNull()
    const membership = await f.db
      .selectFrom('memberships')
      .select('role')
      .where('workspace_id', '=', foreign.workspaceId)
      .where('user_id', '=', foreign.ownerId)
      .executeTakeFirstOrThrow()
    expect(membership.role).toBe('owner')
  })
})

/** What a caller may get from a route with this permission. */
function expectation(permission: Permission, caller: Caller): (status: number, code?: string) => boolean {
  const allowed = (status: number, code?: string) =>
    status !== 401 && status !== 403 && code !== 'workspace_not_found' && status !== 500
  if (permission.kind === 'public') return allowed
  if (caller === 'anonymous') return (status, code) => status === 401 && code === 'authentication_required'
  if (permission.kind === 'user') return allowed
  if (permission.kind === 'instance_admin')
    return caller === 'instanceAdmin' ? allowed : (status, code) => status === 403 && code === 'instance_admin_required'
  if (caller === 'outsider' || caller === 'instanceAdmin')
    return (status, code) => status === 404 && code === 'workspace_not_found'
  return roleAtLeast(caller, permission.role)
    ? allowed
    : (status, code) => status === 403 && code === 'role_insufficient'
}
