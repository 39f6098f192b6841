import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Decider } from '../../src/approvals/approval-service.ts'
import { AuditLog } from '../../src/auth/audit-log.ts'
import { WorkspaceDatabases } from '../../src/kernels/workspace-databases.ts'
import { OdooServices } from '../../src/odoo/odoo-services.ts'
import { odooExtractHandler, odooWriteHandler } from '../../src/odoo/odoo-steps.ts'
import { WORKBENCH_STEP_TYPES } from '../../src/pipelines/step-registry.ts'
import { type ConnectionsFixture, createConnectionsFixture } from '../support/connections.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type OdooTarget, startOdooTarget } from '../support/odoo.ts'

describe.each(DATABASE_KINDS)('Odoo writes through approval (%s)', (kind) => {
  let x: ConnectionsFixture
  let t: OdooTarget
  let odoo: OdooServices
  let connectionId: string
  let databases: WorkspaceDatabases
  let dataDir: string
  const settled: string[] = []
  const who = (role: 'owner' | 'admin' | 'editor' | 'viewer'): Decider => ({
    userId: x.as[role].userId,
    email: `${role}@example.com`,
    role,
  })

  beforeAll(async () => {
    x = await createConnectionsFixture(kind)
    t = await startOdooTarget(19)
    x.f.secrets.add(t.apiKey)
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'odoo-approvals-'))
    databases = new WorkspaceDatabases({ dataDir, memoryLimit: '256MB' })
    const logger = pino({ level: 'silent' })
    odoo = new OdooServices({
      db: () => x.f.db,
      connections: x.service,
      duckdb: databases.get,
      audit: new AuditLog(() => x.f.db, logger),
      logger,
      onApprovalSettled: async (r) => {
        settled.push(`${r.id}:${r.status}`)
      },
    })
    const created = await x.as.admin.post(x.base, {
      name: 'Odoo',
      type: 'odoo',
      params: { url: t.url, database: t.database, login: t.login, apiKey: t.apiKey },
    })
    expect(created.status).toBe(201)
    connectionId = created.body.connection.id
  })
  afterAll(async () => {
    await databases?.close()
    await t?.stop()
    await x?.dispose()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  const partner = async (id: number) =>
    (
      await (
        await odoo.client(x.workspaceId, connectionId)
      ).read<{ email: string | false }>('res.partner', [id], ['email'])
    )[0]

  it('a write waits for an approver who is not the requester, runs once, and is recorded and audited', async () => {
    const ids = await (await odoo.client(x.workspaceId, connectionId)).search('res.partner', {
      domain: [['is_company', '=', true]],
      limit: 2,
      order: 'id',
    })
    const before = await partner(ids[0] as number)
    const request = await odoo.writes.request(x.workspaceId, x.as.editor.userId, connectionId, {
      operation: 'write',
      model: 'res.partner',
      ids,
      values: { email: 'billing@example.com' },
    })
    expect(request).toMatchObject({
      status: 'pending',
      kind: 'odoo.write',
      summary: 'Change email on 2 res.partner record(s)',
    })
    expect(request.payload).toMatchObject({
      operation: 'write',
      ids,
      values: { email: 'billing@example.com' },
      before: { [String(ids[0])]: { email: before?.email } },
    })
    expect((await partner(ids[0] as number))?.email).toEqual(before?.email)

    await expect(odoo.approvals.decide(x.workspaceId, request.id, who('viewer'), 'approve')).rejects.toMatchObject({
      code: 'not_an_approver',
    })
    // Even an approver never decides their own request.
    await odoo.approvals.grantApprover(x.workspaceId, x.as.editor.userId, x.as.admin.userId)
    await expect(odoo.approvals.decide(x.workspaceId, request.id, who('editor'), 'approve')).rejects.toMatchObject({
      code: 'own_request',
    })
    await odoo.approvals.grantApprover(x.workspaceId, x.as.viewer.userId, x.as.admin.userId)
    const done = await odoo.approvals.decide(x.workspaceId, request.id, who('viewer'), 'approve', 'ok for billing')
    expect(done).toMatchObject({
      status: 'executed',
      decidedBy: x.as.viewer.userId,
      note: 'ok for billing',
      result: { ids },
    })
    expect((await partner(ids[0] as number))?.email).toBe('billing@example.com')
    await expect(odoo.approvals.decide(x.workspaceId, request.id, who('admin'), 'approve')).rejects.toMatchObject({
      code: 'approval_already_decided',
    })
    expect((await odoo.approvals.execute(x.workspaceId, request.id)).status).toBe('executed')
    expect(settled).toContain(`${request.id}:executed`)
    const audit = await x.f.db
      .selectFrom('audit_events')
      .select(['action', 'outcome'])
      .where('resource', 'like', `%/approvals/${request.id}`)
      .orderBy('id')
      .execute()
    expect(audit.map((a) => a.action)).toEqual(['approvals.request', 'approvals.approve', 'approvals.execute'])
  })

  it('a create runs once with its idempotency key: asking again answers the same request, running again creates nothing', async () => {
    const ask = () =>
      odoo.writes.request(
        x.workspaceId,
        x.as.editor.userId,
        connectionId,
        { operation: 'create', model: 'res.partner', records: [{ name: 'Approved Partner' }] },
        { idempotencyKey: 'pipeline-run-1/step-a' },
      )
    const first = await ask()
    expect((await ask()).id).toBe(first.id)
    const done = await odoo.approvals.decide(x.workspaceId, first.id, who('admin'), 'approve')
    expect(done.status).toBe('executed')
    const again = await odoo.approvals.execute(x.workspaceId, first.id)
    expect(again.result).toEqual(done.result)
    const found = await (await odoo.client(x.workspaceId, connectionId)).search('res.partner', {
      domain: [['name', '=', 'Approved Partner']],
    })
    expect(found).toEqual((done.result as { ids: number[] }).ids)
  })

  it('rejected and expired requests never run; a failing one records Odoo’s error', async () => {
    const client = await odoo.client(x.workspaceId, connectionId)
    const [id] = await client.search('res.partner', { domain: [['name', '=', 'Lumber Inc']] })
    const rejected = await odoo.writes.request(x.workspaceId, x.as.editor.userId, connectionId, {
      operation: 'unlink',
      model: 'res.partner',
      ids: [id as number],
    })
    expect(rejected.payload).toMatchObject({ before: { [String(id)]: { display_name: 'Lumber Inc' } } })
    expect((await odoo.approvals.decide(x.workspaceId, rejected.id, who('admin'), 'reject', 'no')).status).toBe(
      'rejected',
    )
    expect((await odoo.approvals.execute(x.workspaceId, rejected.id)).status).toBe('rejected')
    expect(await client.search('res.partner', { domain: [['id', '=', id as number]] })).toEqual([id])

    const expiring = await odoo.writes.request(
      x.workspaceId,
      x.as.editor.userId,
      connectionId,
      { operation: 'unlink', model: 'res.partner', ids: [id as number] },
      { expiresInMs: 1 },
    )
    await new Promise((r) => setTimeout(r, 20))
    await expect(odoo.approvals.decide(x.workspaceId, expiring.id, who('admin'), 'approve')).rejects.toMatchObject({
      code: 'approval_expired',
    })
    expect((await odoo.approvals.get(x.workspaceId, expiring.id)).status).toBe('expired')
    expect(await client.search('res.partner', { domain: [['id', '=', id as number]] })).toEqual([id])
    expect(settled).toContain(`${expiring.id}:expired`)

    const failing = await odoo.writes.request(x.workspaceId, x.as.editor.userId, connectionId, {
      operation: 'create',
      model: 'res.partner',
      records: [{ email: 'no-name@example.com' }],
    })
    const failed = await odoo.approvals.decide(x.workspaceId, failing.id, who('admin'), 'approve')
    expect(failed).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^Odoo res\.partner\.create: .*mandatory field/s),
    })
    expect(failed.error).not.toMatch(/Traceback/)
  })

  it('refuses malformed writes before asking anyone', async () => {
    await expect(
      odoo.writes.request(x.workspaceId, x.as.editor.userId, connectionId, {
        operation: 'write',
        model: 'res.partner',
        ids: [],
        values: {},
      }),
    ).rejects.toThrow()
    await expect(
      odoo.writes.request(x.workspaceId, x.as.editor.userId, connectionId, { operation: 'drop', model: 'res.partner' }),
    ).rejects.toThrow()
  })

  it('extracts into the workspace DuckDB through the connection', async () => {
    const r = await odoo.extract(x.workspaceId, connectionId, {
      model: 'account.move.line',
      domain: [['parent_state', '=', 'posted']],
    })
    expect(r.rows).toBeGreaterThan(0)
    const db = await databases.get(x.workspaceId)
    const page = await db.query('SELECT count(*)::INTEGER AS n FROM odoo.account_move_line')
    expect(page.rows[0]).toEqual([r.rows])
  })

  const context = (key: string) => ({
    signal: new AbortController().signal,
    attempt: 1,
    idempotencyKey: key,
    heartbeat: () => {},
    log: () => {},
  })

  it('pipeline steps: odoo.extract fills tables; odoo.write waits for the decision and runs once approved', async () => {
    expect(WORKBENCH_STEP_TYPES.has('odoo.extract') && WORKBENCH_STEP_TYPES.has('odoo.write')).toBe(true)
    const input = {
      pipeline: 'gl-month-end',
      stepId: 'lines',
      type: 'odoo.extract',
      with: {},
      params: {},
      idempotencyKey: 'k',
      workspaceId: x.workspaceId,
    }
    const extracted = (await odooExtractHandler(
      () => x.f.db,
      () => odoo,
    )(
      { connection: 'Odoo', models: ['res.partner', { model: 'account.move', domain: [['state', '=', 'posted']] }] },
      context('run-1/lines'),
      input,
    )) as { tables: { table: string; rows: number }[] }
    expect(extracted.tables.map((r) => r.table)).toEqual(['res_partner', 'account_move'])
    await x.f.db
      .insertInto('pipelines')
      .values({
        id: 'p-odoo',
        workspace_id: x.workspaceId,
        name: 'gl-month-end',
        created_by: x.as.editor.userId,
      } as never)
      .execute()
    const step = odooWriteHandler(
      () => x.f.db,
      () => odoo,
      20,
    )(
      { connection: 'Odoo', operation: 'create', model: 'res.partner', records: [{ name: 'From A Pipeline' }] },
      context('run-1/write'),
      { ...input, stepId: 'write', type: 'odoo.write' },
    )
    let pending: { id: string } | undefined
    for (let i = 0; i < 200 && !pending; i++) {
      pending = (await odoo.approvals.list(x.workspaceId, { status: 'pending' })).find(
        (r) => r.idempotencyKey === 'run-1/write',
      )
      if (!pending) await new Promise((r) => setTimeout(r, 20))
    }
    expect(pending).toBeDefined()
    await odoo.approvals.decide(x.workspaceId, pending?.id as string, who('admin'), 'approve')
    const out = (await step) as { ids: number[] }
    expect(out.ids).toHaveLength(1)
    const rejected = odooWriteHandler(
      () => x.f.db,
      () => odoo,
      20,
    )({ connection: 'Odoo', operation: 'unlink', model: 'res.partner', ids: out.ids }, context('run-1/unlink'), {
      ...input,
      stepId: 'unlink',
      type: 'odoo.write',
    })
    let next: { id: string } | undefined
    for (let i = 0; i < 200 && !next; i++) {
      next = (await odoo.approvals.list(x.workspaceId, { status: 'pending' })).find(
        (r) => r.idempotencyKey === 'run-1/unlink',
      )
      if (!next) await new Promise((r) => setTimeout(r, 20))
    }
    await odoo.approvals.decide(x.workspaceId, next?.id as string, who('admin'), 'reject')
    await expect(rejected).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(/rejected; nothing was sent to Odoo/),
    })
    expect(
      await (await odoo.client(x.workspaceId, connectionId)).search('res.partner', { domain: [['id', 'in', out.ids]] }),
    ).toEqual(out.ids)
  })
})
