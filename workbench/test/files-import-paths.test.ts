import { readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASE_KINDS } from './support/databases.ts'
import { createFilesFixture, type FilesFixture, filesClient } from './support/files.ts'

const utf8 = (s: string) => new TextEncoder().encode(s)

/** 300 clean rows of every offered type, a quoted multi-line value among them. */
function cleanRows(): string[] {
  return Array.from({ length: 300 }, (_, i) => {
    const day = `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`
    const note = i === 7 ? '"two\nlines"' : `"note, ${i}"`
    return `${i},${day},${i * 1.25},${i % 2 === 0},${note}`
  })
}
const HEADER = 'id,day,amount,active,note'
const COLUMNS = [
  { name: 'id', type: 'BIGINT' },
  { name: 'day', type: 'DATE' },
  { name: 'amount', type: 'DOUBLE' },
  { name: 'active', type: 'BOOLEAN' },
  { name: 'note', type: 'VARCHAR' },
]

/**
 * Imports read a clean file in one strict pass and fall back to a tolerant pass that records rejected rows
 * when anything is wrong; the table must not depend on which pass made it.
 */
describe.each(DATABASE_KINDS)('import fast path and fallback on %s', (kind) => {
  let f: FilesFixture
  let api: ReturnType<typeof filesClient>

  beforeAll(async () => {
    f = await createFilesFixture(kind, { maxUploadBytes: 8 * 1024 * 1024 })
    const ws = await f.members.workspace()
    api = filesClient(f.app, ws, (await f.members.member(ws, 'editor')).token)
  })
  afterAll(async () => f?.dispose())

  const importFile = async (fileId: string, table: string, extra: Record<string, unknown> = {}) => {
    const res = await api.call('POST', `/${fileId}/import`, { table, ...extra })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body
  }
  const tableRows = async (table: string) => {
    const res = await api.call('GET', `/tables/${table}?limit=1000`)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body as { columns: { name: string; type: string }[]; rows: unknown[][]; totalRows: number }
  }

  it('makes the same table from a clean file as from the same rows with bad ones among them', async () => {
    const rows = cleanRows()
    const clean = await api.upload('clean.csv', utf8(`${HEADER}\n${rows.join('\n')}\n`))
    // Bad rows at the second, 103rd and last records: a type error, a short row, a long row.
    const dirty = [...rows]
    dirty.splice(1, 0, 'x,2024-01-01,1,true,bad id')
    dirty.splice(102, 0, '1000,2024-01-01')
    dirty.push('1001,2024-01-01,1,true,b,extra')
    const bad = await api.upload('dirty.csv', utf8(`${HEADER}\n${dirty.join('\n')}\n`))

    // What the preview shows is what the web client sends back with the import.
    const preview = await api.call('POST', `/${clean.id}/preview`, {})
    expect(preview.body.columns.map((c: { type: string }) => c.type)).toEqual(COLUMNS.map((c) => c.type))
    const options = {
      columns: preview.body.columns.map(({ name, type }: { name: string; type: string }) => ({ name, type })),
    }
    const fast = await importFile(clean.id, 'from_clean', { options })
    const fallback = await importFile(bad.id, 'from_dirty', { options })
    expect(fast).toMatchObject({ status: 'succeeded', rowsLoaded: 300, rowsRejected: 0, rejects: [] })
    expect(fallback).toMatchObject({ status: 'succeeded', rowsLoaded: 300, rowsRejected: 3 })
    // DuckDB numbers records (a quoted line break does not count); a short row has one problem per missing value.
    const lines = new Map(fallback.rejects.map((r: { line: number; kind: string }) => [r.line, r.kind]))
    expect([...lines]).toEqual([
      [3, 'cast'],
      [104, 'ragged_row'],
      [304, 'ragged_row'],
    ])
    const a = await tableRows('from_clean')
    const b = await tableRows('from_dirty')
    expect(a.columns).toEqual(b.columns)
    expect(a.columns.map((c) => c.type)).toEqual(COLUMNS.map((c) => c.type))
    expect(a.rows).toEqual(b.rows)
    expect(a.rows[7]).toEqual(['7', '2024-08-08', 8.75, false, 'two\nlines'])
    // A clean import still leaves an (empty) rejects table beside the table, like one with rejects.
    expect((await api.call('GET', '/tables/from_clean?rejects=true')).body.totalRows).toBe(0)
    expect((await api.call('GET', '/tables/from_dirty?rejects=true')).body.totalRows).toBe(fallback.rejects.length)
    expect(fallback.rejects).toHaveLength(5)
  })

  it('imports a line longer than the fast reader allows, through the fallback, rejecting nothing', async () => {
    const long = 'y'.repeat(2_500_000)
    const file = await api.upload('long.csv', utf8(`k,v\n1,short\n2,${long}\n3,end\n`), 1024 * 1024)
    const result = await importFile(file.id, 'long_lines')
    expect(result).toMatchObject({ status: 'succeeded', rowsLoaded: 3, rowsRejected: 0 })
    const rows = (await tableRows('long_lines')).rows
    expect(rows.map((r) => [r[0], String(r[1]).length])).toEqual([
      ['1', 5],
      ['2', long.length],
      ['3', 3],
    ])
  })

  it('reads a UTF-8 file with a byte-order mark in place, with the same names and line numbers', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('k,v\n1,é\nx,bad\n3,ü\n')])
    const file = await api.upload('bom.csv', new Uint8Array(bytes))
    expect(file.encoding).toBe('utf-8-bom')
    const preview = await api.call('POST', `/${file.id}/preview`, {})
    expect(preview.body.columns.map((c: { name: string }) => c.name)).toEqual(['k', 'v'])
    const result = await importFile(file.id, 'bom_t', {
      options: {
        columns: [
          { name: 'k', type: 'BIGINT' },
          { name: 'v', type: 'VARCHAR' },
        ],
      },
    })
    expect(result).toMatchObject({ rowsLoaded: 2, rowsRejected: 1, rejects: [{ line: 3, kind: 'cast' }] })
    expect((await tableRows('bom_t')).rows).toEqual([
      ['1', 'é'],
      ['3', 'ü'],
    ])
    // No transcoded copy was needed.
    expect(readdirSync(f.uploads.storage.fileDir(file.workspaceId, file.id))).not.toContainEqual(
      expect.stringMatching(/^utf8-/),
    )
  })

  it('appends through either path, keeping earlier rows and rejects', async () => {
    const first = await api.upload('a.csv', utf8('k,v\n1,one\n2,two\n'))
    const second = await api.upload('b.csv', utf8('k,v\n3,three\nfour,4\n5,five\n'))
    const columns = [
      { name: 'k', type: 'BIGINT' },
      { name: 'v', type: 'VARCHAR' },
    ]
    await importFile(first.id, 'appended', { options: { columns } })
    const fallback = await importFile(second.id, 'appended', { mode: 'append', options: { columns } })
    expect(fallback).toMatchObject({ status: 'succeeded', rowsLoaded: 2, rowsRejected: 1 })
    expect(fallback.rejects).toMatchObject([{ line: 3, kind: 'cast' }])
    const fast = await importFile(first.id, 'appended', { mode: 'append', options: { columns } })
    expect(fast).toMatchObject({ status: 'succeeded', rowsLoaded: 2, rowsRejected: 0 })
    expect((await tableRows('appended')).rows).toEqual([
      ['1', 'one'],
      ['2', 'two'],
      ['3', 'three'],
      ['5', 'five'],
      ['1', 'one'],
      ['2', 'two'],
    ])
    // Appending keeps the rejects of earlier imports.
    expect((await api.call('GET', '/tables/appended?rejects=true')).body.totalRows).toBe(1)
  })

  it('keeps the old table and its rejects when an import fails', async () => {
    const columns = [
      { name: 'k', type: 'BIGINT' },
      { name: 'v', type: 'VARCHAR' },
    ]
    const good = await api.upload('good.csv', utf8('k,v\n1,one\nx,bad\n2,two\n'))
    expect(await importFile(good.id, 'kept', { options: { columns } })).toMatchObject({
      rowsLoaded: 2,
      rowsRejected: 1,
    })
    const kept = async () => {
      expect((await tableRows('kept')).rows).toEqual([
        ['1', 'one'],
        ['2', 'two'],
      ])
      expect((await api.call('GET', '/tables/kept?rejects=true')).body.totalRows).toBe(1)
    }
    // The file's bytes vanish from disk after the upload: neither mode replaces or adds anything.
    const lost = await api.upload('lost.csv', utf8('k,v\n9,nine\n'))
    rmSync(path.join(f.uploads.storage.fileDir(lost.workspaceId, lost.id), 'original'))
    for (const mode of ['replace', 'append'])
      expect(await importFile(lost.id, 'kept', { mode, options: { columns } })).toMatchObject({ status: 'failed' })
    await kept()

    // An import DuckDB refuses midway (the name is a view), after both passes, leaves the rejects of that name alone.
    const con = await (await f.duckdb(lost.workspaceId)).connect()
    try {
      await con.run('CREATE VIEW main.shown AS SELECT 1 AS k')
      await con.run(
        "CREATE TABLE import_rejects.shown AS SELECT 'old' AS import_id, 'f.csv' AS file_name, 2::BIGINT AS line, NULL::VARCHAR AS column_name, 'cast' AS kind, 'r' AS reason, 'x' AS raw",
      )
      for (const mode of ['replace', 'append'])
        expect(await importFile(good.id, 'shown', { mode, options: { columns } })).toMatchObject({
          status: 'failed',
          error: expect.stringContaining('View'),
        })
      const rejects = (await con.runAndReadAll('SELECT import_id FROM import_rejects.shown')).getRows()
      expect(rejects).toEqual([['old']])
      expect((await con.runAndReadAll('SELECT k FROM main.shown')).getRows()).toEqual([[1]])
    } finally {
      con.closeSync()
    }
  })
})
