import type { Context, MiddlewareHandler } from 'hono'
import type { Role } from '../db/schema.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import { shouldAudit } from './audit-policy.ts'
import { COOKIE, CSRF_HEADER, readCookie } from './cookies.ts'
import type { Identity } from './identity.ts'
import { type Principal, roleAtLeast, type WorkspaceAccess } from './principal.ts'
import { safeEqual } from './secrets.ts'

/**
 * What a route needs. Every `/api` route declares one by putting `authorize(...)` in its handler chain;
 * a test walks the route table and fails for any route without it.
 * - `public`: anyone.
 * - `user`: any signed-in account; `sessionOnly` refuses personal API tokens (password, token management).
 * - `instance_admin`: instance administrators.
 * - `workspace`: members of the `{workspaceId}` in the path with at least `role`. `readsOnly`: a POST that changes
 *   nothing (a read-only query, a validation): read-only API tokens may call it too.
 */
export type Permission =
  | { kind: 'public' }
  | { kind: 'user'; sessionOnly?: boolean }
  | { kind: 'instance_admin' }
  | { kind: 'workspace'; role: Role; readsOnly?: boolean }

export const can = {
  public: { kind: 'public' },
  user: { kind: 'user' },
  userSession: { kind: 'user', sessionOnly: true },
  instanceAdmin: { kind: 'instance_admin' },
  workspace: (role: Role): Permission => ({ kind: 'workspace', role }),
  /** A workspace POST that reads only: read-only API tokens pass (CSRF still applies to cookies). */
  workspaceRead: (role: Role): Permission => ({ kind: 'workspace', role, readsOnly: true }),
} as const satisfies Record<string, Permission | ((role: Role) => Permission)>

const declared = new WeakMap<object, { permission: Permission; action: string }>()

/** The permission a handler in the route table declares, if it is an `authorize` middleware. */
export function declaredPermission(handler: unknown): { permission: Permission; action: string } | undefined {
  return typeof handler === 'function' ? declared.get(handler) : undefined
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The one authorization check. Refuses with 401 (no or bad credential), 403 (CSRF, token scope, role) or
 * 404 (a workspace the caller is not a member of: its existence is not revealed). Every refusal of a known
 * caller, every change and every read of data is written to the audit log as `action` (see `shouldAudit`:
 * reads of state that pages poll are not).
 *
 * @example
 * .openapi({ ...listMembers, middleware: [authorize(identity, can.workspace('viewer'), 'members.list')] }, handler)
 */
export function authorize(identity: Identity, permission: Permission, action: string): MiddlewareHandler<AppEnv> {
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (permission.kind === 'public') return next()
    const principal = c.get('principal')
    if (!principal) {
      const problem = c.get('credentialProblem')
      if (problem === 'token_expired') throw new AppError(401, 'token_expired', 'The access token has expired')
      if (problem) throw new AppError(401, 'invalid_token', 'The credential is not valid')
      throw new AppError(401, 'authentication_required', 'Sign in to use this endpoint')
    }
    const audit = async (outcome: 'success' | 'failure' | 'denied', status: number, workspaceId: string | null) => {
      if (!shouldAudit(action, c.req.method, outcome)) return
      await identity.audit.record({
        actorId: principal.userId,
        actorEmail: principal.email,
        workspaceId,
        action,
        resource: c.req.path,
        requestId: c.get('requestId') ?? null,
        ip: c.get('clientIp') ?? null,
        outcome,
        status,
      })
    }
    const pathWorkspace = permission.kind === 'workspace' ? (c.req.param('workspaceId') ?? null) : null
    let workspace: WorkspaceAccess | undefined
    try {
      checkCredentialUse(c, principal, permission)
      if (permission.kind === 'instance_admin' && !principal.isInstanceAdmin)
        throw new AppError(403, 'instance_admin_required', 'Only instance administrators may do this')
      if (permission.kind === 'workspace') {
        workspace = await membership(identity, principal, pathWorkspace)
        if (!roleAtLeast(workspace.role, permission.role))
          throw new AppError(403, 'role_insufficient', `This needs the ${permission.role} role in the workspace`, {
            required: permission.role,
            actual: workspace.role,
          })
        c.set('workspace', workspace)
      }
    } catch (err) {
      if (err instanceof AppError) {
        // A non-member's probe is recorded without the workspace id, so it lands in no workspace's log.
        await audit('denied', err.status, workspace?.id ?? null)
      }
      throw err
    }
    await next()
    const status = c.res.status
    const outcome = status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure'
    await audit(outcome, status, workspace?.id ?? c.get('auditWorkspaceId') ?? null)
  }
  declared.set(middleware, { permission, action })
  return middleware
}

/** CSRF for cookie sessions (double submit), scope for API tokens, and session-only routes. */
function checkCredentialUse(c: Context<AppEnv>, principal: Principal, permission: Permission): void {
  const unsafe = !SAFE_METHODS.has(c.req.method)
  if (principal.via === 'cookie' && unsafe) {
    const cookie = readCookie(c, COOKIE.csrf)
    const header = c.req.header(CSRF_HEADER)
    if (!cookie || !header || !safeEqual(cookie, header))
      throw new AppError(403, 'csrf_failed', `Send the ${COOKIE.csrf} cookie's value in the ${CSRF_HEADER} header`)
  }
  if (principal.via === 'api_token') {
    if (permission.kind === 'user' && permission.sessionOnly)
      throw new AppError(403, 'session_required', 'API tokens cannot do this; sign in with a password')
    const readsOnly = permission.kind === 'workspace' && permission.readsOnly === true
    if (unsafe && principal.tokenScope !== 'write' && !readsOnly)
      throw new AppError(403, 'token_scope_insufficient', 'This API token is read-only')
  }
}

async function membership(identity: Identity, principal: Principal, workspaceId: string | null) {
  const notFound = new AppError(404, 'workspace_not_found', `No workspace with id ${workspaceId}`)
  if (!workspaceId || !UUID.test(workspaceId)) throw notFound
  const row = await identity
    .db()
    .selectFrom('memberships')
    .innerJoin('workspaces', 'workspaces.id', 'memberships.workspace_id')
    .select(['workspaces.id', 'workspaces.name', 'memberships.role'])
    .where('memberships.workspace_id', '=', workspaceId)
    .where('memberships.user_id', '=', principal.userId)
    .where('workspaces.deleted_at', 'is', null)
    .executeTakeFirst()
  if (!row) throw notFound
  return { id: row.id, name: row.name, role: row.role }
}

/** The workspace `authorize` admitted the caller to; only valid on workspace routes. */
export function currentWorkspace(c: Context<AppEnv>): WorkspaceAccess {
  const workspace = c.get('workspace')
  if (!workspace) throw new Error('currentWorkspace() used on a route without a workspace permission')
  return workspace
}

/** The signed-in caller; only valid on non-public routes. */
export function currentPrincipal(c: Context<AppEnv>): Principal {
  const principal = c.get('principal')
  if (!principal) throw new Error('currentPrincipal() used on a public route')
  return principal
}
