import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scanQuotes } from '../src/files/csv-stager.ts'
import { DATABASE_KINDS } from './support/databases.ts'
import { createFilesFixture, type FilesFixture, filesClient } from './support/files.ts'

const MiB = 1024 * 1024
const utf8 = (s: string) => new TextEncoder().encode(s)

/** About `bytes` of CSV: ids, dates, timestamps, amounts, and quoted notes with commas, doubled quotes and line breaks. */
function bigCsv(bytes: number, edit: (i: number, row: string) => string = (_, row) => row): string {
  const rows = ['id,day,at,amount,note']
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const day = `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`
    const note = i % 97 === 0 ? `"line one\nline ""two"", ${i}"` : i % 5 === 0 ? `"note, ${i}"` : `plain ${i}`
    const row = edit(i, `${i},${day},${day} 10:${String(i % 60).padStart(2, '0')}:00,${(i % 10000) / 100},${note}`)
    rows.push(row)
    size += row.length + 1
  }
  return `${rows.join('\n')}\n`
}

/** Row count and a per-column hash of a query's rows, in order: what a reference read and an import must share. */
async function digest(con: Awaited<ReturnType<DuckDBInstance['connect']>>, from: string) {
  const rows = (
    await con.runAndReadAll(
      `SELECT count(*)::VARCHAR AS n, md5(string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY __i))::VARCHAR AS h
       FROM (SELECT *, row_number() OVER () AS __i FROM ${from}) t`,
    )
  ).getRowObjectsJson()
  return rows[0]
}

describe('cutting a streaming CSV at record boundaries', () => {
  const state = () => ({
    quote: 0x22,
    delimiter: 0x2c,
    inQuote: false,
    previous: 0x0a,
    closePending: false,
    failed: false,
  })
  it('cuts only at line breaks outside quoted values, across buffers', () => {
    const s = state()
    const text = Buffer.from('a,"x\ny",b\n1,"p""q')
    expect(scanQuotes(s, text)).toBe(text.indexOf('b\n') + 1)
    expect(s.inQuote).toBe(true)
    // The value closes at the end of one buffer, and a doubled quote starts the next: still inside the value.
    expect(scanQuotes(s, Buffer.from('"'))).toBe(-1)
    expect(scanQuotes(s, Buffer.from('" r\nq",2\n3,4\n'))).toBe(12)
    expect(s.inQuote).toBe(false)
    expect(s.failed).toBe(false)
  })
  it('gives up on a quote inside an unquoted value, which DuckDB reads literally', () => {
    const s = state()
    scanQuotes(s, Buffer.from('a,5\'4"\n'))
    expect(s.failed).toBe(true)
    const t = state()
    scanQuotes(t, Buffer.from('a,"x"y\n'))
    expect(t.failed).toBe(true)
  })
})

