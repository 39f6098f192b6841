import type { Kysely } from 'kysely'
import type { Database, TokenScope } from '../db/schema.ts'
import { NotFoundError } from '../http/errors.ts'
import { hashSecret, newSecret, SECRET_PREFIX } from './secrets.ts'

export interface ApiTokenInfo {
  id: string
  name: string
  scope: TokenScope
  prefix: string
  createdAt: string
  expiresAt: string
  lastUsedAt: string | null
  revoked: boolean
}

export interface ResolvedApiToken {
  id: string
  userId: string
  scope: TokenScope
}

/** Personal API tokens: stored as a hash, shown once at creation, revocable, with an expiry. */
export class ApiTokens {
  constructor(
    private readonly db: () => Kysely<Database>,
    /** Told after a token is revoked, so sockets opened with it close (see `LiveSockets`). */
    private readonly onRevoked: () => Promise<void> = async () => {},
  ) {}

  async create(
    userId: string,
    input: { name: string; scope: TokenScope; expiresInDays: number },
  ): Promise<{ token: string; info: ApiTokenInfo }> {
    const token = newSecret(SECRET_PREFIX.apiToken)
    const row = await this.db()
      .insertInto('api_tokens')
      .values({
        user_id: userId,
        name: input.name,
        scope: input.scope,
        token_hash: hashSecret(token),
        prefix: token.slice(0, SECRET_PREFIX.apiToken.length + 6),
        expires_at: new Date(Date.now() + input.expiresInDays * 86_400_000),
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    return { token, info: toInfo(row) }
  }

  async list(userId: string): Promise<ApiTokenInfo[]> {
    const rows = await this.db()
      .selectFrom('api_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .execute()
    return rows.map(toInfo)
  }

  /** Only the owner's tokens are visible to this query, so someone else's id is simply not found. */
  async revoke(userId: string, id: string): Promise<void> {
    const result = await this.db()
      .updateTable('api_tokens')
      .set({ revoked_at: new Date() })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    if (Number(result.numUpdatedRows) !== 1) throw new NotFoundError('api_token', id)
    await this.onRevoked()
  }

  /** The owner and scope of a live token, or undefined for unknown, expired or revoked ones. */
  async resolve(token: string): Promise<ResolvedApiToken | undefined> {
    const db = this.db()
    const row = await db
      .selectFrom('api_tokens')
      .select(['id', 'user_id', 'scope'])
      .where('token_hash', '=', hashSecret(token))
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', new Date())
      .executeTakeFirst()
    if (!row) return undefined
    await db.updateTable('api_tokens').set({ last_used_at: new Date() }).where('id', '=', row.id).execute()
    return { id: row.id, userId: row.user_id, scope: row.scope }
  }
}

function toInfo(row: ApiTokenRow): ApiTokenInfo {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    revoked: row.revoked_at !== null,
  }
}

interface ApiTokenRow {
  id: string
  name: string
  scope: TokenScope
  prefix: string
  created_at: Date
  expires_at: Date
  last_used_at: Date | null
  revoked_at: Date | null
}
