import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NetworkGuard } from '../../src/connections/network-guard.ts'
import { guardedFetch } from '../../src/connections/outbound-http.ts'
import { OdooClient, type OdooProtocol } from '../../src/odoo/client.ts'
import { DomainError, domainOf, validateDomain } from '../../src/odoo/domain.ts'
import { OdooError } from '../../src/odoo/errors.ts'
import { type OdooTarget, odooVersions, startOdooTarget } from '../support/odoo.ts'
import { FAKE_USERS } from '../support/odoo-fake/seed.ts'
import { startFakeOdoo } from '../support/odoo-fake/server.ts'

/** The outbound policy with loopback allowed, as an instance admin would for an on-premise Odoo. */
const fetchAllowingLoopback = guardedFetch({
  guard: () => new NetworkGuard({ allowed: ['127.0.0.0/8', '::1/128'] }),
  maxBodyBytes: 64 * 1024 * 1024,
})

const connect = (
  t: OdooTarget,
  protocol: OdooProtocol | 'auto',
  over: Partial<{ login: string; secret: string; database: string }> = {},
) =>
  OdooClient.connect({
    url: t.url,
    database: over.database ?? t.database,
    login: over.login ?? t.login,
    secret: over.secret ?? (protocol === 'json2' ? t.apiKey : t.secret),
    protocol,
    fetch: fetchAllowingLoopback,
  })

async function odooError(p: Promise<unknown>): Promise<OdooError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(OdooError)
  return err as OdooError
}

