import { randomUUID } from 'node:crypto'
import type { Generated, Kysely, Selectable } from 'kysely'
import type { Logger } from 'pino'
import type { AuditLog } from '../auth/audit-log.ts'
import type { Database, Role } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'executing' | 'executed' | 'failed'

interface ApprovalRequestsTable {
  id: string
  workspace_id: string
  kind: string
  connection_id: string | null
  payload: string
  summary: string
  status: ApprovalStatus
  idempotency_key: string
  requested_by: string
  requested_at: Date | string
  expires_at: Date | string
  decided_by: string | null
  decided_at: Date | string | null
  decision_note: string | null
  executed_at: Date | string | null
  result: string | null
  error: string | null
  workflow_id: string | null
  step_id: string | null
}

interface WorkspaceApproversTable {
  workspace_id: string
  user_id: string
  granted_by: string | null
  granted_at: Generated<Date | string>
}

/** The approval tables, beside the application's (kept here so the module stays self-contained). */
export type ApprovalTables = {
  approval_requests: ApprovalRequestsTable
  workspace_approvers: WorkspaceApproversTable
}

type Row = Selectable<ApprovalRequestsTable>

/** An approval request as the API shows it. */
export interface ApprovalView {
  id: string
  workspaceId: string
  kind: string
  connectionId: string | null
  /** Exactly what will run (for Odoo: operation, model, records, field changes with their values before). */
  payload: unknown
  summary: string
  status: ApprovalStatus
  idempotencyKey: string
  requestedBy: string
  requestedAt: string
  expiresAt: string
  decidedBy: string | null
  decidedAt: string | null
  note: string | null
  executedAt: string | null
  /** What the execution produced (e.g. the ids Odoo created). */
  result: unknown
  error: string | null
  workflowId: string | null
  stepId: string | null
}

/** Runs an approved request of one kind, once. Its result is recorded; a throw records the error. */
export interface ApprovalExecutor {
  execute(request: ApprovalView): Promise<unknown>
}

export interface ApprovalServiceOptions {
  db: () => Kysely<Database>
  audit?: AuditLog
  logger: Logger
  /** What runs each kind of request once approved (e.g. `odoo.write`). */
  executors: Record<string, ApprovalExecutor>
  /** Told of every decision and expiry (a pipeline run waiting on it gets a Temporal signal). */
  onSettled?: (request: ApprovalView) => Promise<void>
  /** Requests expire after this long without a decision (default 7 days). */
  defaultExpiryMs?: number
  now?: () => Date
}

export interface ApprovalInput {
  workspaceId: string
  requestedBy: string
  kind: string
  connectionId?: string
  payload: unknown
  summary: string
  expiresInMs?: number
  /** The same key twice answers the first request (a retried pipeline step asks once). */
  idempotencyKey?: string
  workflowId?: string
  stepId?: string
}

/** Who is deciding: the approver role is a grant; workspace admins and owners always may. */
export interface Decider {
  userId: string
  email: string
  role: Role
}

/**
 * Approval requests: anything that changes an outside system (Odoo create/write/unlink) is asked for,
 * decided by an approver who is not the requester, and run once when approved. Rejected and expired
 * requests never run; the outcome (ids created, errors) is recorded and audited.
 *
 * @example
 * const r = await approvals.request({ workspaceId, requestedBy: userId, kind: 'odoo.write', payload, summary })
 * await approvals.decide(workspaceId, r.id, approver, 'approve') // runs it, records the result
 */
export class ApprovalService {
  constructor(private readonly options: ApprovalServiceOptions) {}

  private get db(): Kysely<ApprovalTables> {
    return this.options.db() as unknown as Kysely<ApprovalTables>
  }

  private now(): Date {
    return this.options.now?.() ?? new Date()
  }

