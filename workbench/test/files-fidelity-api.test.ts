import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASE_KINDS } from './support/databases.ts'
import { createFilesFixture, type FilesFixture, filesClient } from './support/files.ts'

const utf8 = (s: string) => new TextEncoder().encode(s)
type Column = { source: string; name: string; type: string }

/** Issue #15, file side: types kept as DuckDB detects them, nested JSON, CSV options, no silent change. */
describe.each(DATABASE_KINDS)('files fidelity on %s', (kind) => {
  let f: FilesFixture
  let api: ReturnType<typeof filesClient>

  beforeAll(async () => {
    f = await createFilesFixture(kind, { maxUploadBytes: 5_000_000 })
    const ws = await f.members.workspace()
    api = filesClient(f.app, ws, (await f.members.member(ws, 'editor')).token)
  })
  afterAll(async () => f?.dispose())

  /** Upload, preview, import with the preview's columns and settings: the Files page's flow. */
  const roundTrip = async (name: string, text: string, table: string, options: Record<string, unknown> = {}) => {
    const file = await api.upload(name, utf8(text))
    const preview = await api.call('POST', `/${file.id}/preview`, options)
    expect(preview.status, JSON.stringify(preview.body)).toBe(200)
    const columns = preview.body.columns.map((c: Column) => ({ name: c.name, type: c.type }))
    const imported = await api.call('POST', `/${file.id}/import`, { table, options: { ...options, columns } })
    expect(imported.status, JSON.stringify(imported.body)).toBe(200)
    return { file, preview: preview.body, imported: imported.body }
  }
  const query = async (table: string) => {
    const res = await api.call('GET', `/tables/${table}?limit=1000`)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body as { columns: { name: string; type: string }[]; rows: unknown[][] }
  }

  it('keeps UTC offsets as TIMESTAMP WITH TIME ZONE, Z as a zone, and clock times as TIME', async () => {
    const csv =
      'at,utc,clock,day\n' +
      '2012-01-01T06:47:38+02:00,2012-01-01T06:47:38Z,06:47:38,2012-01-01\n' +
      '2013-06-01T23:00:00-05:00,2013-06-01T23:00:00Z,23:59:59,2013-06-01\n'
    const { preview, imported } = await roundTrip('zones.csv', csv, 'zones')
    expect(preview.columns.map((c: Column) => c.type)).toEqual([
      'TIMESTAMP WITH TIME ZONE',
      'TIMESTAMP WITH TIME ZONE',
      'TIME',
      'DATE',
    ])
    expect(preview.columnTypes).toEqual(expect.arrayContaining(['TIMESTAMP WITH TIME ZONE', 'TIME', 'UUID']))
    expect(imported).toMatchObject({ status: 'succeeded', rowsLoaded: 2, rowsRejected: 0 })
    const table = await query('zones')
    expect(table.columns.map((c) => c.type)).toEqual([
      'TIMESTAMP WITH TIME ZONE',
      'TIMESTAMP WITH TIME ZONE',
      'TIME',
      'DATE',
    ])
    // The instant is kept: 06:47:38 at +02:00 is 04:47:38 UTC (the old import showed 06:47:38, shifted by 2 h).
    expect(String(table.rows[0]?.[0])).toMatch(/^2012-01-01 04:47:38(\+00)?/)
    expect(String(table.rows[1]?.[0])).toMatch(/^2013-06-02 04:00:00(\+00)?/)
    expect(table.rows[0]?.[2]).toBe('06:47:38')
  })

  it('accepts TIMESTAMPTZ, DECIMAL(p,s) and UUID chosen by the user, and refuses unknown type text', async () => {
    const csv = 'id,amount,at\n6ba7b810-9dad-11d1-80b4-00c04fd430c8,12.50,2012-01-01 06:47:38\n'
    const file = await api.upload('chosen.csv', utf8(csv))
    const columns = [
      { name: 'id', type: 'uuid' },
      { name: 'amount', type: 'DECIMAL(10, 2)' },
      { name: 'at', type: 'TIMESTAMPTZ' },
    ]
    const res = await api.call('POST', `/${file.id}/import`, { table: 'chosen', options: { columns } })
    expect(res.body).toMatchObject({ status: 'succeeded', rowsLoaded: 1, rowsRejected: 0 })
    expect((await query('chosen')).columns.map((c) => c.type)).toEqual([
      'UUID',
      'DECIMAL(10,2)',
      'TIMESTAMP WITH TIME ZONE',
    ])
    const bad = await api.call('POST', `/${file.id}/preview`, {
      columns: [...columns.slice(0, 2), { name: 'at', type: 'STRUCT(a INT)' }],
    })
    expect([bad.status, bad.body.code]).toEqual([400, 'invalid_column_type'])
  })

  it('imports nested GeoJSON with the long STRUCT type the preview detected (it was refused: 400)', async () => {
    const feature = (i: number) => ({
      type: 'Feature',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [i, 0],
            [i + 1, 0],
            [i + 1, 1],
            [i, 0],
          ],
        ],
      },
      properties: {
        name: `zone ${i}`,
        population_total_estimate: i * 1000,
        administrative_level_description: 'municipality',
        tags: { source_dataset_identifier: 'survey', last_updated_timestamp: '2024-01-01' },
      },
    })
    const geojson = JSON.stringify({ type: 'FeatureCollection', features: [feature(1), feature(2)] })
    const { preview, imported } = await roundTrip('zones.geojson.json', geojson, 'geo')
    const features = preview.columns.find((c: Column) => c.name === 'features')
    expect(features.type.length).toBeGreaterThan(200)
    expect(features.type).toMatch(/^STRUCT\(/)
    expect(imported).toMatchObject({ status: 'succeeded', rowsLoaded: 1, rowsRejected: 0 })
    // The table's type, as the client library spells it (every field name quoted), is the detected one.
    const unquoted = (t: string | undefined) => t?.replaceAll('"', '')
    expect(unquoted((await query('geo')).columns.find((c) => c.name === 'features')?.type)).toBe(
      unquoted(features.type),
    )
  })

  it('reads decimal commas with decimal: "," (detected for semicolon files) instead of leaving text', async () => {
    const csv = 'name;price;qty\nA;1,5;2\nB;12,25;3\nC;-0,75;4\n'
    const { preview, imported } = await roundTrip('prices.csv', csv, 'prices')
    expect(preview).toMatchObject({ delimiter: ';', decimal: ',' })
    expect(preview.columns.map((c: Column) => c.type)).toEqual(['VARCHAR', 'DOUBLE', 'BIGINT'])
    expect(imported).toMatchObject({ rowsLoaded: 3, rowsRejected: 0 })
    expect((await query('prices')).rows.map((r) => r[1])).toEqual([1.5, 12.25, -0.75])
    // The option can be set by hand too: with '.', the column stays text and DOUBLE would reject every row.
    const asPoint = await api.call('POST', `/${imported.fileId}/preview`, { decimal: '.' })
    expect(asPoint.body.columns[1].type).toBe('VARCHAR')
  })

  it('honours quote and escape options', async () => {
    const csv = "id,note\n1,'it\\'s here'\n2,'a, b'\n"
    const { preview, imported } = await roundTrip('quotes.csv', csv, 'quotes', { quote: "'", escape: '\\' })
    expect(preview).toMatchObject({ quote: "'", escape: '\\', problems: [] })
    expect(imported).toMatchObject({ rowsLoaded: 2, rowsRejected: 0 })
    expect((await query('quotes')).rows).toEqual([
      ['1', "it's here"],
      ['2', 'a, b'],
    ])
    const same = await api.call('POST', `/${imported.fileId}/preview`, { delimiter: ',', quote: ',' })
    expect([same.status, same.body.code]).toEqual([400, 'invalid_dialect'])
  })

  it('finds the runaway quote in the preview, and reports the lines a rejected row covers', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => `${i + 3},row ${i + 3}`)
    const csv = `id,name\n1,a\n2,"runaway\n${rows.join('\n')}\n`
    const { preview, imported } = await roundTrip('runaway.csv', csv, 'runaway')
    const quote = preview.problems.find((p: { kind: string }) => p.kind === 'broken_quote')
    expect(quote).toMatchObject({ line: 3, lines: 21 })
    expect(quote.message).toContain('runs over 21 lines (to line 23)')
    expect(imported).toMatchObject({ rowsLoaded: 1, rowsRejected: 1, linesRejected: 21, fileLines: 23 })
    expect(imported.rejects).toMatchObject([{ line: 3, lines: 21, kind: 'broken_quote' }])
    const listed = await api.call('GET', `/imports/${imported.id}/rejects`)
    expect(listed.body.rejects).toMatchObject([{ line: 3, lines: 21 }])
  })

  it('refuses a chosen type that would round or shift values, saying where; the detected types import them', async () => {
    const csv = 'n,at,day\n1,2012-01-01T06:47:38+02:00,2012-01-01\n2.5,2012-01-02T00:00:00+02:00,2012-01-02 13:00:00\n'
    const file = await api.upload('lossy.csv', utf8(csv))
    const preview = await api.call('POST', `/${file.id}/preview`, {
      columns: [
        { name: 'n', type: 'BIGINT' },
        { name: 'at', type: 'TIMESTAMP' },
        { name: 'day', type: 'DATE' },
      ],
    })
    const inexact = preview.body.problems.filter((p: { kind: string }) => p.kind === 'inexact')
    expect(inexact.map((p: { row: number; column: string }) => `${p.column}@${p.row}`).sort()).toEqual([
      'at@1',
      'at@2',
      'day@2',
      'n@2',
    ])
    for (const [column, type] of [
      ['n', 'BIGINT'],
      ['at', 'TIMESTAMP'],
      ['day', 'DATE'],
    ] as const) {
      const columns = ['n', 'at', 'day'].map((name) => ({ name, type: name === column ? type : 'VARCHAR' }))
      const res = await api.call('POST', `/${file.id}/import`, { table: `lossy_${column}`, options: { columns } })
      expect([res.status, res.body.code], JSON.stringify(res.body)).toEqual([400, 'inexact_conversion'])
      expect(res.body.message).toMatch(new RegExp(`^Column ${column}, row \\d: `))
      expect((await api.call('GET', `/tables/lossy_${column}`)).status).toBe(404)
    }
    const kept = await api.call('POST', `/${file.id}/import`, { table: 'lossy_ok', options: {} })
    expect(kept.body).toMatchObject({ status: 'succeeded', rowsLoaded: 2, rowsRejected: 0 })
    expect((await query('lossy_ok')).columns.map((c) => c.type)).toEqual([
      'DOUBLE',
      'TIMESTAMP WITH TIME ZONE',
      'VARCHAR',
    ])
  })

  it('rejects JSON values a chosen type would change, with the row and what they would become', async () => {
    const json = JSON.stringify([
      { n: 1.5, s: 'a' },
      { n: 2, s: 'b' },
      { n: 3.25, s: 'c' },
    ])
    const file = await api.upload('nums.json', utf8(json))
    const columns = [
      { name: 'n', type: 'BIGINT' },
      { name: 's', type: 'VARCHAR' },
    ]
    const preview = await api.call('POST', `/${file.id}/preview`, { columns })
    expect(preview.body.problems).toMatchObject([
      { kind: 'inexact', row: 1, column: 'n' },
      { kind: 'inexact', row: 3, column: 'n' },
    ])
    const res = await api.call('POST', `/${file.id}/import`, { table: 'nums', options: { columns } })
    expect(res.body).toMatchObject({ rowsLoaded: 1, rowsRejected: 2 })
    expect(res.body.rejects[0]).toMatchObject({ line: 1, kind: 'inexact', column: 'n' })
    expect(res.body.rejects[0].reason).toContain('it would become 2')
  })
})
