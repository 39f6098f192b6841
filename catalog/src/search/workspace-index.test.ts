import { describe, expect, it } from 'vitest'
import { topK } from './top-k.ts'
import { type IndexedAsset, WorkspaceIndex } from './workspace-index.ts'

const asset = (id: string, name: string, extra: Partial<IndexedAsset> = {}): IndexedAsset => ({
  id,
  sourceId: 's',
  schema: 'main',
  name,
  kind: 'table',
  description: null,
  sourceComment: null,
  tags: [],
  owners: [],
  rowEstimate: null,
  usageCount: 0,
  gone: false,
  columnText: '',
  ...extra,
})

const namesOf = (index: WorkspaceIndex, slots: number[]) => slots.map((s) => index.docs[s]?.name).sort()

describe('WorkspaceIndex', () => {
  it('replaces an updated asset: its old words no longer match, before and after a merge', () => {
    const index = new WorkspaceIndex()
    index.upsert(asset('1', 'orders', { description: 'old words' }))
    index.upsert(asset('2', 'invoices'))
    index.flush(true)
    index.upsert(asset('1', 'orders', { description: 'new words' }))
    expect(namesOf(index, index.matchWords(['old'], false).slots)).toEqual([])
    expect(namesOf(index, index.matchWords(['new'], false).slots)).toEqual(['orders'])
    expect(index.size).toBe(2)
    expect(index.wasteRatio).toBeCloseTo(1 / 3)
    index.flush(true)
    expect(namesOf(index, index.matchWords(['wor'], false).slots)).toEqual(['orders'])
    expect(namesOf(index, index.namePrefixSlots('ord'))).toEqual(['orders'])
  })

  it('matches every word as a prefix, weighting names above descriptions above columns', () => {
    const index = new WorkspaceIndex()
    index.upsert(asset('1', 'customer_orders'))
    index.upsert(asset('2', 'sales', { description: 'customer facts' }))
    index.upsert(asset('3', 'events', { columnText: 'customer_id' }))
    index.upsert(asset('4', 'gone_customers', { gone: true }))
    index.flush(true)
    const { slots, rank } = index.matchWords(['cust'], false)
    expect(namesOf(index, slots)).toEqual(['customer_orders', 'events', 'sales'])
    expect(slots.map((s) => rank[s]).sort()).toEqual([0.2, 0.4, 1].map((w) => Math.fround(w)))
    expect(namesOf(index, index.matchWords(['cust', 'ord'], false).slots)).toEqual(['customer_orders'])
    expect(namesOf(index, index.matchWords(['cust'], true).slots)).toContain('gone_customers')
  })

  it('finds names similar to a misspelt phrase', () => {
    const index = new WorkspaceIndex()
    index.upsert(asset('1', 'invoices'))
    index.upsert(asset('2', 'payments'))
    const { slots, similarity } = index.similarNames('invoces', 0.3, false)
    expect(namesOf(index, slots)).toEqual(['invoices'])
    expect(similarity[slots[0] as number]).toBeCloseTo(6 / 11)
  })
})

describe('topK', () => {
  it('returns the same first k as a full sort, for any k', () => {
    const items = Array.from({ length: 5_000 }, (_, i) => (i * 7919) % 5_003)
    const byValue = (a: number, b: number) => (a % 97) - (b % 97) || a - b
    const sorted = [...items].sort(byValue)
    for (const k of [1, 20, 300, 4_999, 6_000]) expect(topK(items, k, byValue)).toEqual(sorted.slice(0, k))
  })
})
