import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ConnectionsFixture, createConnectionsFixture } from '../support/connections.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type OdooTarget, realOdoo, startOdooTarget } from '../support/odoo.ts'
import { FAKE_USERS } from '../support/odoo-fake/seed.ts'
import { type FakeOdoo, startFakeOdoo } from '../support/odoo-fake/server.ts'

describe.each(DATABASE_KINDS)('Odoo connections (%s)', (kind) => {
  let x: ConnectionsFixture
  let v17: OdooTarget
  let v19: OdooTarget
  let noApi: FakeOdoo
  beforeAll(async () => {
    x = await createConnectionsFixture(kind)
    ;[v17, v19, noApi] = await Promise.all([
      startOdooTarget(17),
      startOdooTarget(19),
      startFakeOdoo({ version: 18, externalApi: false }),
    ])
    for (const u of Object.values(FAKE_USERS)) {
      x.f.secrets.add(u.password)
      x.f.secrets.add(u.apiKey)
    }
  })
  afterAll(async () => {
    await Promise.all([v17?.stop(), v19?.stop(), noApi?.stop()])
    await x?.dispose()
  })

  const paramsOf = (t: OdooTarget, extra: Record<string, unknown> = {}) => ({
    url: t.url,
    database: t.database,
    login: t.login,
    apiKey: t.apiKey,
    ...extra,
  })
  const test = (params: Record<string, unknown>) => x.as.admin.post(`${x.base}/test`, { type: 'odoo', params })

  it('the test names the version, the protocol, the user and the companies', async () => {
    const on19 = await test(paramsOf(v19))
    expect(on19.body).toMatchObject({
      ok: true,
      serverVersion: expect.stringMatching(/^Odoo /),
      details: { protocol: 'json2' },
    })
    expect(on19.body.details.user.login).toBe(v19.login)
    expect(on19.body.details.companies.length).toBeGreaterThan(0)
    if (realOdoo()) return
    expect(on19.body.serverVersion).toBe('Odoo 19.0')
    expect(on19.body.details.companies.map((c: { name: string }) => c.name)).toEqual([
      'Azure Interior SAS',
      'Gemini Furniture Inc',
    ])
    const on17 = await test(paramsOf(v17, { apiKey: v17.secret }))
    expect(on17.body).toMatchObject({
      ok: true,
      serverVersion: 'Odoo 17.0',
      details: { protocol: 'jsonrpc', user: { name: 'Mitchell Admin' } },
    })
    const forced = await test(paramsOf(v19, { protocol: 'xmlrpc' }))
    expect(forced.body).toMatchObject({ ok: true, details: { protocol: 'xmlrpc' } })
  })

  it('gives precise errors: database, credentials, expired key, plan without API, JSON-2 on 17, AccessDenied, policy', async () => {
    const wrongDb = await test(paramsOf(v17, { apiKey: v17.secret, database: 'nope' }))
    expect(wrongDb.body.error).toMatchObject({ code: 'database_not_found' })
    expect(wrongDb.body.error.message).toContain('nope')
    expect(wrongDb.text).not.toMatch(/Traceback|psycopg2/)
    const badCreds = await test(paramsOf(v19, { apiKey: 'not-a-key-0000' }))
    expect(badCreds.body.error.code).toBe('authentication_failed')
    expect(badCreds.text).not.toContain('not-a-key-0000')
    expect((await test(paramsOf(v17, { protocol: 'json2' }))).body.error.code).toBe('protocol_unavailable')
    if (realOdoo()) return
    const expired = await test(paramsOf(v19, { login: FAKE_USERS.expired.login, apiKey: FAKE_USERS.expired.apiKey }))
    expect(expired.body.error.code).toBe('authentication_failed')
    expect(expired.body.error.message).toMatch(/expired or revoked API key/)
    const plan = await test({ url: noApi.url, database: 'odoo', login: 'admin', apiKey: 'x-key-123' })
    expect(plan.body.error.code).toBe('external_api_unavailable')
    // Signed in, but refused what the test reads (the companies): access_denied, with Odoo's message.
    const sales = v17.fake?.db.users.get(FAKE_USERS.sales.uid)
    if (sales) sales.deny = { ...sales.deny, 'res.company': ['read'] }
    try {
      const refused = await test(
        paramsOf(v17, { login: FAKE_USERS.sales.login, apiKey: FAKE_USERS.sales.password, protocol: 'xmlrpc' }),
      )
      expect(refused.body.error.code).toBe('access_denied')
      expect(refused.body.error.message).toMatch(/res\.company\.read: You are not allowed to access 'Companies'/)
    } finally {
      if (sales?.deny) delete sales.deny['res.company']
    }
    const blocked = await createConnectionsFixture(kind, { allowLoopback: false })
    try {
      const refused = await blocked.as.admin.post(`${blocked.base}/test`, { type: 'odoo', params: paramsOf(v19) })
      expect(refused.body.error.code).toBe('destination_not_allowed')
    } finally {
      await blocked.dispose()
    }
  })

  it('saves the key sealed, never returns it, needs it again to move the URL, and catalogues the chosen models', async () => {
    const created = await x.as.admin.post(x.base, {
      name: 'Odoo',
      type: 'odoo',
      params: paramsOf(v19, { models: ['account.move.line', 'res.partner', 'hr.expense'] }),
    })
    expect(created.status).toBe(201)
    expect(created.body.connection.secrets).toEqual({ apiKey: 'set' })
    expect(created.text).not.toContain(v19.apiKey)
    const id = created.body.connection.id as string
    const row = await x.f.db
      .selectFrom('connections')
      .select(['params', 'secrets'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    expect(JSON.stringify(row)).not.toContain(v19.apiKey)
    const moved = await x.as.admin.patch(`${x.base}/${id}`, { params: { url: 'http://127.0.0.2:1' } })
    expect(moved.status).toBe(400)
    expect(moved.body.code).toBe('secret_required')

    const lines = (await x.as.viewer.get(`${x.base}/${id}/introspection`)).text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((t) => t.name).sort()).toEqual(['account_move_line', 'hr_expense', 'res_partner'])
    const aml = lines.find((t) => t.name === 'account_move_line')
    expect(aml).toMatchObject({ schema: 'odoo', kind: 'table', comment: expect.stringContaining('account.move.line') })
    const col = (n: string) => aml.columns.find((c: { name: string }) => c.name === n)
    expect(col('partner_id')).toMatchObject({ type: 'INTEGER', comment: expect.stringContaining('res.partner') })
    expect(col('partner_name')).toMatchObject({ type: 'VARCHAR' })
    expect(col('debit')).toMatchObject({ type: 'DECIMAL(18,4)', comment: expect.stringMatching(/Debit.*currency/) })
    expect(col('date_maturity')).toMatchObject({ type: 'DATE', comment: expect.stringContaining('Due Date') })
    expect(col('parent_state')?.comment ?? col('display_type')?.comment).toMatch(/Values: /)
    expect(col('write_date')).toMatchObject({ type: 'TIMESTAMP' })
    if (!realOdoo()) expect(aml.rowEstimate).toBe(v19.fake?.db.records.get('account.move.line')?.size)
  })
})
