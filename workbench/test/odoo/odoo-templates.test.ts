import { DuckDBInstance } from '@duckdb/node-api'
import { validatePipeline } from '@workbench/orchestrator/spec'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NetworkGuard } from '../../src/connections/network-guard.ts'
import { guardedFetch } from '../../src/connections/outbound-http.ts'
import { OdooClient } from '../../src/odoo/client.ts'
import { extractModel } from '../../src/odoo/extract.ts'
import { agingSql, GL_TIE_OUT_SQL, glMonthEndSql, odooTemplatePipeline } from '../../src/odoo/templates.ts'
import { WORKBENCH_STEP_TYPES } from '../../src/pipelines/step-registry.ts'
import { type OdooTarget, odooVersions, startOdooTarget } from '../support/odoo.ts'
import { SEED_TODAY } from '../support/odoo-fake/seed.ts'

describe.each(odooVersions([17, 19]))('Odoo accounting templates on Odoo %s', (version) => {
  let t: OdooTarget
  let odoo: OdooClient
  let instance: DuckDBInstance
  beforeAll(async () => {
    t = await startOdooTarget(version)
    odoo = await OdooClient.connect({
      url: t.url,
      database: t.database,
      login: t.login,
      secret: version >= 19 ? t.apiKey : t.secret,
      fetch: guardedFetch({ guard: () => new NetworkGuard({ allowed: ['127.0.0.0/8'] }), maxBodyBytes: 64 << 20 }),
    })
    instance = await DuckDBInstance.create(':memory:')
    const duck = await instance.connect()
    await extractModel(odoo, duck, { model: 'account.account' })
    await extractModel(odoo, duck, { model: 'account.move.line' })
  })
  afterAll(async () => {
    instance?.closeSync()
    await t?.stop()
  })
  const rows = async (sql: string) => (await (await instance.connect()).runAndReadAll(sql)).getRowObjectsJS()
  const companyId = () => odoo.identity.companies[0]?.id as number
  const cents = (v: unknown) => Math.round(Number(v) * 100)

  it('GL month-end: the posted items of the period, every move balanced, totals equal to Odoo’s', async () => {
    const asOf = t.fake ? SEED_TODAY : new Date().toISOString().slice(0, 10)
    const periodStart = `${asOf.slice(0, 7)}-01`
    const sql = glMonthEndSql({ periodStart, periodEnd: asOf, companyId: companyId() })
    const duck = await instance.connect()
    await duck.run(`CREATE OR REPLACE TABLE gl AS ${sql}`)
    expect(await rows(GL_TIE_OUT_SQL)).toEqual([])
    const [totals] = await rows(
      'SELECT count(*)::INTEGER AS n, sum(debit)::DOUBLE AS debit, sum(credit)::DOUBLE AS credit FROM gl',
    )
    const direct = await odoo.searchRead<{ debit: number; credit: number }>('account.move.line', {
      domain: [
        ['parent_state', '=', 'posted'],
        ['company_id', '=', companyId()],
        ['date', '>=', periodStart],
        ['date', '<=', asOf],
      ],
      fields: ['debit', 'credit'],
    })
    expect(totals?.n).toBe(direct.length)
    expect(cents(totals?.debit)).toBe(cents(direct.reduce((s, r) => s + r.debit, 0)))
    expect(cents(totals?.debit)).toBe(cents(totals?.credit))
    if (t.fake) expect(direct.length).toBeGreaterThan(0)
    expect(() =>
      glMonthEndSql({ periodStart: "2026-01-01'; DROP TABLE x; --", periodEnd: asOf, companyId: 1 }),
    ).toThrow(/not a date/)
  })

  it('AP/AR aging: per-partner buckets sum to each partner’s open balance in Odoo, payables negative', async () => {
    const asOf = t.fake ? SEED_TODAY : new Date().toISOString().slice(0, 10)
    const aging = await rows(agingSql({ asOf, companyId: companyId() }))
    const open = await odoo.searchRead<{
      partner_id: [number, string] | false
      amount_residual: number
      account_type: string
      date_maturity: string | false
      date: string
    }>('account.move.line', {
      domain: [
        ['parent_state', '=', 'posted'],
        ['company_id', '=', companyId()],
        ['account_type', 'in', ['asset_receivable', 'liability_payable']],
        ['amount_residual', '!=', 0],
      ],
      fields: ['partner_id', 'amount_residual', 'account_type', 'date_maturity', 'date'],
    })
    const expected = new Map<string, { total: number; overdue90: number }>()
    for (const r of open) {
      const key = `${r.account_type === 'asset_receivable' ? 'receivable' : 'payable'}/${r.partner_id ? r.partner_id[0] : ''}`
      const e = expected.get(key) ?? { total: 0, overdue90: 0 }
      e.total += r.amount_residual
      const days = (Date.parse(asOf) - Date.parse(r.date_maturity || r.date)) / 86_400_000
      if (days > 90) e.overdue90 += r.amount_residual
      expected.set(key, e)
    }
    expect(aging.length).toBe(expected.size)
    for (const a of aging) {
      const e = expected.get(`${a.kind}/${a.partner_id ?? ''}`)
      expect(cents(a.total)).toBe(cents(e?.total))
      expect(cents(a['90+'])).toBe(cents(e?.overdue90))
      const buckets = ['current', '1-30', '31-60', '61-90', '90+'].reduce((s, b) => s + cents(a[b]), 0)
      expect(buckets).toBe(cents(a.total))
      if (a.kind === 'payable') expect(Number(a.total)).toBeLessThan(0)
      else expect(Number(a.total)).toBeGreaterThan(0)
    }
    if (t.fake) expect(new Set(aging.map((a) => a.kind))).toEqual(new Set(['receivable', 'payable']))
  })

  it('the template pipelines validate against the workbench step types', () => {
    for (const sql of [
      glMonthEndSql({ periodStart: '2026-11-01', periodEnd: '2026-11-30', companyId: 1 }),
      agingSql({ asOf: '2026-11-30', companyId: 1 }),
    ]) {
      const result = validatePipeline(
        odooTemplatePipeline({ name: 'odoo-report', connection: 'Odoo', table: 'report', sql }),
        { registry: WORKBENCH_STEP_TYPES },
      )
      expect(result.problems).toEqual([])
    }
  })
})
