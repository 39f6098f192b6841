import {
  type DiscoverySource,
  discover,
  ensureSource,
  type IntrospectedTable,
  SearchIndexes,
  searchAssets,
  setTags,
  suggestAssets,
  updateAsset,
} from '@workbench/catalog'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogDb } from '../../src/catalog/catalog-db.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { createWorkspace } from './helpers.ts'

const table = (
  schema: string,
  name: string,
  columns: string[],
  comment: string | null = null,
  kind: 'table' | 'view' = 'table',
): IntrospectedTable => ({
  schema,
  name,
  kind,
  comment,
  rowEstimate: 10,
  columns: columns.map((c, i) => ({ name: c, type: 'VARCHAR', nullable: true, comment: null, ordinal: i + 1 })),
})
const fixed = (tables: IntrospectedTable[]): DiscoverySource => ({
  kind: 'generated',
  dialect: 'duckdb',
  introspect: async function* () {
    yield* tables
  },
})

describe.each(DATABASE_KINDS)('catalog search on %s', (kind) => {
  let database: TestDatabase
  let db: Kysely<import('@workbench/catalog').CatalogTables>
  let search: SearchIndexes
  let workspaceId: string
  let warehouse: string
  let crm: string
  const idOf = async (name: string) =>
    (await db.selectFrom('catalog_assets').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    db = catalogDb(database.db)
    search = new SearchIndexes(db)
    workspaceId = await createWorkspace(database.db)
    warehouse = await ensureSource(db, { workspaceId, kind: 'duckdb', name: 'Warehouse' })
    crm = await ensureSource(db, { workspaceId, kind: 'postgres', name: 'CRM' })
    await discover(db, {
      workspaceId,
      sourceId: warehouse,
      source: fixed([
        table('main', 'customers', ['id', 'email', 'country']),
        table('main', 'customers_archive', ['id', 'email']),
        table('main', 'orders', ['id', 'customer_id', 'amount'], 'One row per customer order'),
        table('analytics', 'revenue_by_month', ['month', 'revenue'], null, 'view'),
        table('main', 'invoices', ['invoice_no', 'billing_address']),
      ]),
    })
    await discover(db, {
      workspaceId,
      sourceId: crm,
      source: fixed([table('crm', 'contacts', ['contact_id', 'phone_number'])]),
    })
    await updateAsset(db, await idOf('revenue_by_month'), {
      description: 'Monthly turnover for finance',
      owners: ['ann@corp.io'],
    })
    await setTags(
      db,
      await idOf('contacts'),
      [
        { column: 'phone_number', tag: 'PII.phone', status: 'accepted' },
        { tag: 'gold', status: 'accepted' },
      ],
      null,
    )
    await setTags(db, await idOf('customers'), [{ column: 'email', tag: 'PII.email', status: 'accepted' }], null)
  })
  afterAll(() => database.dispose())

  const names = async (q: string, extra: Partial<Parameters<typeof searchAssets>[1]> = {}) =>
    (await searchAssets(search, { workspaceId, q, ...extra })).items.map((i) => i.name)

  it('ranks an exact name first, then name prefixes, then other text matches', async () => {
    expect(await names('customers')).toEqual(['customers', 'customers_archive'])
    expect(await names('customer')).toEqual(['customers', 'customers_archive', 'orders'])
    expect(await names('orders')).toEqual(['orders'])
  })

  it('finds assets by description, column names and tags', async () => {
    expect(await names('turnover')).toEqual(['revenue_by_month'])
    expect(await names('billing')).toEqual(['invoices'])
    expect(await names('phone')).toEqual(['contacts'])
    expect(await names('gold')).toEqual(['contacts'])
    expect(await names('PII.email')).toEqual(['customers'])
  })

  it('tolerates typos through trigram similarity', async () => {
    expect(await names('custmers')).toContain('customers')
    expect(await names('invoces')).toEqual(['invoices'])
  })

  it('counts facets and filters by them', async () => {
    const result = await searchAssets(search, { workspaceId, q: '' })
    expect(result.total).toBe(6)
    expect(result.totalIsLowerBound).toBe(false)
    expect(result.facets.source).toEqual([
      { value: warehouse, label: 'Warehouse', count: 5 },
      { value: crm, label: 'CRM', count: 1 },
    ])
    expect(result.facets.kind).toEqual([
      { value: 'table', label: 'table', count: 5 },
      { value: 'view', label: 'view', count: 1 },
    ])
    expect(result.facets.schema.map((f) => [f.value, f.count])).toEqual([
      ['main', 4],
      ['analytics', 1],
      ['crm', 1],
    ])
    expect(result.facets.tag.map((f) => [f.value, f.count])).toEqual([
      ['PII.email', 1],
      ['PII.phone', 1],
      ['gold', 1],
    ])
    expect(result.facets.owner).toEqual([{ value: 'ann@corp.io', label: 'ann@corp.io', count: 1 }])
    expect(await names('', { filters: { source: [crm] } })).toEqual(['contacts'])
    // A facet's own filter does not narrow its counts (so other values stay choosable); the others do.
    const filtered = await searchAssets(search, { workspaceId, q: '', filters: { kind: ['view'] } })
    expect(filtered.total).toBe(1)
    expect(filtered.facets.kind.map((f) => [f.value, f.count])).toEqual([
      ['table', 5],
      ['view', 1],
    ])
    expect(filtered.facets.schema.map((f) => [f.value, f.count])).toEqual([['analytics', 1]])
    expect(await names('', { filters: { tag: ['PII.email'] } })).toEqual(['customers'])
    expect(await names('', { filters: { owner: ['ann@corp.io'] } })).toEqual(['revenue_by_month'])
    expect((await names('id', { filters: { kind: ['table'], schema: ['main'] } })).sort()).toEqual([
      'customers',
      'customers_archive',
      'orders',
    ])
  })

  it('pages through results', async () => {
    const all = await names('', { limit: 100 })
    const pages = [...(await names('', { limit: 4 })), ...(await names('', { limit: 4, offset: 4 }))]
    expect(pages).toEqual(all)
    expect(all).toHaveLength(6)
  })

  it('never fails on operators, quotes or stop words', async () => {
    for (const q of [
      '"',
      "'",
      '!',
      '&|!()<->:*',
      'the a of',
      "customers' OR 1=1 --",
      '"customers',
      '\\',
      '%_',
      '   ',
      'a:*&b',
    ]) {
      const result = await searchAssets(search, { workspaceId, q })
      expect(Array.isArray(result.items)).toBe(true)
      await suggestAssets(search, { workspaceId, q })
    }
    expect(await names("'customers'")).toContain('customers')
  })

  it('suggests names as the user types', async () => {
    expect((await suggestAssets(search, { workspaceId, q: 'cus' })).map((s) => s.name)).toEqual([
      'customers',
      'customers_archive',
      'orders',
    ])
    expect((await suggestAssets(search, { workspaceId, q: 'rev' })).map((s) => s.name)).toEqual(['revenue_by_month'])
  })

  it('hides objects gone from their source unless asked', async () => {
    await discover(db, { workspaceId, sourceId: crm, source: fixed([]) })
    expect(await names('contacts')).toEqual([])
    expect(await names('contacts', { includeGone: true })).toEqual(['contacts'])
  })
})
