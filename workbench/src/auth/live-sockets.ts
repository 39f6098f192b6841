import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Database, Role } from '../db/schema.ts'
import { AccessCloseCode } from './close-codes.ts'
import { type Principal, roleAtLeast } from './principal.ts'

/** What a socket was opened with and what it needs to stay open. */
export interface LiveSocketGrant {
  userId: string
  /** The session (sign-in) or personal API token the socket was authenticated with. */
  credential: { kind: 'session' | 'api_token'; id: string }
  workspaceId: string
  /** Below this role the socket is closed ({@link AccessCloseCode.forbidden}). */
  required: Role
  /**
   * The role its full capabilities need (e.g. `editor` to edit a shared document); a member at least
   * `required` but below `full` is downgraded through {@link LiveSocketHandle.downgrade}, once.
   */
  full?: Role
}

/** How the registry acts on a socket: every socket route provides these. */
export interface LiveSocketHandle {
  close(code: AccessCloseCode, reason: string): void
  /** Takes away what needs `full` (collaboration: the document becomes read-only). */
  downgrade?(): void
}

/** The grant of the principal that opened a socket in a workspace. */
export function socketGrant(
  principal: Principal,
  workspaceId: string,
  required: Role,
  full?: Role,
): LiveSocketGrant | undefined {
  const id = principal.via === 'api_token' ? principal.apiTokenId : principal.sessionId
  if (!id) return undefined
  return {
    userId: principal.userId,
    credential: { kind: principal.via === 'api_token' ? 'api_token' : 'session', id },
    workspaceId,
    required,
    full,
  }
}

interface Entry {
  grant: LiveSocketGrant
  handle: LiveSocketHandle
  downgraded: boolean
}

export interface LiveSocketsOptions {
  /**
   * How often every open socket is re-checked against the metadata DB. This is what makes a change
   * made through another API server (or straight in the DB) land; changes made in this process call
   * {@link LiveSockets.recheck} and land at once.
   */
  intervalMs?: number
}

/**
 * Every open long-lived socket (collaboration, kernels, run logs, and any later one) registers here
 * with who opened it, through which credential, in which workspace and with which role it needs. The
 * registry re-checks all of them with a few batched queries: the account is not disabled, the session
 * is live and belongs to the user (or the API token is live), the workspace exists and the membership
 * still has the role. A socket that fails is closed with a named code; one whose role dropped below
 * `full` is downgraded. So sign-out, session and token revocation, account disable, removal and role
 * changes reach open sockets within `intervalMs` from any server, and immediately from this one.
 *
 * @example
 * const unregister = identity.liveSockets.register(grant, { close: (code, why) => ws.close(code, why) })
 */
export class LiveSockets {
  readonly #entries = new Set<Entry>()
  readonly #intervalMs: number
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #again = false

  constructor(
    private readonly db: () => Kysely<Database>,
    private readonly logger: Logger,
    options: LiveSocketsOptions = {},
  ) {
    this.#intervalMs = options.intervalMs ?? 500
  }

  get size(): number {
    return this.#entries.size
  }

