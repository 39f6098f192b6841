import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASE_KINDS } from '../support/databases.ts'
import { createFilesFixture, type FilesFixture, filesClient } from '../support/files.ts'
import {
  CASES,
  type PandasFrame,
  type PandasValue,
  readWithPandas,
  type WorkbookCase,
  WRITERS,
  writeWorkbook,
} from './spreadsheet-workbooks.ts'

interface Table {
  columns: { name: string; type: string }[]
  rows: unknown[][]
  totalRows: number
}

/**
 * Differences from pandas that are ours by design (docs/files.md, "Spreadsheets"); anything else is a failure.
 * - a whole-number column with NULLs stays BIGINT (pandas: float64);
 * - a boolean column with NULLs stays BOOLEAN (pandas: float64 1.0/0.0);
 * - a date-only column is DATE (pandas has only datetime64, at midnight);
 * - pandas makes whole-valued numbers int64 even when the file stores them as floats (`-9.2e+18`), or an
 *   object column when one is past int64 (`-9223372036854776000`): DOUBLE here, the value the file holds;
 * - a column without values is VARCHAR (pandas: float64 of NaN); unnamed columns are `column<N>` (`Unnamed: N`).
 */
function compatible(type: string, dtype: string, values: PandasValue[]): boolean {
  const hasNull = values.some((v) => v === null)
  const allNull = values.every((v) => v === null)
  switch (type) {
    case 'BIGINT':
      return dtype === 'int64' || (dtype === 'float64' && hasNull)
    case 'DOUBLE':
      return (
        dtype === 'float64' ||
        dtype === 'int64' ||
        (dtype === 'object' && values.every((v) => v === null || v[0] === 'int' || v[0] === 'float'))
      )
    case 'BOOLEAN':
      return dtype === 'bool' || (dtype === 'float64' && hasNull) || dtype === 'object'
    case 'DATE':
    case 'TIMESTAMP':
      return dtype.startsWith('datetime64')
    case 'TIME':
      return dtype === 'object' && values.every((v) => v === null || v[0] === 'time')
    case 'VARCHAR':
      // Kinds mixed in one column: pandas keeps each value's Python type, we keep each value as text.
      return allNull || dtype === 'str' || dtype === 'object'
    default:
      return false
  }
}

/** `HH:MM:SS` with six fractional digits, from either side's spelling. */
function clock(text: string): string {
  const [hms, fraction = ''] = text.split('.')
  return `${hms}.${fraction.padEnd(6, '0')}`
}

function sameValue(type: string, ours: unknown, theirs: PandasValue): boolean {
  if (ours === null || theirs === null) return ours === null && theirs === null
  const [kind, text] = theirs
  switch (type) {
    case 'BIGINT':
      return kind === 'int' ? BigInt(String(ours)) === BigInt(text) : Number(ours) === Number(text)
    case 'DOUBLE':
      return Number(ours) === Number(text)
    case 'BOOLEAN':
      return kind === 'bool' ? String(ours) === text : (ours ? 1 : 0) === Number(text)
    case 'DATE':
      return kind === 'datetime' && text === `${ours} 00:00:00`
    case 'TIMESTAMP': {
      const [d, t] = String(ours).split(' ')
      const [td, tt] = text.split(' ')
      return d === td && clock(t ?? '') === clock(tt ?? '')
    }
    case 'TIME':
      return clock(String(ours)) === clock(text)
    default:
      // Text, or a mixed column's number, boolean or date as the sheet stores it.
      return (
        ours === text ||
        (kind === 'datetime' && `${ours} 00:00:00` === text) ||
        (kind === 'float' && Number(ours) === Number(text))
      )
  }
}

/** Row count, names, types and every value of an imported table against pandas' frame of the same sheet. */
function expectSameAsPandas(table: Table, frame: PandasFrame, where: string) {
  expect(table.totalRows, `${where}: rows`).toBe(frame.values[0]?.length ?? 0)
  expect(
    table.columns.map((c) => c.name),
    `${where}: names`,
  ).toEqual(frame.columns.map((name) => name.replace(/^Unnamed: (\d+)$/, 'column$1')))
  for (const [c, column] of table.columns.entries()) {
    const values = frame.values[c] ?? []
    const dtype = frame.dtypes[c] ?? ''
    expect(compatible(column.type, dtype, values), `${where}: ${column.name} is ${column.type}, pandas ${dtype}`).toBe(
      true,
    )
    const mismatches = table.rows
      .map((row, r) => ({ row: r + 1, ours: row[c], pandas: values[r] ?? null }))
      .filter(({ ours, pandas }) => !sameValue(column.type, ours, pandas))
    expect(mismatches, `${where}: values of ${column.name} (${column.type})`).toEqual([])
  }
}

