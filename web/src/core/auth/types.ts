/** Mirrors of the server's identity schemas (see /api/openapi.json). */
export type Role = 'owner' | 'admin' | 'editor' | 'viewer'
export const ROLES: Role[] = ['viewer', 'editor', 'admin', 'owner']

export function roleAtLeast(actual: Role, required: Role): boolean {
  return ROLES.indexOf(actual) >= ROLES.indexOf(required)
}

export interface User {
  id: string
  email: string
  name: string
  isInstanceAdmin: boolean
  disabled: boolean
  createdAt: string
}

export interface Workspace {
  id: string
  name: string
  role: Role
  createdAt: string
}

export interface Member {
  userId: string
  email: string
  name: string
  role: Role
  joinedAt: string
}

export interface Invitation {
  id: string
  workspaceId: string
  email: string
  role: Exclude<Role, 'owner'>
  status: 'pending' | 'accepted' | 'revoked' | 'expired'
  createdAt: string
  expiresAt: string
}

export interface ApiToken {
  id: string
  name: string
  scope: 'read' | 'write'
  prefix: string
  createdAt: string
  expiresAt: string
  lastUsedAt: string | null
  revoked: boolean
}

export interface AuditEvent {
  id: string
  occurredAt: string
  actorId: string | null
  actorEmail: string | null
  workspaceId: string | null
  action: string
  resource: string | null
  requestId: string | null
  ip: string | null
  outcome: 'success' | 'failure' | 'denied'
  status: number | null
  category: AuditCategory
  /** The resource the request named, by name with its page, while it exists. */
  target: { kind: string; id: string; name?: string; link?: string } | null
}

export type AuditCategory = 'auth' | 'change' | 'data'

export interface AuditActions {
  actions: { action: string; category: AuditCategory }[]
}

export interface AuditPage {
  events: AuditEvent[]
  nextBefore: string | null
}

export interface Setup {
  registration: 'open' | 'invite-only'
  needsFirstUser: boolean
}
