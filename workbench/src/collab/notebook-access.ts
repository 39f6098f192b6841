import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'
import { NotFoundError } from '../http/errors.ts'
import type { CollabAuthorizer } from '../routes/collab.ts'

/** The notebook row, or a NotFoundError for a missing or deleted one. */
export async function findNotebookOrThrow(db: Kysely<Database>, notebookId: string) {
  const notebook = await db
    .selectFrom('notebooks')
    .select(['id', 'workspace_id', 'name', 'folder'])
    .where('id', '=', notebookId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  if (!notebook) throw new NotFoundError('notebook', notebookId)
  return notebook
}

/**
 * Interim authorizer until accounts exist: anyone who reaches the server may edit any existing notebook
 * (the embedded server listens on 127.0.0.1 only). Replaced by the identity layer's role check.
 */
export function notebookExistsAuthorizer(db: Kysely<Database>): CollabAuthorizer {
  return async (_c, notebookId) => {
    await findNotebookOrThrow(db, notebookId)
    return { userId: 'local', canWrite: true }
  }
}