describe.each(odooVersions())('Odoo client against Odoo %s', (version) => {
  let t: OdooTarget
  beforeAll(async () => {
    t = await startOdooTarget(version)
  })
  afterAll(async () => t?.stop())

  const protocols = (): OdooProtocol[] =>
    version === 0 || version >= 19 ? ['json2', 'xmlrpc', 'jsonrpc'] : ['xmlrpc', 'jsonrpc']

  it('detects the version and prefers JSON-2 on 19, JSON-RPC before', async () => {
    const odoo = await connect(t, 'auto', { secret: version >= 19 ? t.apiKey : t.secret })
    if (version) expect(odoo.version.major).toBe(version)
    expect(odoo.protocol).toBe(odoo.version.major >= 19 ? 'json2' : 'jsonrpc')
    expect(odoo.identity.login).toBe(t.login)
    expect(odoo.identity.companies.length).toBeGreaterThan(0)
  })

  it.each(['xmlrpc', 'jsonrpc', 'json2'] as const)('reads the same records over %s', async (protocol) => {
    if (!protocols().includes(protocol)) {
      const err = await odooError(connect(t, protocol))
      expect(err.code).toBe('odoo_protocol_unavailable')
      expect(err.message).toMatch(/JSON-2 needs Odoo 19/)
      return
    }
    const odoo = await connect(t, protocol)
    const domain = domainOf.and(
      domainOf.where('parent_state', '=', 'posted'),
      domainOf.where('account_type', 'in', ['asset_receivable', 'liability_payable']),
    )
    const rows = await odoo.searchRead<{ id: number; partner_id: [number, string] | false; debit: number }>(
      'account.move.line',
      {
        domain,
        fields: ['partner_id', 'debit', 'credit', 'date_maturity'],
        order: 'id',
        limit: 5,
      },
    )
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((a, b) => a - b))
    for (const r of rows)
      expect(r.partner_id === false || (Array.isArray(r.partner_id) && typeof r.partner_id[1] === 'string')).toBe(true)
    const count = await odoo.searchCount('account.move.line', domain)
    expect(count).toBeGreaterThanOrEqual(rows.length)
    const fields = await odoo.fieldsGet('account.move.line')
    expect(fields.partner_id).toMatchObject({ type: 'many2one', relation: 'res.partner' })
    expect(fields.debit?.type).toBe('monetary')
  })

  it.each(['xmlrpc', 'jsonrpc', 'json2'] as const)(
    'maps Odoo faults over %s to errors naming model, method and message',
    async (protocol) => {
      if (!protocols().includes(protocol)) return
      const odoo = await connect(t, protocol)
      const bad = await odooError(odoo.searchRead('res.partner', { domain: [['no_such_field', '=', 1]] }))
      expect(bad.code).toBe('odoo_server_error')
      expect(bad.message).toMatch(/^Odoo res\.partner\.search_read: /)
      expect(bad.message).not.toMatch(/Traceback|File "/)
      const model = await odooError(odoo.searchRead('no.such.model', {}))
      expect(model.code).toBe('odoo_not_found')
      expect(model.message).toContain('no.such.model')
      const missing = await odooError(odoo.read('res.partner', [999_999], ['name']))
      expect(missing.code).toBe('odoo_missing_record')
      expect(missing.message).toMatch(/Record does not exist or has been deleted/)
      const required = await odooError(odoo.create('res.partner', [{ email: 'nobody@example.com' }]))
      expect(required.code).toBe('odoo_user_error')
      expect(required.message).toMatch(/mandatory field is not set/)
    },
  )

  it('honours real domains: prefix operators, dotted paths, child_of, like variants, active_test', async () => {
    const odoo = await connect(t, 'auto', { secret: version >= 19 ? t.apiKey : t.secret })
    const names = async (domain: unknown[]) =>
      (
        await odoo.searchRead<{ name: string }>('res.partner', {
          domain: validateDomain(domain),
          fields: ['name'],
          order: 'name',
        })
      ).map((r) => r.name)
    if (!t.fake) return
    expect(await names([['name', '=like', 'Deco%']])).toEqual(['Deco Addict'])
    expect(await names([['name', '=ilike', 'deco%']])).toEqual(['Deco Addict'])
    expect(await names([['name', 'like', 'deco']])).toEqual([])
    expect(await names(['|', ['name', 'ilike', 'lumber'], ['name', 'ilike', 'ready']])).toEqual([
      'Lumber Inc',
      'Ready Mat',
    ])
    expect(await names(['!', ['is_company', '=', true], ['parent_id.name', '=', 'Deco Addict']])).toEqual([
      'Brandon Freeman',
    ])
    expect(
      await names([
        ['id', 'child_of', 3],
        ['id', '!=', 3],
      ]),
    ).toEqual(['Brandon Freeman', 'Nicole Ford'])
    expect(await names([['name', 'ilike', 'archived']])).toEqual([])
    const archived = await odoo.searchRead('res.partner', { domain: [['active', '=', false]], fields: ['name'] })
    expect(archived.map((r) => r.name)).toEqual(['Old Customer (archived)'])
    const page1 = await odoo.search('res.partner', { order: 'name desc', limit: 3 })
    const page2 = await odoo.search('res.partner', { order: 'name desc', limit: 3, offset: 3 })
    const all = await odoo.search('res.partner', { order: 'name desc', limit: 6 })
    expect([...page1, ...page2]).toEqual(all)
  })

  it('refuses bad credentials, a wrong database and records outside the user’s rights', async () => {
    const protocol: OdooProtocol = version >= 19 ? 'json2' : 'xmlrpc'
    const creds = await odooError(connect(t, protocol, { secret: 'wrong-secret' }))
    expect(creds.code).toBe('odoo_authentication_failed')
    if (protocol !== 'json2') {
      const db = await odooError(connect(t, protocol, { database: 'no_such_db' }))
      expect(db.code).toBe('odoo_database_not_found')
      expect(db.message).toContain('no_such_db')
      expect(db.message).not.toMatch(/Traceback/)
    }
    if (!t.fake) return
    const expired = await odooError(
      connect(t, protocol, { login: FAKE_USERS.expired.login, secret: FAKE_USERS.expired.apiKey }),
    )
    expect(expired.code).toBe('odoo_authentication_failed')
    expect(expired.message).toMatch(/expired or revoked API key/)
    const sales = await connect(t, protocol, {
      login: FAKE_USERS.sales.login,
      secret: protocol === 'json2' ? FAKE_USERS.sales.apiKey : FAKE_USERS.sales.password,
    })
    const denied = await odooError(sales.searchRead('account.move', { limit: 1 }))
    expect(denied.code).toBe('odoo_access_error')
    expect(denied.message).toMatch(
      /^Odoo account\.move\.search_read: You are not allowed to access 'Journal Entry' \(account\.move\) records/,
    )
    // Multi-company: the French accountant sees only the French company's journal items.
    const fr = await connect(t, protocol, {
      login: FAKE_USERS.accountantFr.login,
      secret: protocol === 'json2' ? FAKE_USERS.accountantFr.apiKey : FAKE_USERS.accountantFr.password,
    })
    expect(fr.identity.companies.map((c) => c.id)).toEqual([1])
    const companies = await fr.searchRead<{ company_id: [number, string] }>('account.move.line', {
      fields: ['company_id'],
      limit: 500,
    })
    expect(new Set(companies.map((r) => r.company_id[0]))).toEqual(new Set([1]))
    const admin = await connect(t, protocol)
    const both = await admin.searchRead<{ company_id: [number, string] }>('account.move.line', {
      fields: ['company_id'],
      limit: 500,
    })
    expect(new Set(both.map((r) => r.company_id[0]))).toEqual(new Set([1, 2]))
  })

  it('writes, and unlinks what it created', async () => {
    if (!t.fake) return
    const odoo = await connect(t, version >= 19 ? 'json2' : 'xmlrpc')
    const [id] = await odoo.create('res.partner', [{ name: 'Workbench Test Partner', email: 'wb@example.com' }])
    expect(typeof id).toBe('number')
    await odoo.write('res.partner', [id as number], { email: 'changed@example.com' })
    const [row] = await odoo.read<{ email: string }>('res.partner', [id as number], ['email'])
    expect(row?.email).toBe('changed@example.com')
    await odoo.unlink('res.partner', [id as number])
    expect((await odooError(odoo.read('res.partner', [id as number]))).code).toBe('odoo_missing_record')
  })
})

