import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NetworkGuard } from '../../src/connections/network-guard.ts'
import { guardedFetch } from '../../src/connections/outbound-http.ts'
import { OdooClient } from '../../src/odoo/client.ts'
import { DomainError } from '../../src/odoo/domain.ts'
import { OdooError } from '../../src/odoo/errors.ts'
import { extractModel, readState } from '../../src/odoo/extract.ts'
import { type OdooTarget, odooVersions, startOdooTarget } from '../support/odoo.ts'

const fetchAllowingLoopback = guardedFetch({
  guard: () => new NetworkGuard({ allowed: ['127.0.0.0/8', '::1/128'] }),
  maxBodyBytes: 64 * 1024 * 1024,
})

describe.each(odooVersions([17, 19]))('extracting Odoo %s into DuckDB', (version) => {
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
      fetch: fetchAllowingLoopback,
    })
    instance = await DuckDBInstance.create(':memory:')
  })
  afterAll(async () => {
    instance?.closeSync()
    await t?.stop()
  })

  const rows = async (sql: string) => (await (await instance.connect()).runAndReadAll(sql)).getRowObjectsJS()

  it('writes typed tables: many2one as _id/_name, x2many as id lists, False as NULL, dates, money; balances tie out', async () => {
    const duck = await instance.connect()
    const r = await extractModel(odoo, duck, { model: 'account.move.line', pageSize: 150 })
    expect(r).toMatchObject({ mode: 'full', resumed: false, table: 'account_move_line' })
    expect(r.rows).toBe(await odoo.searchCount('account.move.line'))
    expect(r.pages).toBeGreaterThan(1)
    const types = Object.fromEntries(
      (
        await rows(
          "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'odoo' AND table_name = 'account_move_line'",
        )
      ).map((c) => [c.column_name, c.data_type]),
    )
    expect(types).toMatchObject({
      id: 'INTEGER',
      partner_id: 'INTEGER',
      partner_name: 'VARCHAR',
      account_id: 'INTEGER',
      account_name: 'VARCHAR',
      debit: 'DECIMAL(18,4)',
      date: 'DATE',
      date_maturity: 'DATE',
      write_date: 'TIMESTAMP',
      parent_state: 'VARCHAR',
      reconciled: 'BOOLEAN',
    })
    const [nulls] = await rows(
      'SELECT count(*) FILTER (WHERE date_maturity IS NULL)::INTEGER AS no_maturity, count(*) FILTER (WHERE partner_id IS NULL AND partner_name IS NULL)::INTEGER AS no_partner FROM odoo.account_move_line',
    )
    expect(nulls?.no_maturity).toBeGreaterThan(0)
    const unbalanced = await rows(
      'SELECT move_id FROM odoo.account_move_line GROUP BY move_id HAVING sum(debit) <> sum(credit)',
    )
    expect(unbalanced).toEqual([])
    const [sample] = await odoo.searchRead<{ id: number; partner_id: [number, string] | false; debit: number }>(
      'account.move.line',
      { domain: [['partner_id', '!=', false]], fields: ['partner_id', 'debit'], limit: 1, order: 'id' },
    )
    const [same] = await rows(
      `SELECT partner_id, partner_name, debit::DOUBLE AS debit FROM odoo.account_move_line WHERE id = ${sample?.id}`,
    )
    expect(same).toEqual({
      partner_id: (sample?.partner_id as [number, string] | undefined)?.[0],
      partner_name: (sample?.partner_id as [number, string] | undefined)?.[1],
      debit: sample?.debit,
    })
    const comments = await rows(
      "SELECT comment FROM duckdb_columns() WHERE schema_name = 'odoo' AND table_name = 'account_move_line' AND column_name = 'parent_state'",
    )
    expect(String(comments[0]?.comment)).toMatch(/posted = Posted/)
  })

  it('runs incrementally: only changed records are read, deletions are detected, nothing is duplicated', async () => {
    if (!t.fake) return
    const duck = await instance.connect()
    await extractModel(odoo, duck, { model: 'res.partner' })
    const before = (await rows('SELECT count(*)::INTEGER AS n FROM odoo.res_partner'))[0]?.n as number
    const ids = await odoo.search('res.partner', { order: 'id', limit: 3 })
    t.fake.db.now = () => new Date(Date.now() + 60_000)
    await odoo.write('res.partner', ids.slice(0, 2), { email: 'changed@example.com' })
    const [created] = await odoo.create('res.partner', [{ name: 'New Partner' }])
    const victim = (await odoo.search('res.partner', { domain: [['name', '=', 'Ready Mat']] }))[0] as number
    await odoo.unlink('res.partner', [victim])
    const r = await extractModel(odoo, duck, { model: 'res.partner' })
    expect(r).toMatchObject({ mode: 'incremental', read: 3, deleted: 1, rows: before })
    expect(await rows(`SELECT id FROM odoo.res_partner WHERE email = 'changed@example.com' ORDER BY id`)).toEqual(
      ids.slice(0, 2).map((id) => ({ id })),
    )
    expect(await rows(`SELECT name FROM odoo.res_partner WHERE id = ${created}`)).toEqual([{ name: 'New Partner' }])
    expect(await rows('SELECT id FROM odoo.res_partner GROUP BY id HAVING count(*) > 1')).toEqual([])
    const again = await extractModel(odoo, duck, { model: 'res.partner' })
    expect(again).toMatchObject({ mode: 'incremental', read: 0, deleted: 0, rows: before })
  })

  it('resumes a full extraction that failed midway, without duplicates', async () => {
    if (!t.fake) return
    const duck = await instance.connect()
    const domain = [['parent_state', '=', 'posted']] as [string, '=', string][]
    t.fake.failAfter(4, 1)
    const failed = await extractModel(odoo, duck, {
      model: 'account.move.line',
      table: 'posted_lines',
      domain,
      pageSize: 100,
    }).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(OdooError)
    expect((failed as OdooError).code).toBe('odoo_unavailable')
    const state = await readState(duck, 'odoo', 'posted_lines')
    expect(state).toMatchObject({ phase: 'full' })
    expect(state?.last_id).toBeGreaterThan(0)
    const r = await extractModel(odoo, duck, {
      model: 'account.move.line',
      table: 'posted_lines',
      domain,
      pageSize: 100,
    })
    expect(r).toMatchObject({ mode: 'full', resumed: true })
    expect(r.rows).toBe(await odoo.searchCount('account.move.line', domain))
    expect(r.read).toBeLessThan(r.rows)
    expect(await rows('SELECT id FROM odoo.posted_lines GROUP BY id HAVING count(*) > 1')).toEqual([])
    expect(await rows('SELECT DISTINCT parent_state FROM odoo.posted_lines')).toEqual([{ parent_state: 'posted' }])
  })

  it('refuses a domain on fields the model does not have, before asking Odoo', async () => {
    const duck = await instance.connect()
    const err = await extractModel(odoo, duck, { model: 'res.partner', domain: [['no_field', '=', 1]] }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(DomainError)
    expect((err as Error).message).toMatch(/no field no_field/)
  })
})
