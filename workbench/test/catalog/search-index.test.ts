import {
  beginSearchChange,
  type CatalogTables,
  type DiscoverySource,
  discover,
  ensureSource,
  type IntrospectedTable,
  refreshSearchDocuments,
  SearchIndexes,
  searchAssets,
  setTags,
  similarity,
  suggestAssets,
  updateAsset,
} from '@workbench/catalog'
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogDb } from '../../src/catalog/catalog-db.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { createWorkspace } from './helpers.ts'

const table = (schema: string, name: string, columns: string[], comment: string | null = null): IntrospectedTable => ({
  schema,
  name,
  kind: 'table',
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

describe.each(DATABASE_KINDS)('catalog search index on %s', (kind) => {
  let database: TestDatabase
  let db: Kysely<CatalogTables>
  let workspaceId: string
  let sourceId: string
  const idOf = async (name: string) =>
    (await db.selectFrom('catalog_assets').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id
  /** Sets an asset's usage as lineage recording does: usage rows, then the asset's search document. */
  const setUsage = async (name: string, count: number) => {
    const id = await idOf(name)
    await db.transaction().execute(async (trx) => {
      const version = await beginSearchChange(trx, workspaceId)
      await trx
        .insertInto('catalog_usage')
        .values({
          workspace_id: workspaceId,
          table_name: `main.${name}`,
          producer_kind: 'notebook',
          producer_id: 'nb',
          mode: 'read',
          count,
          last_at: new Date(),
        })
        .execute()
      await refreshSearchDocuments(trx, [id], version)
    })
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    db = catalogDb(database.db)
    workspaceId = await createWorkspace(database.db)
    sourceId = await ensureSource(db, { workspaceId, kind: 'duckdb', name: 'Warehouse' })
    const items = Array.from({ length: 40 }, (_, i) => table('staging', `item_${String(i).padStart(2, '0')}`, ['id']))
    await discover(db, {
      workspaceId,
      sourceId,
      source: fixed([
        table('main', 'sales', ['id']),
        table('main', 'sales_daily', ['day']),
        table('main', 'revenue', ['month'], 'sales numbers per month'),
        table('main', 'orders', ['sales_amount']),
        table('main', 'region_totals', ['sales_region']),
        table('main', 'customer_orders', ['order_id']),
        table('main', 'invoices', ['invoice_no']),
        ...items,
      ]),
    })
    await setUsage('region_totals', 5)
  })
  afterAll(() => database.dispose())

  const names = async (indexes: SearchIndexes, q: string, extra: Partial<Parameters<typeof searchAssets>[1]> = {}) =>
    (await searchAssets(indexes, { workspaceId, q, ...extra })).items.map((i) => i.name)

  it('ranks exact name, then name prefix, then text rank, then usage', async () => {
    const indexes = new SearchIndexes(db)
    // revenue: in its description (B); region_totals and orders: in a column (C), the more used first.
    expect(await names(indexes, 'sales')).toEqual(['sales', 'sales_daily', 'revenue', 'region_totals', 'orders'])
  })

  it('tolerates typos in words and in names, with pg_trgm similarity', async () => {
    const indexes = new SearchIndexes(db)
    expect(await names(indexes, 'custmer')).toContain('customer_orders')
    expect(await names(indexes, 'invoces')).toEqual(['invoices'])
    expect(await names(indexes, 'revnue month')).toEqual(['revenue'])
    for (const [a, b] of [
      ['invoces', 'invoices'],
      ['custmer', 'customer_orders'],
      ['Sales Daily', 'sales_daily'],
    ] as const) {
      const { rows } = await sql<{ s: number }>`SELECT similarity(${a}, ${b}) AS s`.execute(db)
      expect(similarity(a, b)).toBeCloseTo(Number(rows[0]?.s), 5)
    }
  })

  it('counts facets over every match, each narrowed by the other dimensions only', async () => {
    const indexes = new SearchIndexes(db)
    await setTags(db, await idOf('item_01'), [{ tag: 'gold', status: 'accepted' }], null)
    await setTags(db, await idOf('sales'), [{ tag: 'gold', status: 'accepted' }], null)
    await updateAsset(db, await idOf('item_02'), { owners: ['ann@corp.io'] })
    const all = await searchAssets(indexes, { workspaceId, q: '', limit: 1 })
    expect(all.total).toBe(47)
    expect(all.totalIsLowerBound).toBe(false)
    expect(all.facets.schema.map((f) => [f.value, f.count])).toEqual([
      ['staging', 40],
      ['main', 7],
    ])
    const gold = await searchAssets(indexes, { workspaceId, q: '', filters: { tag: ['gold'], schema: ['staging'] } })
    expect(gold.items.map((i) => i.name)).toEqual(['item_01'])
    // Schema counts apply the tag filter, not the schema filter; tag counts apply the schema filter.
    expect(gold.facets.schema.map((f) => [f.value, f.count])).toEqual([
      ['main', 1],
      ['staging', 1],
    ])
    expect(gold.facets.tag).toEqual([{ value: 'gold', label: 'gold', count: 1 }])
    expect(gold.facets.source).toEqual([{ value: sourceId, label: 'Warehouse', count: 1 }])
    const owned = await searchAssets(indexes, { workspaceId, q: 'item', filters: { owner: ['ann@corp.io', 'x'] } })
    expect(owned.items.map((i) => i.name)).toEqual(['item_02'])
    expect(owned.facets.owner).toEqual([{ value: 'ann@corp.io', label: 'ann@corp.io', count: 1 }])
    expect((await searchAssets(indexes, { workspaceId, q: '', filters: { tag: ['nope'] } })).total).toBe(0)
  })

  it('answers operators, quotes and stop words with results or an empty list', async () => {
    const indexes = new SearchIndexes(db)
    for (const q of ['sales & !orders', 'sales | revenue', '"sales"', "'", '<->', 'the of and', ':*', '((', 'ü', '😀'])
      expect(Array.isArray((await searchAssets(indexes, { workspaceId, q })).items)).toBe(true)
    expect(await names(indexes, '"sales"')).toContain('sales')
    // Operators are word breaks: both words must match; with so few matches, similar names follow.
    expect((await names(indexes, 'sales & !orders'))[0]).toBe('orders')
    expect(await suggestAssets(indexes, { workspaceId, q: '!!' })).toEqual([])
  })

  it('pages without gaps or repeats, and every page agrees on the total', async () => {
    const indexes = new SearchIndexes(db)
    const all = await names(indexes, 'item', { limit: 200 })
    expect(all).toHaveLength(40)
    const seen: string[] = []
    for (let offset = 0; offset < 40; offset += 7) {
      const page = await searchAssets(indexes, { workspaceId, q: 'item', limit: 7, offset })
      expect(page.total).toBe(40)
      seen.push(...page.items.map((i) => i.name))
    }
    expect(seen).toEqual(all)
  })

  it('shows every change in the next search, in this index and in a second one on the same DB', async () => {
    const first = new SearchIndexes(db)
    const second = new SearchIndexes(db)
    const both = async (q: string, extra: Partial<Parameters<typeof searchAssets>[1]> = {}) => {
      const a = await names(first, q, extra)
      expect(await names(second, q, extra)).toEqual(a)
      return a
    }
    expect(await both('quarterly')).toEqual([])
    await updateAsset(db, await idOf('invoices'), { description: 'Quarterly billing' })
    expect(await both('quarterly')).toEqual(['invoices'])

    const crm = await ensureSource(db, { workspaceId, kind: 'postgres', name: 'CRM' })
    await discover(db, { workspaceId, sourceId: crm, source: fixed([table('crm', 'contacts', ['phone'])]) })
    expect(await both('contacts')).toEqual(['contacts'])
    expect((await searchAssets(second, { workspaceId, q: 'contacts' })).items[0]?.sourceName).toBe('CRM')

    await setUsage('orders', 9)
    expect((await both('sales')).slice(3)).toEqual(['orders', 'region_totals'])

    await discover(db, { workspaceId, sourceId: crm, source: fixed([]) })
    expect(await both('contacts')).toEqual([])
    expect(await both('contacts', { includeGone: true })).toEqual(['contacts'])

    await db.deleteFrom('catalog_sources').where('id', '=', crm).execute()
    expect(await both('contacts', { includeGone: true })).toEqual([])
    expect(await both('invoices')).toEqual(['invoices'])
  })

  it('builds a cold index once for concurrent searches', async () => {
    const indexes = new SearchIndexes(db)
    const results = await Promise.all(Array.from({ length: 10 }, () => names(indexes, 'sales')))
    for (const r of results) expect(r).toEqual(results[0])
    expect(await indexes.get(workspaceId)).toBe(await indexes.get(workspaceId))
  })

  it('keeps at most maxWorkspaces indexes in memory, dropping the least recently searched, rebuilt when needed', async () => {
    const other = await createWorkspace(database.db)
    const otherSource = await ensureSource(db, { workspaceId: other, kind: 'duckdb', name: 'Other' })
    await discover(db, {
      workspaceId: other,
      sourceId: otherSource,
      source: fixed([table('main', 'ledger', ['entry'])]),
    })
    const indexes = new SearchIndexes(db, { maxWorkspaces: 1 })
    const first = await indexes.get(workspaceId)
    const before = await names(indexes, 'sales')
    expect(before).toContain('sales_daily')
    expect((await searchAssets(indexes, { workspaceId: other, q: 'ledger' })).items.map((i) => i.name)).toEqual([
      'ledger',
    ])
    expect(indexes.loadedWorkspaces).toEqual([other])
    // The dropped workspace is rebuilt on its next search, with the same answers.
    expect(await names(indexes, 'sales')).toEqual(before)
    expect(await indexes.get(workspaceId)).not.toBe(first)
    expect(indexes.loadedWorkspaces).toEqual([workspaceId])
  })
})
