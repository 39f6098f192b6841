import { randomUUID } from 'node:crypto'
import pino from 'pino'
import { createIdentity, type Identity } from '../../src/auth/identity.ts'
import { loadConfig } from '../../src/config.ts'
import type { MetadataDb } from '../../src/db/database.ts'
import type { Role } from '../../src/db/schema.ts'
import { TEST_SIGNING_KEY } from './identity.ts'

/**
 * Identity over a test database, plus shortcuts that make accounts and workspace memberships directly
 * in the database (signing up through the API is tested by the identity tests themselves).
 */
export interface Members {
  identity: Identity
  /** A new workspace; returns its id. */
  workspace(name?: string): Promise<string>
  /** A new account with `role` in `workspaceId`; returns its id and a bearer access token. */
  member(workspaceId: string, role: Role): Promise<{ userId: string; token: string }>
}

export function createMembers(db: MetadataDb): Members {
  const { auth } = loadConfig({ AUTH_JWT_SECRET: TEST_SIGNING_KEY }, process.cwd())
  const identity = createIdentity({
    db: () => db.db,
    options: { ...auth, jwtSecret: TEST_SIGNING_KEY },
    logger: pino({ level: 'silent' }),
  })
  return {
    identity,
    workspace: async (name = `ws ${randomUUID().slice(0, 6)}`) =>
      (await db.db.insertInto('workspaces').values({ name }).returning('id').executeTakeFirstOrThrow()).id,
    member: async (workspaceId, role) => {
      const user = await db.db
        .insertInto('users')
        .values({ email: `${randomUUID()}@example.test`, name: role, password_hash: 'not-a-real-hash' })
        .returning('id')
        .executeTakeFirstOrThrow()
      await db.db.insertInto('memberships').values({ workspace_id: workspaceId, user_id: user.id, role }).execute()
      return { userId: user.id, token: (await identity.sessions.start(user.id)).accessToken }
    },
  }
}