describe.each(DATABASE_KINDS)('imports read while the upload streams in on %s', (kind) => {
  let f: FilesFixture
  let ws: string
  let api: ReturnType<typeof filesClient>
  let reference: DuckDBInstance
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wb-staged-'))

  beforeAll(async () => {
    f = await createFilesFixture(kind, { maxUploadBytes: 64 * MiB })
    ws = await f.members.workspace()
    api = filesClient(f.app, ws, (await f.members.member(ws, 'editor')).token)
    reference = await DuckDBInstance.create(':memory:')
  })
  afterAll(async () => {
    reference?.closeSync()
    await f?.dispose()
    rmSync(tmp, { recursive: true, force: true })
  })

  const stageTables = async () => {
    const con = await (await f.duckdb(ws)).connect()
    try {
      const rows = await con.runAndReadAll(
        `SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '\\_workbench\\_stage\\_%' ESCAPE '\\'`,
      )
      return rows.getRows().length
    } finally {
      con.closeSync()
    }
  }
  const waitForStage = async () => {
    for (let i = 0; i < 200 && (await stageTables()) === 0; i++) await new Promise((r) => setTimeout(r, 50))
    return stageTables()
  }
  const importWithPreview = async (
    fileId: string,
    table: string,
    change?: (c: { name: string; type: string }[]) => void,
  ) => {
    const preview = await api.call('POST', `/${fileId}/preview`, {})
    expect(preview.status, JSON.stringify(preview.body)).toBe(200)
    const columns = (preview.body as { columns: { name: string; type: string }[] }).columns.map(({ name, type }) => ({
      name,
      type,
    }))
    change?.(columns)
    return api.call('POST', `/${fileId}/import`, { table, options: { columns } })
  }
  const compare = async (table: string, text: string) => {
    const file = path.join(tmp, `${table}.csv`)
    writeFileSync(file, text)
    const ref = await reference.connect()
    const con = await (await f.duckdb(ws)).connect()
    try {
      const expected = await digest(ref, `read_csv('${file}')`)
      const actual = await digest(con, `(SELECT * FROM main.${table} ORDER BY rowid)`)
      expect(actual).toEqual(expected)
    } finally {
      ref.closeSync()
      con.closeSync()
    }
  }

  it('adopts the rows read during the upload when the import reads the file as detected, equal to read_csv', async () => {
    const text = bigCsv(20 * MiB)
    const file = await api.upload('big.csv', utf8(text), 2 * MiB)
    expect(await waitForStage()).toBe(1)
    const res = await importWithPreview(file.id, 'streamed')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const body = res.body as { status: string; rowsLoaded: number; rowsRejected: number; fileLines: number }
    expect(body.status).toBe('succeeded')
    expect(body.rowsRejected).toBe(0)
    expect(body.fileLines).toBe(text.split('\n').length - 1)
    expect(await stageTables()).toBe(0)
    await compare('streamed', text)
  })

  it('drops the staged rows when the import asks for another read, and imports that read', async () => {
    const text = bigCsv(10 * MiB)
    const file = await api.upload('renamed.csv', utf8(text), 2 * MiB)
    expect(await waitForStage()).toBe(1)
    const res = await importWithPreview(file.id, 'renamed', (columns) => {
      const first = columns[0]
      if (first) first.name = 'ident'
    })
    expect((res.body as { status: string }).status).toBe('succeeded')
    expect(await stageTables()).toBe(0)
    const table = await api.call('GET', '/tables/renamed?limit=1')
    expect((table.body as { columns: { name: string }[] }).columns[0]?.name).toBe('ident')
    expect((table.body as { totalRows: number }).totalRows).toBe(text.split('\n').length - 2 - countQuotedBreaks(text))
  })

  it('reads a file whose quotes cannot be followed as a whole, the same as read_csv', async () => {
    // Past the first piece, a value with a quote inside it (5'4"): DuckDB reads it literally.
    const text = bigCsv(12 * MiB, (i, row) => (i === 150_000 ? row.replace(/plain \d+$/, 'height 5\'4" tall') : row))
    const file = await api.upload('literal.csv', utf8(text), 2 * MiB)
    const res = await importWithPreview(file.id, 'literal')
    expect((res.body as { status: string }).status).toBe('succeeded')
    expect(await stageTables()).toBe(0)
    await compare('literal', text)
  })

  it('refuses a value past the first 4 MiB that its detected type would change, naming its row', async () => {
    // The timestamps of the first rows have no offset, so DuckDB detects TIMESTAMP; one far down has one,
    // which DuckDB's reader would drop without a word.
    let row = 0
    const text = bigCsv(8 * MiB, (i, r) => {
      if (i !== 120_000) return r
      row = i + 1
      return r.replace(/ 10:(\d\d):00,/, ' 10:$1:00+02:00,')
    })
    const file = await api.upload('offset.csv', utf8(text), 2 * MiB)
    const preview = await api.call('POST', `/${file.id}/preview`, {})
    const types = (preview.body as { columns: { name: string; type: string }[] }).columns.map((c) => c.type)
    expect(types[2]).toBe('TIMESTAMP')
    const res = await importWithPreview(file.id, 'offsets')
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    const body = res.body as { code: string; message: string }
    expect(body.code).toBe('inexact_conversion')
    expect(body.message).toContain(`row ${row}`)
    expect(body.message).toContain('+02:00')
    expect((await api.call('GET', '/tables/offsets')).status).toBe(404)
    expect(await stageTables()).toBe(0)
  })

  it('refuses a fraction past the first 4 MiB in a column detected as integers', async () => {
    const text = bigCsv(8 * MiB, (i, r) => (i === 110_000 ? r.replace(/^\d+,/, '110000.5,') : r))
    const file = await api.upload('fraction.csv', utf8(text), 2 * MiB)
    const res = await importWithPreview(file.id, 'fractions')
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    expect((res.body as { code: string; message: string }).message).toContain('"110000.5"')
    expect((await api.call('GET', '/tables/fractions')).status).toBe(404)
  })
})

/** Line breaks inside quoted values of `bigCsv` text (each makes a record span two lines). */
function countQuotedBreaks(text: string): number {
  return (text.match(/"line one\n/g) ?? []).length
}
