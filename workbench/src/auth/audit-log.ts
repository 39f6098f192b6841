import type { ExpressionBuilder, Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { AuditOutcome, Database } from '../db/schema.ts'
import { type AuditCategory, DATA_READ_ACTIONS } from './audit-policy.ts'

export interface AuditEntry {
  actorId: string | null
  actorEmail: string | null
  workspaceId: string | null
  action: string
  resource: string | null
  requestId: string | null
  ip: string | null
  outcome: AuditOutcome
  status: number | null
  /** JSON: what the call was about beyond its route (an MCP tool's arguments); never a secret. */
  detail?: string | null
}

export interface AuditEvent extends AuditEntry {
  id: string
  occurredAt: string
}

export interface AuditQuery {
  /** Undefined: every workspace and none (instance admins only). */
  workspaceId?: string
  actorId?: string
  /** One action, or every action under a prefix: `notebooks.*` (or `notebooks.`). */
  action?: string
  /** Events of one category (see `auditCategory`); `denied` is every refusal. */
  category?: AuditCategory
  outcome?: AuditOutcome
  from?: Date
  to?: Date
  /** Events with an id below this one: pages go from newest to oldest. */
  before?: string
  limit: number
}

/**
 * The append-only audit log. Only `record` writes; nothing here (or anywhere) updates or deletes, and
 * the table's trigger refuses it anyway.
 */
export class AuditLog {
  constructor(
    private readonly db: () => Kysely<Database>,
    private readonly logger: Logger,
  ) {}

  /** Never fails the caller: a lost audit row is logged loudly rather than turning a done change into a 500. */
  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.db()
        .insertInto('audit_events')
        .values({
          actor_id: entry.actorId,
          actor_email: entry.actorEmail,
          workspace_id: entry.workspaceId,
          action: entry.action,
          resource: entry.resource,
          request_id: entry.requestId,
          ip: entry.ip,
          outcome: entry.outcome,
          status: entry.status,
          detail: entry.detail ?? null,
        })
        .execute()
    } catch (err) {
      this.logger.error({ err, action: entry.action, requestId: entry.requestId }, 'audit event not recorded')
    }
  }

  /** The actions a log holds (a workspace's, or every one), for the action filter's list. */
  async actions(workspaceId?: string): Promise<string[]> {
    let query = this.db().selectFrom('audit_events').select('action').distinct()
    if (workspaceId !== undefined) query = query.where('workspace_id', '=', workspaceId)
    const rows = await query.orderBy('action').limit(1000).execute()
    return rows.map((r) => r.action)
  }

  async query(q: AuditQuery): Promise<{ events: AuditEvent[]; nextBefore: string | null }> {
    let query = this.db().selectFrom('audit_events').selectAll()
    if (q.workspaceId !== undefined) query = query.where('workspace_id', '=', q.workspaceId)
    if (q.actorId !== undefined) query = query.where('actor_id', '=', q.actorId)
    if (q.action !== undefined) {
      const prefix = /^(.*\.)\*?$|^(.*)\*$/.exec(q.action)
      const like = prefix ? `${likeEscape(prefix[1] ?? prefix[2] ?? '')}%` : undefined
      query = like ? query.where('action', 'like', like) : query.where('action', '=', q.action)
    }
    if (q.category !== undefined) {
      const category = q.category
      query = query.where((eb) => categoryFilter(eb, category))
    }
    if (q.outcome !== undefined) query = query.where('outcome', '=', q.outcome)
    if (q.from !== undefined) query = query.where('occurred_at', '>=', q.from)
    if (q.to !== undefined) query = query.where('occurred_at', '<', q.to)
    if (q.before !== undefined) query = query.where('id', '<', q.before)
    // bigserial ids sort in insertion order, which keeps paging stable while new events arrive.
    const rows = await query
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute()
    const page = rows.slice(0, q.limit)
    const events = page.map(
      (r): AuditEvent => ({
        id: String(r.id),
        occurredAt: new Date(r.occurred_at).toISOString(),
        actorId: r.actor_id,
        actorEmail: r.actor_email,
        workspaceId: r.workspace_id,
        action: r.action,
        resource: r.resource,
        requestId: r.request_id,
        ip: r.ip,
        outcome: r.outcome,
        status: r.status,
        detail: r.detail,
      }),
    )
    const nextBefore = rows.length > q.limit ? (events.at(-1)?.id ?? null) : null
    return { events, nextBefore }
  }

  /** Every matching event as CSV (RFC 4180), read page by page so a big log is never held at once. */
  async *csv(q: Omit<AuditQuery, 'limit' | 'before'>): AsyncGenerator<string> {
    yield `${CSV_COLUMNS.join(',')}\r\n`
    let before: string | undefined
    for (;;) {
      const page = await this.query({ ...q, before, limit: 1000 })
      for (const e of page.events) yield `${CSV_COLUMNS.map((col) => csvField(e[col])).join(',')}\r\n`
      if (!page.nextBefore) return
      before = page.nextBefore
    }
  }
}

/** LIKE metacharacters in a user's prefix match themselves (backslash is the default escape in PostgreSQL). */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/** The SQL form of `auditCategory` (kept beside it: the same lists decide both). */
function categoryFilter(eb: ExpressionBuilder<Database, 'audit_events'>, category: AuditCategory) {
  if (category === 'denied') return eb('outcome', '=', 'denied')
  const auth = eb('action', 'like', 'auth.%')
  const data = eb.or([
    ...DATA_READ_ACTIONS.map((p) =>
      p.endsWith('.') ? eb('action', 'like', `${likeEscape(p)}%`) : eb('action', '=', p),
    ),
    eb('action', 'like', '%.unmasked'),
  ])
  if (category === 'auth') return auth
  if (category === 'data') return eb.and([eb.not(auth), data])
  return eb.and([eb.not(auth), eb.not(data)])
}

const CSV_COLUMNS = [
  'id',
  'occurredAt',
  'actorId',
  'actorEmail',
  'workspaceId',
  'action',
  'resource',
  'requestId',
  'ip',
  'outcome',
  'status',
] as const satisfies readonly (keyof AuditEvent)[]

function csvField(value: string | number | null): string {
  if (value === null) return ''
  let text = String(value)
  // Spreadsheet formula injection: a cell starting with = + - @ would run when the CSV is opened.
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n']/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}
