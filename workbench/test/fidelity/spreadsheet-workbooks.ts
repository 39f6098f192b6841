import { spawnSync } from 'node:child_process'
import path from 'node:path'
import ExcelJS from 'exceljs'

/**
 * Workbooks for the spreadsheet differential tests, written by both openpyxl (pandas' writer and reader) and
 * exceljs, and what `pandas.read_excel` reads from them. Each case exists in both writers with the same content.
 */
export const CASES = ['named', 'titled', 'typed', 'mac1904'] as const
export type WorkbookCase = (typeof CASES)[number]
export const WRITERS = ['openpyxl', 'exceljs'] as const
export type Writer = (typeof WRITERS)[number]

const ROOT = path.resolve(import.meta.dirname, '../../..')
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python')
const SCRIPT = path.join(import.meta.dirname, 'spreadsheets.py')

/** `[kind, exact text]` as spreadsheets.py prints a pandas value, or null for NaN/None/NaT. */
export type PandasValue =
  | [kind: 'int' | 'float' | 'bool' | 'str' | 'datetime' | 'date' | 'time' | 'timedelta', text: string]
  | null

export interface PandasFrame {
  sheet: string
  columns: string[]
  dtypes: string[]
  /** Per column, its values in row order. */
  values: PandasValue[][]
}

export async function writeWorkbook(writer: Writer, kase: WorkbookCase, file: string): Promise<void> {
  if (writer === 'openpyxl') {
    python(['write', file, kase])
    return
  }
  const workbook = new ExcelJS.Workbook()
  buildWithExceljs(workbook, kase)
  await workbook.xlsx.writeFile(file)
}

/** `pandas.read_excel(file, sheet_name=…, header=…, engine="openpyxl")` for each sheet, and the sheet names. */
export function readWithPandas(
  file: string,
  spec: { sheet: string; header: number }[],
): { sheets: string[]; frames: PandasFrame[] } {
  return JSON.parse(python(['read', file, JSON.stringify(spec)]))
}

function python(args: string[]): string {
  const res = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (res.status !== 0) throw new Error(`spreadsheets.py ${args[0]} failed: ${res.stderr}`)
  return res.stdout
}

const day = (y: number, m: number, d: number, h = 0, min = 0, s = 0, ms = 0) =>
  new Date(Date.UTC(y, m - 1, d, h, min, s, ms))

/** The same workbooks as spreadsheets.py's `write`, through exceljs (shared strings, its own part layout). */
function buildWithExceljs(workbook: ExcelJS.Workbook, kase: WorkbookCase): void {
  if (kase === 'named') {
    // Added in another order than the tabs: the tab order is Summary, Data 2024, Notes (hidden).
    const notes = workbook.addWorksheet('Notes', { state: 'hidden' })
    notes.addRows([['note'], ['hidden sheet']])
    const data = workbook.addWorksheet('Data 2024')
    data.addRows([
      ['id', 'city'],
      [1, 'Genève'],
      [2, 'Łódź'],
    ])
    const summary = workbook.addWorksheet('Summary')
    summary.addRows([['total'], [3]])
    // exceljs writes the tabs in the order of its (untyped) `orderNo`, the parts in the order they were added.
    for (const [i, sheet] of [summary, data, notes].entries()) Object.assign(sheet, { orderNo: i })
    return
  }
  if (kase === 'titled') {
    const ws = workbook.addWorksheet('Report')
    ws.addRow(['Quarterly report'])
    ws.mergeCells('A1:D1')
    ws.addRow(['Generated', day(2024, 4, 1)])
    ws.getCell('B2').numFmt = 'yyyy-mm-dd'
    ws.addRow([])
    ws.addRows([
      ['region', 'q1', 'q2', 'q3'],
      ['north', 10, 11, 12],
      ['south', 20, null, 22, 'wider than the header'],
      [],
      ['east', 30, 31, 32],
    ])
    return
  }
  if (kase === 'mac1904') workbook.properties.date1904 = true
  const ws = workbook.addWorksheet(kase === 'typed' ? 'Types' : 'Mac')
  ws.addRow([
    'int',
    'int_nulls',
    'float',
    'big_int',
    'bool',
    'date',
    'datetime',
    'time',
    'text',
    'digits',
    'rich',
    'errors',
  ])
  const rich = {
    richText: [{ font: { bold: true }, text: 'bold' }, { text: ' and ' }, { font: { italic: true }, text: 'italic' }],
  }
  const rows: ExcelJS.CellValue[][] = [
    [
      1,
      10,
      0.1,
      9007199254740992,
      true,
      day(2024, 2, 29),
      day(2024, 1, 31, 13, 45, 30, 123),
      (8 * 60 + 30) / 1440,
      'Zoë',
      '00123',
      rich,
      1.5,
    ],
    [
      -2,
      null,
      1e-300,
      -(2 ** 63),
      false,
      day(1900, 3, 1),
      day(1999, 12, 31, 23, 59, 59),
      86399.5 / 86400,
      'multi\nline, "quoted"',
      '2024-01-01',
      'plain',
      { error: '#N/A' },
    ],
    [3, 30, 123456789.1234568, 0, null, day(2100, 12, 31), null, null, '  padded  ', '1e5', null, { error: '#DIV/0!' }],
    [4, null, -2.5e10, 12, true, null, day(2024, 6, 1), 1 / 86400, null, 'TRUE', 'x', { formula: '1+1', result: 2 }],
  ]
  ws.addRows(rows)
  if (kase === 'typed')
    workbook.addWorksheet('Mixed').addRows([
      ['mixed', 'label'],
      [1, 'a'],
      ['two', 'b'],
      [3.5, 'c'],
      [true, 'd'],
      [null, 'e'],
    ])
  for (let r = 2; r <= 5; r++) {
    ws.getCell(`F${r}`).numFmt = 'yyyy-mm-dd'
    ws.getCell(`G${r}`).numFmt = 'yyyy-mm-dd hh:mm:ss.000'
    ws.getCell(`H${r}`).numFmt = 'hh:mm:ss.000'
  }
}