  async request(input: ApprovalInput): Promise<ApprovalView> {
    if (!this.options.executors[input.kind])
      throw new AppError(400, 'validation_failed', `Nothing can run approval requests of kind ${input.kind}`)
    const key = input.idempotencyKey ?? randomUUID()
    const existing = await this.db
      .selectFrom('approval_requests')
      .selectAll()
      .where('workspace_id', '=', input.workspaceId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst()
    if (existing) return this.view(await this.expireIfDue(existing))
    const expiresIn = input.expiresInMs ?? this.options.defaultExpiryMs ?? 7 * 86_400_000
    const now = this.now()
    const row = await this.db
      .insertInto('approval_requests')
      .values({
        id: randomUUID(),
        workspace_id: input.workspaceId,
        kind: input.kind,
        connection_id: input.connectionId ?? null,
        payload: JSON.stringify(input.payload),
        summary: input.summary,
        status: 'pending',
        idempotency_key: key,
        requested_by: input.requestedBy,
        requested_at: now,
        expires_at: new Date(now.getTime() + expiresIn),
        workflow_id: input.workflowId ?? null,
        step_id: input.stepId ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
    await this.audit(input.workspaceId, input.requestedBy, 'approvals.request', row.id, 'success', 201, {
      summary: input.summary,
    })
    return this.view(row)
  }

  async get(workspaceId: string, id: string): Promise<ApprovalView> {
    return this.view(await this.expireIfDue(await this.row(workspaceId, id)))
  }

  async list(workspaceId: string, filter: { status?: ApprovalStatus } = {}): Promise<ApprovalView[]> {
    await this.expireDue(workspaceId)
    let q = this.db.selectFrom('approval_requests').selectAll().where('workspace_id', '=', workspaceId)
    if (filter.status) q = q.where('status', '=', filter.status)
    const rows = await q.orderBy('requested_at', 'desc').limit(500).execute()
    return rows.map((r) => this.view(r))
  }

  /** Whether a member may decide requests: workspace owners and admins, and granted approvers. */
  async canApprove(workspaceId: string, userId: string, role: Role): Promise<boolean> {
    if (role === 'owner' || role === 'admin') return true
    const grant = await this.db
      .selectFrom('workspace_approvers')
      .select('user_id')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst()
    return grant !== undefined
  }

  async grantApprover(workspaceId: string, userId: string, grantedBy: string): Promise<void> {
    await this.db
      .insertInto('workspace_approvers')
      .values({ workspace_id: workspaceId, user_id: userId, granted_by: grantedBy })
      .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doNothing())
      .execute()
  }

  async revokeApprover(workspaceId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('workspace_approvers')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .execute()
  }

  async approvers(workspaceId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('workspace_approvers')
      .select('user_id')
      .where('workspace_id', '=', workspaceId)
      .execute()
    return rows.map((r) => r.user_id)
  }

  /**
   * Approves (and then runs) or rejects a pending request. 403 `not_an_approver` / `own_request`;
   * 409 `approval_expired` or `approval_already_decided`.
   */
  async decide(
    workspaceId: string,
    id: string,
    who: Decider,
    decision: 'approve' | 'reject',
    note?: string,
  ): Promise<ApprovalView> {
    const row = await this.expireIfDue(await this.row(workspaceId, id))
    if (!(await this.canApprove(workspaceId, who.userId, who.role)))
      throw new AppError(403, 'not_an_approver', 'Only approvers and workspace admins can decide approval requests')
    if (row.requested_by === who.userId)
      throw new AppError(403, 'own_request', 'A request is decided by someone other than the person who made it')
    if (row.status === 'expired')
      throw new AppError(409, 'approval_expired', `The request expired at ${iso(row.expires_at)}; it will never run`)
    if (row.status !== 'pending')
      throw new AppError(409, 'approval_already_decided', `The request is already ${row.status}`)
    const status = decision === 'approve' ? 'approved' : 'rejected'
    const decided = await this.db
      .updateTable('approval_requests')
      .set({ status, decided_by: who.userId, decided_at: this.now(), decision_note: note ?? null })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst()
    if (!decided) throw new AppError(409, 'approval_already_decided', 'The request was decided meanwhile')
    await this.audit(workspaceId, who.userId, `approvals.${decision}`, id, 'success', 200, { note: note ?? null })
    const final = decision === 'approve' ? await this.execute(workspaceId, id) : this.view(decided)
    await this.settled(final)
    return final
  }

  /**
   * Runs an approved request exactly once: the `approved → executing` step is a single conditional
   * update, so two callers (the API and a pipeline step) never both run it. Already run: its outcome.
   * Never runs a request that is not approved.
   */
  async execute(workspaceId: string, id: string): Promise<ApprovalView> {
    const claimed = await this.db
      .updateTable('approval_requests')
      .set({ status: 'executing' })
      .where('id', '=', id)
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', 'approved')
      .where('expires_at', '>', this.now())
      .returningAll()
      .executeTakeFirst()
    if (!claimed) {
      const row = await this.expireIfDue(await this.row(workspaceId, id))
      if (row.status === 'approved') {
        // Approved but expired before it ran (a long-paused pipeline): it never runs.
        const expired = await this.db
          .updateTable('approval_requests')
          .set({ status: 'expired' })
          .where('id', '=', id)
          .where('status', '=', 'approved')
          .returningAll()
          .executeTakeFirst()
        return this.view(expired ?? row)
      }
      return this.view(row)
    }
    const request = this.view(claimed)
    const executor = this.options.executors[claimed.kind] as ApprovalExecutor
    let result: unknown
    let error: string | null = null
    try {
      result = await executor.execute(request)
    } catch (err) {
      error = err instanceof Error ? err.message : String(err)
      this.options.logger.warn({ err, approvalId: id, workspaceId }, 'approved request failed')
    }
    const done = await this.db
      .updateTable('approval_requests')
      .set({
        status: error === null ? 'executed' : 'failed',
        executed_at: this.now(),
        result: error === null ? JSON.stringify(result ?? null) : null,
        error,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow()
    await this.audit(
      workspaceId,
      claimed.decided_by,
      'approvals.execute',
      id,
      error === null ? 'success' : 'failure',
      error === null ? 200 : 502,
      {
        result: result ?? null,
        error,
      },
    )
    return this.view(done)
  }

  /** Marks every overdue pending request of a workspace expired (each told to `onSettled`). */
  async expireDue(workspaceId: string): Promise<number> {
    const rows = await this.db
      .updateTable('approval_requests')
      .set({ status: 'expired' })
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', 'pending')
      .where('expires_at', '<=', this.now())
      .returningAll()
      .execute()
    for (const r of rows) await this.settled(this.view(r))
    return rows.length
  }

  private async expireIfDue(row: Row): Promise<Row> {
    if (row.status !== 'pending' || new Date(row.expires_at).getTime() > this.now().getTime()) return row
    const expired = await this.db
      .updateTable('approval_requests')
      .set({ status: 'expired' })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst()
    if (expired) await this.settled(this.view(expired))
    return expired ?? (await this.row(row.workspace_id, row.id))
  }

  private async settled(request: ApprovalView): Promise<void> {
    await this.options
      .onSettled?.(request)
      .catch((err: unknown) =>
        this.options.logger.warn({ err, approvalId: request.id }, 'telling a waiting run about an approval failed'),
      )
  }

  private async row(workspaceId: string, id: string): Promise<Row> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError('approval', id)
    const row = await this.db
      .selectFrom('approval_requests')
      .selectAll()
      .where('id', '=', id)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('approval', id)
    return row
  }

  private async audit(
    workspaceId: string,
    actorId: string | null,
    action: string,
    id: string,
    outcome: 'success' | 'failure',
    status: number,
    detail: unknown,
  ) {
    await this.options.audit?.record({
      actorId,
      actorEmail: null,
      workspaceId,
      action,
      resource: `/api/workspaces/${workspaceId}/approvals/${id}`,
      requestId: null,
      ip: null,
      outcome,
      status,
      detail: JSON.stringify(detail).slice(0, 4000),
    })
  }

  private view(r: Row): ApprovalView {
    return {
      id: r.id,
      workspaceId: r.workspace_id,
      kind: r.kind,
      connectionId: r.connection_id,
      payload: JSON.parse(r.payload),
      summary: r.summary,
      status: r.status,
      idempotencyKey: r.idempotency_key,
      requestedBy: r.requested_by,
      requestedAt: iso(r.requested_at),
      expiresAt: iso(r.expires_at),
      decidedBy: r.decided_by,
      decidedAt: r.decided_at ? iso(r.decided_at) : null,
      note: r.decision_note,
      executedAt: r.executed_at ? iso(r.executed_at) : null,
      result: r.result ? JSON.parse(r.result) : null,
      error: r.error,
      workflowId: r.workflow_id,
      stepId: r.step_id,
    }
  }
}

const iso = (d: Date | string) => new Date(d).toISOString()
