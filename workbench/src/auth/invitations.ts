import type { Kysely } from 'kysely'
import type { Database, Role } from '../db/schema.ts'
import { AppError } from '../http/errors.ts'
import { roleAtLeast } from './principal.ts'
import { hashSecret, newSecret, SECRET_PREFIX } from './secrets.ts'
import type { WorkspaceScope } from './workspace-scope.ts'

export const INVITATION_TTL_DAYS = 7

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired'

export interface InvitationInfo {
  id: string
  workspaceId: string
  email: string
  role: Exclude<Role, 'owner'>
  status: InvitationStatus
  createdAt: string
  expiresAt: string
}

interface InvitationRow {
  id: string
  workspace_id: string
  email: string
  role: Exclude<Role, 'owner'>
  created_at: Date
  expires_at: Date
  accepted_at: Date | null
  revoked_at: Date | null
}

export function toInvitationInfo(row: InvitationRow): InvitationInfo {
  const status: InvitationStatus = row.accepted_at
    ? 'accepted'
    : row.revoked_at
      ? 'revoked'
      : new Date(row.expires_at) <= new Date()
        ? 'expired'
        : 'pending'
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    email: row.email,
    role: row.role,
    status,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
  }
}

/** Creates an invitation in the scoped workspace; the token is returned once and stored hashed. */
export async function createInvitation(
  scope: WorkspaceScope,
  input: { email: string; role: Exclude<Role, 'owner'>; invitedBy: string },
): Promise<{ token: string; invitation: InvitationInfo }> {
  // Admins may invite up to admin; the role check on the route already requires admin.
  const token = newSecret(SECRET_PREFIX.invitation)
  const row = await scope.db
    .insertInto('invitations')
    .values({
      workspace_id: scope.id,
      email: input.email,
      role: input.role,
      token_hash: hashSecret(token),
      invited_by: input.invitedBy,
      expires_at: new Date(Date.now() + INVITATION_TTL_DAYS * 86_400_000),
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return { token, invitation: toInvitationInfo(row) }
}

/** An invitation by its token, with its workspace's name; undefined when unknown or the workspace is gone. */
export async function findInvitation(db: Kysely<Database>, token: string) {
  const row = await db
    .selectFrom('invitations')
    .innerJoin('workspaces', 'workspaces.id', 'invitations.workspace_id')
    .selectAll('invitations')
    .select('workspaces.name as workspace_name')
    .where('invitations.token_hash', '=', hashSecret(token))
    .where('workspaces.deleted_at', 'is', null)
    .executeTakeFirst()
  return row && { ...toInvitationInfo(row), workspaceName: row.workspace_name }
}

/**
 * Accepts a pending invitation for `userId`: makes them a member, or raises their role if the
 * invitation grants more (an invitation never lowers a role). Returns the workspace id.
 */
export async function acceptInvitation(db: Kysely<Database>, token: string, userId: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .updateTable('invitations')
      .set({ accepted_at: new Date(), accepted_by: userId })
      .where('token_hash', '=', hashSecret(token))
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', new Date())
      .returning(['workspace_id', 'role'])
      .executeTakeFirst()
    if (!claimed) throw new AppError(410, 'invitation_invalid', 'The invitation is expired, revoked or already used')
    const existing = await trx
      .selectFrom('memberships')
      .select('role')
      .where('workspace_id', '=', claimed.workspace_id)
      .where('user_id', '=', userId)
      .executeTakeFirst()
    if (!existing) {
      await trx
        .insertInto('memberships')
        .values({ workspace_id: claimed.workspace_id, user_id: userId, role: claimed.role })
        .execute()
    } else if (!roleAtLeast(existing.role, claimed.role)) {
      await trx
        .updateTable('memberships')
        .set({ role: claimed.role })
        .where('workspace_id', '=', claimed.workspace_id)
        .where('user_id', '=', userId)
        .execute()
    }
    return claimed.workspace_id
  })
}
