import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'
import { AppError } from '../http/errors.ts'
import type { AccessTokens } from './access-tokens.ts'
import { hashSecret, newSecret, SECRET_PREFIX } from './secrets.ts'

export interface SessionTokens {
  accessToken: string
  refreshToken: string
  /** Seconds until the access token expires. */
  expiresIn: number
  sessionId: string
}

/**
 * Sign-in sessions: a short-lived access token plus a rotating refresh token stored hashed. Each refresh
 * retires the presented token; presenting a retired one again means it was copied, so the whole family
 * (every token of that sign-in) is revoked.
 */
export class Sessions {
  constructor(
    private readonly db: () => Kysely<Database>,
    private readonly access: AccessTokens,
    private readonly refreshTtlDays: number,
    /** Told after sessions are revoked, so open sockets of those sessions close (see `LiveSockets`). */
    private readonly onRevoked: () => Promise<void> = async () => {},
  ) {}

  async start(userId: string): Promise<SessionTokens> {
    const sessionId = randomUUID()
    return this.#issue(this.db(), userId, sessionId)
  }

  /** Exchanges a refresh token for a new pair; throws 401 for unknown, expired or reused tokens. */
  async rotate(refreshToken: string): Promise<SessionTokens & { userId: string }> {
    const db = this.db()
    const row = await db
      .selectFrom('refresh_tokens')
      .innerJoin('users', 'users.id', 'refresh_tokens.user_id')
      .select([
        'refresh_tokens.id',
        'refresh_tokens.user_id',
        'refresh_tokens.family_id',
        'refresh_tokens.expires_at',
        'refresh_tokens.rotated_at',
        'refresh_tokens.revoked_at',
        'users.disabled_at',
      ])
      .where('refresh_tokens.token_hash', '=', hashSecret(refreshToken))
      .executeTakeFirst()
    if (!row) throw new AppError(401, 'invalid_refresh_token', 'The refresh token is not valid')
    if (row.rotated_at || row.revoked_at) {
      await this.revokeSession(row.family_id)
      throw new AppError(401, 'refresh_token_reused', 'The refresh token was already used; the session is revoked')
    }
    if (new Date(row.expires_at) <= new Date() || row.disabled_at)
      throw new AppError(401, 'invalid_refresh_token', 'The refresh token is not valid')
    // Conditional update: of two concurrent refreshes with one token, only one wins; the other is reuse.
    const claimed = await db
      .updateTable('refresh_tokens')
      .set({ rotated_at: new Date() })
      .where('id', '=', row.id)
      .where('rotated_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    if (Number(claimed.numUpdatedRows) !== 1) {
      await this.revokeSession(row.family_id)
      throw new AppError(401, 'refresh_token_reused', 'The refresh token was already used; the session is revoked')
    }
    const tokens = await this.#issue(db, row.user_id, row.family_id)
    return { ...tokens, userId: row.user_id }
  }

  /** True while the session belongs to `userId` and has a live (unrevoked, unexpired) refresh token. */
  async isActive(sessionId: string, userId: string): Promise<boolean> {
    const row = await this.db()
      .selectFrom('refresh_tokens')
      .select('id')
      .where('family_id', '=', sessionId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', new Date())
      .executeTakeFirst()
    return row !== undefined
  }

  /** The session a refresh token belongs to, if any (for logout with only the refresh cookie). */
  async sessionOf(refreshToken: string): Promise<string | undefined> {
    const row = await this.db()
      .selectFrom('refresh_tokens')
      .select('family_id')
      .where('token_hash', '=', hashSecret(refreshToken))
      .executeTakeFirst()
    return row?.family_id
  }

  async revokeSession(sessionId: string): Promise<void> {
    await this.db()
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date() })
      .where('family_id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .execute()
    await this.onRevoked()
  }

  /** Signs a user out everywhere, except optionally the session making the change. */
  async revokeAllForUser(userId: string, exceptSessionId?: string): Promise<void> {
    let query = this.db()
      .updateTable('refresh_tokens')
      .set({ revoked_at: new Date() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
    if (exceptSessionId) query = query.where('family_id', '!=', exceptSessionId)
    await query.execute()
    await this.onRevoked()
  }

  async #issue(db: Kysely<Database>, userId: string, sessionId: string): Promise<SessionTokens> {
    const refreshToken = newSecret(SECRET_PREFIX.refresh)
    await db
      .insertInto('refresh_tokens')
      .values({
        user_id: userId,
        family_id: sessionId,
        token_hash: hashSecret(refreshToken),
        expires_at: new Date(Date.now() + this.refreshTtlDays * 86_400_000),
      })
      .execute()
    const accessToken = await this.access.issue({ sub: userId, sid: sessionId })
    return { accessToken, refreshToken, expiresIn: this.access.ttlSeconds, sessionId }
  }
}
