import { roleAtLeast } from '../auth/principal.ts'
import type { Role } from '../db/schema.ts'
import type { CollabServer } from './collab-server.ts'

/** Called by the membership routes after a member's role changed (`role`) or they were removed (`null`). */
export type MembershipChanged = (workspaceId: string, userId: string, role: Role | null) => Promise<void>

/**
 * Applies a membership change to live documents: a removed member is disconnected from the
 * workspace's notebooks (close code 4410), a member who can no longer edit keeps receiving updates but
 * has further edits refused. (A viewer promoted to editor gets write access on their next connection.)
 */
export function collabMembershipSync(server: () => CollabServer | undefined): MembershipChanged {
  return async (workspaceId, userId, role) => {
    const collab = server()
    if (!collab) return
    if (role === null) await collab.revoke(userId, 'removed from the workspace', workspaceId)
    else if (!roleAtLeast(role, 'editor')) await collab.downgrade(userId, workspaceId)
  }
}