describe.each(DATABASE_KINDS)('spreadsheets against pandas.read_excel on %s', (kind) => {
  let f: FilesFixture
  let api: ReturnType<typeof filesClient>
  let work: string
  let tables = 0

  beforeAll(async () => {
    f = await createFilesFixture(kind, { maxUploadBytes: 5_000_000 })
    const ws = await f.members.workspace()
    api = filesClient(f.app, ws, (await f.members.member(ws, 'editor')).token)
    work = mkdtempSync(path.join(os.tmpdir(), 'wb-xlsx-fidelity-'))
  })
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true })
    await f?.dispose()
  })

  /** Upload, then for every sheet preview and import as the Files page does, and read the table back. */
  async function importEverySheet(file: string) {
    const uploaded = await api.upload(path.basename(file), new Uint8Array(readFileSync(file)))
    expect(uploaded.status, JSON.stringify(uploaded)).toBe('ready')
    const sheets: { name: string; hidden: boolean }[] = uploaded.sheets
    const results = []
    for (const [index, sheet] of sheets.entries()) {
      const preview = await api.call('POST', `/${uploaded.id}/preview`, { sheet: index })
      expect(preview.status, JSON.stringify(preview.body)).toBe(200)
      const table = `t${++tables}`
      const columns = preview.body.columns.map(({ name, type }: { name: string; type: string }) => ({ name, type }))
      const imported = await api.call('POST', `/${uploaded.id}/import`, { table, options: { sheet: index, columns } })
      expect(imported.body, JSON.stringify(imported.body)).toMatchObject({ status: 'succeeded', rowsRejected: 0 })
      const read = await api.call('GET', `/tables/${table}?limit=1000`)
      expect(read.status).toBe(200)
      results.push({ sheet, preview: preview.body, table: read.body as Table })
    }
    return { uploaded, results }
  }

  describe.each(WRITERS)('written by %s', (writer) => {
    it.each(CASES)('%s: same sheets, names, rows, types and values as pandas', async (kase: WorkbookCase) => {
      const file = path.join(work, `${writer}-${kase}.xlsx`)
      await writeWorkbook(writer, kase, file)
      const { results } = await importEverySheet(file)
      const pandas = readWithPandas(
        file,
        results.map((r) => ({ sheet: r.sheet.name, header: r.preview.skipRows })),
      )
      // Real names, in the workbook's tab order (not `Sheet1…N`, not the order of the parts in the archive).
      expect(results.map((r) => r.sheet.name)).toEqual(pandas.sheets)
      for (const [i, r] of results.entries())
        expectSameAsPandas(r.table, pandas.frames[i] as PandasFrame, `${writer} ${kase} sheet ${r.sheet.name}`)
    })
  })

  it.each(WRITERS)('reads sheet names, tab order and hidden state from workbook.xml (%s)', async (writer) => {
    const file = path.join(work, `${writer}-order.xlsx`)
    await writeWorkbook(writer, 'named', file)
    const { uploaded } = await importEverySheet(file)
    expect(uploaded.sheets.map((s: { name: string; hidden: boolean }) => [s.name, s.hidden])).toEqual([
      ['Summary', false],
      ['Data 2024', false],
      ['Notes', true],
    ])
  })

  it.each(WRITERS)(
    'finds the header below title rows, widens for a wide row, reports the merge (%s)',
    async (writer) => {
      const file = path.join(work, `${writer}-titled-detail.xlsx`)
      await writeWorkbook(writer, 'titled', file)
      const { results } = await importEverySheet(file)
      const [report] = results
      expect(report?.preview).toMatchObject({ skipRows: 3, detectedHeaderRow: 4, header: true })
      expect(report?.table.columns).toEqual([
        { name: 'region', type: 'VARCHAR' },
        { name: 'q1', type: 'BIGINT' },
        { name: 'q2', type: 'BIGINT' },
        { name: 'q3', type: 'BIGINT' },
        { name: 'column4', type: 'VARCHAR' },
      ])
      // The blank row inside the table is a row of NULLs, as pandas reads it.
      expect(report?.table.rows).toEqual([
        ['north', '10', '11', '12', null],
        ['south', '20', null, '22', 'wider than the header'],
        [null, null, null, null, null],
        ['east', '30', '31', '32', null],
      ])
      expect(report?.preview.problems).toContainEqual(
        expect.objectContaining({ kind: 'merged_cells', message: expect.stringContaining('A1:D1') }),
      )
    },
  )

  it.each(WRITERS)('types every kind of cell exactly and locates the error cells (%s)', async (writer) => {
    for (const kase of ['typed', 'mac1904'] as const) {
      const file = path.join(work, `${writer}-${kase}-detail.xlsx`)
      await writeWorkbook(writer, kase, file)
      const { results } = await importEverySheet(file)
      const [sheet] = results
      expect(sheet?.table.columns.map((c) => c.type)).toEqual([
        'BIGINT',
        'BIGINT',
        'DOUBLE',
        'DOUBLE',
        'BOOLEAN',
        'DATE',
        'TIMESTAMP',
        'TIME',
        'VARCHAR',
        'VARCHAR',
        'VARCHAR',
        'DOUBLE',
      ])
      const column = (name: string) =>
        sheet?.table.rows.map((r) => r[sheet.table.columns.findIndex((c) => c.name === name)])
      expect(column('date')).toEqual(['2024-02-29', '1900-03-01', '2100-12-31', null])
      expect(column('datetime')).toEqual([
        '2024-01-31 13:45:30.123',
        '1999-12-31 23:59:59',
        null,
        '2024-06-01 00:00:00',
      ])
      // Text that looks like a number, a date or a boolean stays text.
      expect(column('digits')).toEqual(['00123', '2024-01-01', '1e5', 'TRUE'])
      expect(column('rich')).toEqual(['bold and italic', 'plain', null, 'x'])
      expect(column('errors')).toEqual([1.5, null, null, 2])
      const located = sheet?.preview.problems
        .filter((p: { kind: string }) => p.kind === 'cell_error')
        .map((p: { message: string }) => p.message)
      expect(located).toEqual([
        `Sheet ${JSON.stringify(sheet?.sheet.name)} cell L3: #N/A; imported as NULL`,
        `Sheet ${JSON.stringify(sheet?.sheet.name)} cell L4: #DIV/0!; imported as NULL`,
      ])
    }
  })
  it.each(WRITERS)('keeps a column of mixed kinds as text and says so (%s)', async (writer) => {
    const file = path.join(work, `${writer}-mixed.xlsx`)
    await writeWorkbook(writer, 'typed', file)
    const { results } = await importEverySheet(file)
    const mixed = results.find((r) => r.sheet.name === 'Mixed')
    expect(mixed?.table.columns[0]).toEqual({ name: 'mixed', type: 'VARCHAR' })
    expect(mixed?.table.rows.map((r) => r[0])).toEqual(['1', 'two', '3.5', 'true', null])
    expect(mixed?.preview.problems).toContainEqual(
      expect.objectContaining({ kind: 'mixed_types', column: 'mixed', message: expect.stringContaining('cell A5') }),
    )
  })

  it('answers bad sheet choices and broken workbooks with a stable code', async () => {
    const file = path.join(work, 'choices.xlsx')
    await writeWorkbook('openpyxl', 'titled', file)
    const uploaded = await api.upload('choices.xlsx', new Uint8Array(readFileSync(file)))
    const past = await api.call('POST', `/${uploaded.id}/preview`, { skipRows: 8 })
    expect(past).toMatchObject({ status: 400, body: { code: 'invalid_skip_rows' } })
    const sheet = await api.call('POST', `/${uploaded.id}/preview`, { sheet: 5 })
    expect(sheet).toMatchObject({ status: 400, body: { code: 'unknown_sheet' } })
    // Without a header, the rows after the skipped ones are data.
    const headless = await api.call('POST', `/${uploaded.id}/preview`, { skipRows: 4, header: false })
    expect(headless.status).toBe(200)
    expect(headless.body.columns.map((c: { name: string }) => c.name)).toEqual([
      'column0',
      'column1',
      'column2',
      'column3',
      'column4',
    ])
    expect(headless.body.rows[0]).toEqual(['north', '10', '11', '12', null])

    // A ZIP whose workbook part is missing is not a workbook.
    const bytes = readFileSync(file)
    const broken = Buffer.from(bytes.toString('latin1').replaceAll('xl/workbook.xml', 'xl/workbook.xmz'), 'latin1')
    const res = await api.call('POST', '/uploads', { name: 'broken.xlsx', size: broken.length })
    await api.call('PUT', `/uploads/${res.body.id}?offset=0`, undefined, {
      body: new Uint8Array(broken),
      headers: { 'Content-Type': 'application/octet-stream' },
    })
    const done = await api.call('POST', `/uploads/${res.body.id}/complete`)
    expect(done).toMatchObject({ status: 400, body: { code: 'unreadable_file' } })
    expect(done.body.message).toContain('workbook')
  })
})