  /**
   * Registers an open socket; returns the function to call when it closes. The socket is checked once
   * right away, so one opened in the instant between the route's authorization and a revocation closes too.
   */
  register(grant: LiveSocketGrant, handle: LiveSocketHandle): () => void {
    const entry: Entry = { grant, handle, downgraded: false }
    this.#entries.add(entry)
    this.#timer ??= setInterval(() => void this.recheck(), this.#intervalMs).unref()
    void this.recheck()
    return () => {
      this.#entries.delete(entry)
      if (this.#entries.size === 0 && this.#timer) {
        clearInterval(this.#timer)
        this.#timer = undefined
      }
    }
  }

  /**
   * Re-checks every open socket now; resolves when done. Called by the services that change access
   * (sign-out, revocation, disable, membership changes). Concurrent calls coalesce into at most one more pass.
   */
  recheck(): Promise<void> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = (async () => {
      do {
        this.#again = false
        await this.#check().catch((err: unknown) => this.logger.warn({ err }, 're-checking open sockets failed'))
      } while (this.#again)
    })().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  /** Forgets every socket and stops the timer (shutdown: the sockets themselves close with the server). */
  stop(): void {
    for (const entry of [...this.#entries]) this.#entries.delete(entry)
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  async #check(): Promise<void> {
    const entries = [...this.#entries]
    if (entries.length === 0) return
    const db = this.db()
    const users = unique(entries.map((e) => e.grant.userId))
    const sessions = unique(
      entries.filter((e) => e.grant.credential.kind === 'session').map((e) => e.grant.credential.id),
    )
    const tokens = unique(
      entries.filter((e) => e.grant.credential.kind === 'api_token').map((e) => e.grant.credential.id),
    )
    const workspaces = unique(entries.map((e) => e.grant.workspaceId))
    const now = new Date()
    const [activeUsers, liveSessions, liveTokens, roles] = await Promise.all([
      db.selectFrom('users').select('id').where('id', 'in', users).where('disabled_at', 'is', null).execute(),
      sessions.length === 0
        ? []
        : db
            .selectFrom('refresh_tokens')
            .select(['family_id', 'user_id'])
            .distinct()
            .where('family_id', 'in', sessions)
            .where('revoked_at', 'is', null)
            .where('expires_at', '>', now)
            .execute(),
      tokens.length === 0
        ? []
        : db
            .selectFrom('api_tokens')
            .select(['id', 'user_id'])
            .where('id', 'in', tokens)
            .where('revoked_at', 'is', null)
            .where('expires_at', '>', now)
            .execute(),
      db
        .selectFrom('memberships')
        .innerJoin('workspaces', 'workspaces.id', 'memberships.workspace_id')
        .select(['memberships.workspace_id', 'memberships.user_id', 'memberships.role'])
        .where('memberships.workspace_id', 'in', workspaces)
        .where('memberships.user_id', 'in', users)
        .where('workspaces.deleted_at', 'is', null)
        .execute(),
    ])
    const active = new Set(activeUsers.map((u) => u.id))
    const credentials = new Set([
      ...liveSessions.map((s) => `session:${s.family_id}:${s.user_id}`),
      ...liveTokens.map((t) => `api_token:${t.id}:${t.user_id}`),
    ])
    const roleOf = new Map(roles.map((r) => [`${r.workspace_id}:${r.user_id}`, r.role]))
    for (const entry of entries) {
      // A socket that closed while the queries ran has unregistered; leave it alone.
      if (!this.#entries.has(entry)) continue
      const { grant } = entry
      const credential = `${grant.credential.kind}:${grant.credential.id}:${grant.userId}`
      const role = roleOf.get(`${grant.workspaceId}:${grant.userId}`)
      let verdict: [AccessCloseCode, string] | undefined
      if (!active.has(grant.userId)) verdict = [AccessCloseCode.unauthorized, 'the account is disabled']
      else if (!credentials.has(credential))
        verdict = [AccessCloseCode.unauthorized, `the ${grant.credential.kind.replace('_', ' ')} is no longer valid`]
      else if (!role) verdict = [AccessCloseCode.accessRevoked, 'no longer a member of the workspace']
      else if (!roleAtLeast(role, grant.required))
        verdict = [AccessCloseCode.forbidden, `this needs the ${grant.required} role in the workspace`]
      if (verdict) {
        this.#entries.delete(entry)
        this.#close(entry, ...verdict)
        continue
      }
      if (role && grant.full && !entry.downgraded && !roleAtLeast(role, grant.full)) {
        entry.downgraded = true
        if (entry.handle.downgrade) entry.handle.downgrade()
        else {
          this.#entries.delete(entry)
          this.#close(entry, AccessCloseCode.forbidden, `this needs the ${grant.full} role in the workspace`)
        }
      }
    }
    if (this.#entries.size === 0 && this.#timer) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }

  #close(entry: Entry, code: AccessCloseCode, reason: string): void {
    try {
      entry.handle.close(code, reason)
    } catch (err) {
      this.logger.warn({ err }, 'closing a revoked socket failed')
    }
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)]
}
