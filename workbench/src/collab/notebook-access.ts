import type { Context } from 'hono'
import type { Kysely } from 'kysely'
import { currentPrincipal, currentWorkspace } from '../auth/authorize.ts'
import { roleAtLeast } from '../auth/principal.ts'
import type { Database } from '../db/schema.ts'
import type { AppEnv } from '../http/env.ts'
import { NotFoundError } from '../http/errors.ts'
import type { CollabServer } from './collab-server.ts'

/** The notebook row of a workspace, or a NotFoundError for a missing, foreign or deleted one. */
export async function findNotebookOrThrow(db: Kysely<Database>, workspaceId: string, notebookId: string) {
  const notebook = await db
    .selectFrom('notebooks')
    .select(['id', 'workspace_id', 'name', 'folder'])
    .where('id', '=', notebookId)
    .where('workspace_id', '=', workspaceId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  if (!notebook) throw new NotFoundError('notebook', notebookId)
  return notebook
}

/**
 * Members of the notebook's workspace may connect (authorize() has checked membership); editors and
 * above may write, viewers only receive.
 */
export function workspaceRoleAuthorizer(db: Kysely<Database>): CollabAuthorizer {
  return async (c, notebookId) => {
    const workspace = currentWorkspace(c)
    await findNotebookOrThrow(db, workspace.id, notebookId)
    return {
      userId: currentPrincipal(c).userId,
      workspaceId: workspace.id,
      canWrite: roleAtLeast(workspace.role, 'editor'),
    }
  }
}

/** Who is connecting to a notebook's document, and whether they may change it. */
export interface CollabGrant {
  userId: string
  workspaceId?: string
  canWrite: boolean
}

/**
 * Decides access to a notebook's live document before the WebSocket upgrade, so refusals are plain
 * HTTP answers (401, 403, 404 in the error shape). Throws an AppError to refuse.
 */
export type CollabAuthorizer = (c: Context<AppEnv>, notebookId: string) => Promise<CollabGrant>

/** What the collaboration endpoint needs once the metadata DB is open. */
export interface CollabDeps {
  server: CollabServer
  authorize: CollabAuthorizer
}
