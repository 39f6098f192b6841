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

export interface SessionOptions {
  /** Lifetime of a refresh token (one sign-in), in days. */
  refreshTtlDays: number
  /**
   * How long a just-rotated refresh token may still be exchanged, in seconds (0: never). Two tabs (or two requests
   * of one client) refreshing at once present the same token; the later one gets a sibling token of the same
   * session instead of counting as reuse. Past the window, a rotated token is reuse and revokes the session.
   */
  reuseGraceSeconds: number
}

export const defaultSessionOptions: SessionOptions = { refreshTtlDays: 30, reuseGraceSeconds: 10 }

/**
 * Sign-in sessions: a short-lived access token plus a rotating refresh token stored hashed. Each refresh
 * retires the presented token; presenting a retired one again (after the short grace window for concurrent
 * refreshes, as Auth0's reuse interval and Okta's grace period allow) means it was copied, so the whole family
 * (every token of that sign-in) is revoked.
 */
export class Sessions {
  readonly options: SessionOptions

  constructor(
    private readonly db: () => Kysely<Database>,
    private readonly access: AccessTokens,
    options: Partial<SessionOptions> = {},
    /** Told after sessions are revoked, so open sockets of those sessions close (see `LiveSockets`). */
    private readonly onRevoked: () => Promise<void> = async () => {},
  ) {
    this.options = { ...defaultSessionOptions, ...options }
  }

  async start(userId: string): Promise<SessionTokens> {
    const sessionId = randomUUID()
    return this.#issue(this.db(), userId, sessionId)
  }

  /**
   * Exchanges a refresh token for a new pair; throws 401 for unknown, expired or reused tokens. A token rotated
   * less than `reuseGraceSeconds` ago gets a sibling pair of the same session (the concurrent refresh of another
   * tab), never more than that: a revoked session, an expired token or a later reuse still fail.
   */
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
    if (row.revoked_at) return this.#reused(row.family_id)
    if (row.rotated_at && !this.#inGrace(new Date(row.rotated_at))) return this.#reused(row.family_id)
    if (new Date(row.expires_at) <= new Date() || row.disabled_at)
      throw new AppError(401, 'invalid_refresh_token', 'The refresh token is not valid')
    if (!row.rotated_at) {
      // Conditional update: of two concurrent refreshes with one token, one rotates it; the other finds it rotated
      // a moment ago, so within the grace window (or reuse without one).
      const claimed = await db
        .updateTable('refresh_tokens')
        .set({ rotated_at: new Date() })
        .where('id', '=', row.id)
        .where('rotated_at', 'is', null)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      if (Number(claimed.numUpdatedRows) !== 1 && this.options.reuseGraceSeconds <= 0)
        return this.#reused(row.family_id)
    }
    // The session may have been revoked meanwhile (logout in another tab): no sibling for it.
    if (!(await this.isActive(row.family_id, row.user_id)))
      throw new AppError(401, 'invalid_refresh_token', 'The refresh token is not valid')
    const tokens = await this.#issue(db, row.user_id, row.family_id)
    return { ...tokens, userId: row.user_id }
  }

  #inGrace(rotatedAt: Date): boolean {
    return Date.now() - rotatedAt.getTime() < this.options.reuseGraceSeconds * 1000
  }

  async #reused(familyId: string): Promise<never> {
    await this.revokeSession(familyId)
    throw new AppError(401, 'refresh_token_reused', 'The refresh token was already used; the session is revoked')
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
        expires_at: new Date(Date.now() + this.options.refreshTtlDays * 86_400_000),
      })
      .execute()
    const accessToken = await this.access.issue({ sub: userId, sid: sessionId })
    return { accessToken, refreshToken, expiresIn: this.access.ttlSeconds, sessionId }
  }
}
