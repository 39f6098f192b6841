import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import ExcelJS from 'exceljs'
import iconv from 'iconv-lite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASE_KINDS } from './support/databases.ts'
import { createFilesFixture, type FilesFixture, filesClient } from './support/files.ts'

const utf8 = (s: string) => new TextEncoder().encode(s)

/** Every kind of bad row: a type error, a short row, a broken quote, a long row; and a good multi-line value. */
const BAD_CSV = 'id,amount,name\n1,10,a\n2,x,b\n3,30\n4,40,"bro"ken\n5,50,e,extra\n6,60,"multi\nline"\n7,70,g\n'
const NON_ASCII = 'name,city\nJosé,Zürich\nFrançois,Montréal\nÅsa,Malmö\n'

/** Files listed in a folder tree, relative to it. */
function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
  } catch {
    return []
  }
}

describe.each(DATABASE_KINDS)('files API on %s', (kind) => {
  let f: FilesFixture
  let ws: string
  let api: ReturnType<typeof filesClient>
  let viewer: ReturnType<typeof filesClient>
  let outsider: ReturnType<typeof filesClient>

  beforeAll(async () => {
    f = await createFilesFixture(kind, { maxUploadBytes: 1_000_000 })
    ws = await f.members.workspace()
    const other = await f.members.workspace()
    api = filesClient(f.app, ws, (await f.members.member(ws, 'editor')).token)
    viewer = filesClient(f.app, ws, (await f.members.member(ws, 'viewer')).token)
    outsider = filesClient(f.app, ws, (await f.members.member(other, 'owner')).token)
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

  it('imports a CSV in several chunks, with types inferred', async () => {
    const csv = `id,price,day,label\n${Array.from({ length: 5000 }, (_, i) => `${i},${i}.5,2024-01-${String((i % 28) + 1).padStart(2, '0')},item ${i}`).join('\n')}\n`
    const file = await api.upload('items.csv', utf8(csv), 16 * 1024)
    expect(file).toMatchObject({ status: 'ready', format: 'csv', encoding: 'utf-8', received: csv.length })
    const preview = await api.call('POST', `/${file.id}/preview`, {})
    expect(preview.body).toMatchObject({ delimiter: ',', header: true, problems: [], wholeFileChecked: true })
    expect(preview.body.columns.map((c: { type: string }) => c.type)).toEqual(['BIGINT', 'DOUBLE', 'DATE', 'VARCHAR'])
    expect(preview.body.rows[1]).toEqual(['1', 1.5, '2024-01-02', 'item 1'])
    const result = await importFile(file.id, 'items')
    expect(result).toMatchObject({ status: 'succeeded', rowsLoaded: 5000, rowsRejected: 0, rejects: [] })
    expect((await tableRows('items')).totalRows).toBe(5000)
  })

  it('imports TSV, JSON, NDJSON and Parquet', async () => {
    const tsv = await api.upload('t.tsv', utf8('a\tb\n1\tx\n2\ty\n'))
    expect(tsv.format).toBe('tsv')
    expect(await importFile(tsv.id, 'tsv_t')).toMatchObject({ rowsLoaded: 2 })
    expect((await tableRows('tsv_t')).rows).toEqual([
      ['1', 'x'],
      ['2', 'y'],
    ])

    const json = await api.upload('a.json', utf8('[{"a":1,"b":"é"},{"a":2,"b":"ü"}]'))
    expect(json.format).toBe('json')
    expect(await importFile(json.id, 'json_t')).toMatchObject({ status: 'succeeded', rowsLoaded: 2 })
    expect((await tableRows('json_t')).rows).toEqual([
      ['1', 'é'],
      ['2', 'ü'],
    ])

    const ndjson = await api.upload('b.ndjson', utf8('{"a":1,"b":"x"}\n{"a":2,"b":{"c":1}}\n{"a":3,"b":"z"}\n'))
    expect(ndjson.format).toBe('ndjson')
    // The preview's columns go back as they came (a detected JSON type included), with one name changed.
    const described = await api.call('POST', `/${ndjson.id}/preview`, {})
    const columns = described.body.columns.map((c: { name: string; type: string }) => ({ ...c, name: `${c.name}_x` }))
    expect(columns.map((c: { type: string }) => c.type)).toEqual(['BIGINT', 'JSON'])
    const ndResult = await importFile(ndjson.id, 'ndjson_t', { options: { columns } })
    expect(ndResult).toMatchObject({ status: 'succeeded', rowsLoaded: 3 })
    expect((await tableRows('ndjson_t')).columns.map((c) => c.name)).toEqual(['a_x', 'b_x'])
    const badType = await api.call('POST', `/${ndjson.id}/preview`, {
      columns: [
        { name: 'a', type: 'BIGINT); DROP TABLE x; --' },
        { name: 'b', type: 'VARCHAR' },
      ],
    })
    expect([badType.status, badType.body.code]).toEqual([400, 'invalid_column_type'])

    // A Parquet file written by DuckDB itself, with a column the user retypes (a bad value is rejected, not nulled).
    const dir = path.join(f.dataDir, 'parquet-src')
    const scratch = await DuckdbDatabase.open({ path: ':memory:', dataDir: dir })
    await scratch.query(
      `COPY (SELECT * FROM (VALUES (1, '10', 'ö'), (2, 'x', 'é'), (3, '30', 'a')) t(id, n, s)) TO '${dir}/p.parquet'`,
    )
    scratch.close()
    const parquet = await api.upload('p.parquet', readFileSync(path.join(dir, 'p.parquet')))
    expect(parquet.format).toBe('parquet')
    const preview = await api.call('POST', `/${parquet.id}/preview`, {
      columns: [
        { name: 'id', type: 'BIGINT' },
        { name: 'n', type: 'BIGINT' },
        { name: 's', type: 'VARCHAR' },
      ],
    })
    expect(preview.body.problems).toMatchObject([{ kind: 'cast', row: 2, column: 'n' }])
    const result = await importFile(parquet.id, 'parquet_t', { options: { columns: preview.body.columns } })
    expect(result).toMatchObject({ rowsLoaded: 2, rowsRejected: 1, rejects: [{ line: 2, column: 'n', kind: 'cast' }] })
    expect((await tableRows('parquet_t')).rows).toEqual([
      ['1', '10', 'ö'],
      ['3', '30', 'a'],
    ])
  })

  it('rejects NDJSON lines that are not JSON with their line numbers, and loads the rest', async () => {
    const file = await api.upload(
      'events.ndjson',
      utf8('{"a":1,"b":"x"}\n{"a":2,"b":\n{"a":3,"b":"z"}\n\n{"a":4,"b":"w"}\n'),
    )
    const preview = await api.call('POST', `/${file.id}/preview`, {})
    expect(preview.body.problems.map((p: { kind: string; line: number }) => [p.kind, p.line])).toEqual([
      ['invalid_json', 2],
    ])
    const result = await importFile(file.id, 'events')
    expect(result).toMatchObject({ rowsLoaded: 3, rowsRejected: 1, rejects: [{ line: 2, kind: 'invalid_json' }] })
    expect((await tableRows('events')).rows).toEqual([
      ['1', 'x'],
      ['3', 'z'],
      ['4', 'w'],
    ])
    // A JSON document that is broken as a whole cannot be partly loaded: the import fails and says why.
    const broken = await api.upload('broken.json', utf8('[{"a":1},{"a":'))
    const failed = await api.call('POST', `/${broken.id}/import`, { table: 'broken' })
    expect([failed.status, failed.body.code]).toEqual([400, 'invalid_json'])
    const history = (await api.call('GET', '/imports')).body.imports.find(
      (i: { table: string }) => i.table === 'broken',
    )
    expect(history).toMatchObject({ status: 'failed', fileName: 'broken.json' })
    expect(history.error).toContain('JSON')
  })

  it('imports every sheet of a workbook', async () => {
    const workbook = new ExcelJS.Workbook()
    const people = workbook.addWorksheet('People')
    people.addRows([
      ['name', 'born', 'score'],
      ['Zoë', new Date(Date.UTC(1990, 4, 17)), 12.5],
      ['Émile', new Date(Date.UTC(1985, 0, 2)), 7],
    ])
    const cities = workbook.addWorksheet('Cities')
    cities.addRows([
      ['city', 'population'],
      ['Genève', 203_856],
      ['Köln', 1_084_000],
      ['Łódź', 672_000],
    ])
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer())
    const file = await api.upload('book.xlsx', bytes)
    expect(file.format).toBe('xlsx')
    expect(file.sheets.map((s: { name: string; rows: number }) => [s.name, s.rows])).toEqual([
      ['People', 3],
      ['Cities', 4],
    ])
    const first = await api.call('POST', `/${file.id}/preview`, {})
    expect(first.body.columns.map((c: { type: string }) => c.type)).toEqual(['VARCHAR', 'DATE', 'DOUBLE'])
    expect(await importFile(file.id, 'people')).toMatchObject({ rowsLoaded: 2 })
    expect(await importFile(file.id, 'cities', { options: { sheet: 1 } })).toMatchObject({ rowsLoaded: 3 })
    expect((await tableRows('people')).rows).toEqual([
      ['Zoë', '1990-05-17', 12.5],
      ['Émile', '1985-01-02', 7],
    ])
    expect((await tableRows('cities')).rows.map((r) => r[0])).toEqual(['Genève', 'Köln', 'Łódź'])
  })

  it.each([
    ['windows-1252', iconv.encode(NON_ASCII, 'windows-1252')],
    ['utf-8-bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(NON_ASCII)])],
    ['utf-16le', iconv.encode(NON_ASCII, 'utf-16le', { addBOM: true })],
    ['utf-16be', iconv.encode(NON_ASCII, 'utf-16be', { addBOM: true })],
  ])('detects %s and round-trips non-ASCII text', async (encoding, bytes) => {
    const file = await api.upload(`people-${encoding}.csv`, new Uint8Array(bytes))
    expect(file.encoding).toBe(encoding)
    const preview = await api.call('POST', `/${file.id}/preview`, {})
    expect(preview.body.problems).toEqual([])
    expect(preview.body.columns.map((c: { name: string }) => c.name)).toEqual(['name', 'city'])
    const table = `people_${encoding.replaceAll('-', '_')}`
    expect(await importFile(file.id, table)).toMatchObject({ rowsLoaded: 3, rowsRejected: 0 })
    expect((await tableRows(table)).rows).toEqual([
      ['José', 'Zürich'],
      ['François', 'Montréal'],
      ['Åsa', 'Malmö'],
    ])
  })

  it('reports a wrong encoding chosen by the user as rejected rows, and the detected one fixes it', async () => {
    const file = await api.upload('latin.csv', new Uint8Array(iconv.encode(NON_ASCII, 'latin1')))
    const wrong = await importFile(file.id, 'latin_wrong', { options: { encoding: 'utf-8' } })
    expect(wrong.rowsRejected).toBe(3)
    expect(wrong.rejects[0]).toMatchObject({ line: 2, kind: 'invalid_encoding' })
  })

  it('shows ragged rows, broken quotes and mixed types in the preview, and rejects them with line numbers', async () => {
    const file = await api.upload('bad.csv', utf8(BAD_CSV))
    const preview = await api.call('POST', `/${file.id}/preview`, {})
    expect(preview.status).toBe(200)
    const problems = preview.body.problems as { kind: string; line?: number; column?: string }[]
    expect(problems.filter((p) => p.line !== undefined).map((p) => [p.kind, p.line])).toEqual([
      ['ragged_row', 4],
      ['broken_quote', 5],
      ['ragged_row', 6],
    ])
    expect(problems.find((p) => p.kind === 'mixed_types')).toMatchObject({ column: 'amount', row: 2 })
    expect(preview.body.columns.map((c: { type: string }) => c.type)).toEqual(['BIGINT', 'VARCHAR', 'VARCHAR'])

    // The user takes the hint: amount is a number; the row with "x" is then rejected too.
    const columns = [
      { name: 'id', type: 'BIGINT' },
      { name: 'amount', type: 'BIGINT' },
      { name: 'label', type: 'VARCHAR' },
    ]
    const corrected = await api.call('POST', `/${file.id}/preview`, { columns })
    expect(corrected.body.problems.find((p: { kind: string }) => p.kind === 'cast')).toMatchObject({
      line: 3,
      column: 'amount',
    })
    const result = await importFile(file.id, 'bad', { options: { columns } })
    expect(result).toMatchObject({ status: 'succeeded', rowsLoaded: 3, rowsRejected: 4 })
    expect(result.rejects.map((r: { line: number; kind: string }) => [r.line, r.kind])).toEqual([
      [3, 'cast'],
      [4, 'ragged_row'],
      [5, 'broken_quote'],
      [6, 'ragged_row'],
    ])
    expect(result.rejects[0].reason).toContain('"x"')
    const table = await tableRows('bad')
    expect(table.columns.map((c) => c.name)).toEqual(['id', 'amount', 'label'])
    expect(table.rows).toEqual([
      ['1', '10', 'a'],
      ['6', '60', 'multi\nline'],
      ['7', '70', 'g'],
    ])
    // The rejects stay queryable in the workspace DuckDB, and the import is recorded in the metadata DB.
    const rejectsTable = await api.call('GET', '/tables/bad?rejects=true')
    expect(rejectsTable.body.totalRows).toBe(4)
    const row = await f.database.db
      .selectFrom('file_imports')
      .selectAll()
      .where('id', '=', result.id)
      .executeTakeFirstOrThrow()
    expect([row.status, Number(row.rows_loaded), Number(row.rows_rejected)]).toEqual(['succeeded', 3, 4])
    expect((await api.call('GET', `/imports/${result.id}/rejects`)).body.rejects).toHaveLength(4)
  })

  it('reads CRLF line ends, semicolons, quoted headers and files without a header', async () => {
    const crlf = await api.upload('crlf.csv', utf8('"first name";"age"\r\n"Ann";31\r\n"Bob";42\r\n'))
    const preview = await api.call('POST', `/${crlf.id}/preview`, {})
    expect(preview.body).toMatchObject({ delimiter: ';', header: true, problems: [] })
    expect(preview.body.columns.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual([
      ['first name', 'VARCHAR'],
      ['age', 'BIGINT'],
    ])
    expect(await importFile(crlf.id, 'crlf')).toMatchObject({ rowsLoaded: 2, rowsRejected: 0 })
    expect((await tableRows('crlf')).rows).toEqual([
      ['Ann', '31'],
      ['Bob', '42'],
    ])

    const bare = await api.upload('bare.csv', utf8('1,2024-01-01\n2,2024-01-02\n'))
    const noHeader = await api.call('POST', `/${bare.id}/preview`, {})
    expect(noHeader.body.header).toBe(false)
    expect(noHeader.body.columns.map((c: { name: string }) => c.name)).toEqual(['column0', 'column1'])
    // The user says the first row is a header after all: the columns are re-detected from it.
    const asHeader = await api.call('POST', `/${bare.id}/preview`, { header: true })
    expect(asHeader.body.columns.map((c: { name: string }) => c.name)).toEqual(['1', '2024-01-01'])
    expect(asHeader.body.rows).toHaveLength(1)
    expect((await api.call('POST', '/uploads', { name: 'empty.csv', size: 0 })).status).toBe(400)
  })

  it('appends or replaces', async () => {
    const file = await api.upload('small.csv', utf8('k,v\n1,one\n2,two\n'))
    await importFile(file.id, 'modes')
    expect(await importFile(file.id, 'modes', { mode: 'append' })).toMatchObject({ rowsLoaded: 2 })
    expect((await tableRows('modes')).totalRows).toBe(4)
    await importFile(file.id, 'modes', { mode: 'replace' })
    expect((await tableRows('modes')).totalRows).toBe(2)
    const tables = await api.call('GET', '/tables')
    expect(tables.body.tables).toContainEqual(expect.objectContaining({ schema: 'main', name: 'modes' }))
    expect((await api.call('GET', '/imports')).body.imports.length).toBeGreaterThanOrEqual(3)
  })

  it('refuses an upload over the limit when it is declared, and leaves nothing on disk', async () => {
    const before = filesUnder(f.dataDir)
    const res = await api.call('POST', '/uploads', { name: 'huge.csv', size: 1_000_001 })
    expect([res.status, res.body.code]).toEqual([413, 'file_too_large'])
    expect(filesUnder(f.dataDir)).toEqual(before)
  })

  it('stops an upload that sends more than it declared, and removes it', async () => {
    const begun = await api.call('POST', '/uploads', { name: 'liar.csv', size: 100 })
    const id = begun.body.id
    // A body with no length header: refused while streaming, as soon as the total passes the declared size.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(64).fill(65))
        controller.close()
      },
    })
    const res = await api.call('PUT', `/uploads/${id}?offset=0`, undefined, { body: stream })
    expect([res.status, res.body.code]).toEqual([413, 'file_too_large'])
    expect(filesUnder(f.dataDir).filter((p) => p.includes(id))).toEqual([])
    expect((await api.call('GET', `/uploads/${id}`)).status).toBe(404)
  })

  it('resumes an upload after a chunk broke off midway', async () => {
    const csv = utf8(`n,word\n${Array.from({ length: 2000 }, (_, i) => `${i},word${i}`).join('\n')}\n`)
    const begun = await api.call('POST', '/uploads', { name: 'resume.csv', size: csv.length })
    const id = begun.body.id
    const first = 10_000
    expect((await api.call('PUT', `/uploads/${id}?offset=0`, undefined, { body: csv.subarray(0, first) })).status).toBe(
      200,
    )
    // The next chunk delivers 3000 bytes and then the connection dies.
    let delivered = false
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (delivered) controller.error(new Error('connection reset'))
        else controller.enqueue(csv.subarray(first, first + 3000))
        delivered = true
      },
    })
    const interrupted = await api.call('PUT', `/uploads/${id}?offset=${first}`, undefined, { body: broken })
    expect([interrupted.status, interrupted.body.code]).toEqual([400, 'upload_interrupted'])
    const status = await api.call('GET', `/uploads/${id}`)
    expect(status.body).toMatchObject({ status: 'uploading', received: first + 3000 })
    // Too early to complete; a chunk past what the server has is refused with where to resume.
    expect((await api.call('POST', `/uploads/${id}/complete`)).body.code).toBe('upload_incomplete')
    const ahead = await api.call('PUT', `/uploads/${id}?offset=${csv.length - 10}`, undefined, {
      body: csv.subarray(-10),
    })
    expect([ahead.status, ahead.body.details]).toEqual([409, { received: first + 3000 }])
    const rest = await api.call('PUT', `/uploads/${id}?offset=${status.body.received}`, undefined, {
      body: csv.subarray(status.body.received),
    })
    expect(rest.body).toEqual({ received: csv.length })
    expect((await api.call('POST', `/uploads/${id}/complete`)).body.status).toBe('ready')
    expect(await importFile(id, 'resumed')).toMatchObject({ rowsLoaded: 2000, rowsRejected: 0 })
    const resumed = await tableRows('resumed')
    expect([resumed.totalRows, resumed.rows[999]]).toEqual([2000, ['999', 'word999']])
  })

  it('sweeps abandoned uploads', async () => {
    const begun = await api.call('POST', '/uploads', { name: 'abandoned.csv', size: 1000 })
    await api.call('PUT', `/uploads/${begun.body.id}?offset=0`, undefined, { body: new Uint8Array(10) })
    expect(filesUnder(f.dataDir).some((p) => p.includes(begun.body.id))).toBe(true)
    expect(await f.uploads.sweep(Date.now() + 120_000)).toBeGreaterThanOrEqual(1)
    expect(filesUnder(f.dataDir).some((p) => p.includes(begun.body.id))).toBe(false)
    expect((await api.call('GET', `/uploads/${begun.body.id}`)).status).toBe(404)
  })

  it('lists and deletes files and tables', async () => {
    const file = await api.upload('gone.csv', utf8('a\n1\n'))
    await importFile(file.id, 'gone')
    expect((await api.call('GET', '')).body.files.map((x: { id: string }) => x.id)).toContain(file.id)
    expect((await api.call('DELETE', `/${file.id}`)).status).toBe(204)
    expect((await api.call('GET', `/${file.id}`)).status).toBe(404)
    expect(filesUnder(f.dataDir).some((p) => p.includes(file.id))).toBe(false)
    expect((await api.call('DELETE', '/tables/gone')).status).toBe(204)
    expect((await api.call('GET', '/tables/gone')).body.code).toBe('table_not_found')
  })

  it('lets a viewer read but not upload or import, and hides the workspace from outsiders', async () => {
    const file = await api.upload('shared.csv', utf8('a\n1\n'))
    expect((await viewer.call('POST', '/uploads', { name: 'x.csv', size: 3 })).status).toBe(403)
    expect((await viewer.call('POST', `/${file.id}/import`, { table: 'nope' })).status).toBe(403)
    expect((await viewer.call('DELETE', `/${file.id}`)).status).toBe(403)
    expect((await viewer.call('POST', `/${file.id}/preview`, {})).status).toBe(200)
    for (const [method, url] of [
      ['GET', ''],
      ['GET', `/${file.id}`],
      ['POST', '/uploads'],
      ['GET', '/tables'],
    ] as const) {
      const res = await outsider.call(method, url, method === 'POST' ? { name: 'x.csv', size: 1 } : undefined)
      expect([res.status, res.body.code]).toEqual([404, 'workspace_not_found'])
    }
  })

  it('refuses bad table names and mismatched column corrections', async () => {
    const file = await api.upload('names.csv', utf8('a,b\n1,2\n'))
    expect((await api.call('POST', `/${file.id}/import`, { table: 'x; DROP' })).body.code).toBe('invalid_table_name')
    const res = await api.call('POST', `/${file.id}/preview`, { columns: [{ name: 'only', type: 'VARCHAR' }] })
    expect([res.status, res.body.code]).toEqual([400, 'columns_mismatch'])
  })
})