describe('Odoo client edge cases', () => {
  it('says the external API is not available on the plan', async () => {
    const fake = await startFakeOdoo({ version: 17, externalApi: false })
    try {
      const err = await odooError(
        OdooClient.connect({
          url: fake.url,
          database: 'odoo',
          login: 'admin',
          secret: 'x',
          protocol: 'auto',
          fetch: fetchAllowingLoopback,
        }),
      )
      expect(err.code).toBe('odoo_external_api_unavailable')
      expect(err.message).toMatch(/no external API/)
    } finally {
      await fake.stop()
    }
  })

  it('goes through the outbound policy: loopback is refused unless allowed', async () => {
    const fake = await startFakeOdoo({ version: 17 })
    try {
      const refused = await OdooClient.connect({
        url: fake.url,
        database: 'odoo',
        login: 'admin',
        secret: FAKE_USERS.admin.password,
        fetch: guardedFetch({ guard: () => new NetworkGuard({ allowed: [] }) }),
      }).catch((e: unknown) => e)
      expect((refused as { code?: string }).code).toBe('destination_not_allowed')
      expect(fake.calls.size).toBe(0)
    } finally {
      await fake.stop()
    }
  })

  it('validates domains before sending them', () => {
    expect(() => validateDomain(['&', ['name', '=', 'x']])).toThrow(DomainError)
    expect(() => validateDomain([['name', 'between', 1]])).toThrow(/unknown operator/)
    expect(() => validateDomain([['name', 'in', 'x']])).toThrow(/needs a list/)
    expect(() => validateDomain([['name; drop', '=', 1]])).toThrow(/not a field path/)
    expect(() => validateDomain([['name.x', '=', 1]], { name: { type: 'char' } })).toThrow(/not a relational field/)
    expect(validateDomain(['|', ['a', '=', 1], '!', ['b', '=', 2], ['c', '>', 3]])).toHaveLength(5)
    expect(
      domainOf.or(domainOf.where('a', '=', 1), domainOf.and(domainOf.where('b', '=', 2), domainOf.where('c', '<', 3))),
    ).toEqual(['|', ['a', '=', 1], '&', ['b', '=', 2], ['c', '<', 3]])
    expect(
      domainOf.not([
        ['a', '=', 1],
        ['b', '=', 2],
      ]),
    ).toEqual(['!', '&', ['a', '=', 1], ['b', '=', 2]])
  })
})
