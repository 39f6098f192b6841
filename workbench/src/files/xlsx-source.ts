import { randomUUID } from 'node:crypto'
import { readFile, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { quoteIdentifier, quoteLiteral } from '@workbench/kernels/duckdb'
import { AppError } from '../http/errors.ts'
import type { Problem } from './inspector.ts'
import type { FileRecord } from './upload-service.ts'
import type { SheetInfo, SheetStats } from './xlsx.ts'
import type { CellKind } from './xlsx-cells.ts'
import { columnLetters } from './xlsx-xml.ts'

/** Which rows of a sheet make the table: rows skipped above it, and whether the next one is the header. */
export interface SheetRead {
  skipRows: number
  header: boolean
  /** The header row's number in the sheet (0 without a header). */
  headerRow: number
  /** The header row the workbook suggests (what `skipRows` defaults to: the rows above it). */
  detectedHeaderRow: number
}

/** One sheet, ready to read: a typed Parquet file of its table, and what was changed or is worth knowing. */
export interface PreparedSheet {
  index: number
  parquet: string
  read: SheetRead
  warnings: Problem[]
}

/**
 * Types the columns below the chosen header row from the kinds of value their cells hold (a column of whole
 * numbers is BIGINT, of dates DATE, of text VARCHAR — whatever the text looks like), names them from the header
 * row, and writes the table as Parquet (once per sheet and choice of rows), which the import then reads as any
 * Parquet upload: type corrections, rejects and previews work the same way.
 */
export async function prepareSheet(
  con: DuckDBConnection,
  file: FileRecord,
  fileDir: string,
  options: { sheet?: number; skipRows?: number; header?: boolean },
): Promise<PreparedSheet> {
  const sheets = file.sheets ?? []
  const index = options.sheet ?? 0
  const info = sheets[index]
  if (!info) throw new AppError(400, 'unknown_sheet', `The workbook has ${sheets.length} sheets`)
  if (info.stats === undefined)
    throw new AppError(409, 'upload_outdated', `${file.name} was read by an older version: upload it again`)
  if (info.rows === 0) throw new AppError(400, 'empty_sheet', `Sheet ${info.name} has no values`)
  const stats = JSON.parse(await readFile(path.join(fileDir, info.stats), 'utf8')) as SheetStats
  const header = options.header ?? true
  const detectedHeaderRow = info.headerRow
  const skipRows = options.skipRows ?? Math.max(0, detectedHeaderRow - 1)
  if (skipRows >= info.rows)
    throw new AppError(
      400,
      'invalid_skip_rows',
      `Sheet ${info.name} has ${info.rows} rows: skipping ${skipRows} leaves nothing to import`,
    )
  const headerRow = header ? skipRows + 1 : 0
  const firstRow = skipRows + 1
  const dataStart = header ? skipRows + 2 : skipRows + 1
  const width = widthFrom(stats, firstRow)
  const sheetName = JSON.stringify(info.name)
  const names = header ? await headerNames(con, path.join(fileDir, info.csv), info, headerRow, width) : []
  const columns = Array.from({ length: width }, (_, c) => ({
    name: names[c] ?? `column${c}`,
    ...columnType(stats.kinds[c] ?? {}, dataStart),
  }))
  const unique = distinctNames(columns.map((c) => c.name))
  const warnings: Problem[] = []
  for (const [c, column] of columns.entries())
    if (column.mixed)
      warnings.push({
        kind: 'mixed_types',
        column: unique[c],
        message: `Column ${unique[c]} of sheet ${sheetName} holds ${column.mixed
          .map(([kind, row]) => `${KIND_WORDS[kind]} (last in cell ${columnLetters(c)}${row})`)
          .join(
            ' and ',
          )}: it is read as VARCHAR, each value as the sheet stores it (numbers with their digits, dates as ISO 8601)`,
      })
  for (const e of stats.errors)
    if (e.row >= dataStart && e.column < width)
      warnings.push({
        kind: 'cell_error',
        line: e.row,
        column: unique[e.column],
        message: `Sheet ${sheetName} cell ${columnLetters(e.column)}${e.row}: ${e.text}; imported as NULL`,
      })
  if (stats.errorCount > stats.errors.length)
    warnings.push({
      kind: 'cell_error',
      message: `Sheet ${sheetName} has ${stats.errorCount} cells imported as NULL; the first ${stats.errors.length} are listed`,
    })
  for (const range of stats.merges.slice(0, 20))
    warnings.push({
      kind: 'merged_cells',
      message: `Sheet ${sheetName} cells ${range} are merged: only ${range.split(':')[0]} holds the value, the others are NULL`,
    })

  const tag = `s${skipRows}-h${header ? 1 : 0}`
  const parquet = path.join(fileDir, `sheet-${index}-${tag}.parquet`)
  if (!(await stat(parquet).catch(() => undefined))) {
    const csvColumns = [
      `'__row': 'BIGINT'`,
      ...Array.from({ length: info.columns }, (_, c) => `${quoteLiteral(`c${c}`)}: 'VARCHAR'`),
    ]
    const select = columns.map(
      (c, i) => `CAST(src.c${i} AS ${c.type}) AS ${quoteIdentifier(unique[i] ?? `column${i}`)}`,
    )
    const partial = `${parquet}.${randomUUID()}.tmp`
    try {
      // Blank rows inside the table are rows of NULLs (as pandas reads them); blank rows after it are not rows.
      await con.run(
        `COPY (SELECT ${select.join(', ') || '1 AS "column0"'} FROM range(${dataStart}, ${info.rows + 1}) r(n)
          LEFT JOIN ${readSheetCsv(path.join(fileDir, info.csv), csvColumns)} src ON src.__row = r.n ORDER BY r.n)
         TO ${quoteLiteral(partial)} (FORMAT parquet)`,
      )
      await rename(partial, parquet)
    } finally {
      await rm(partial, { force: true })
    }
  }
  return { index, parquet, read: { skipRows, header, headerRow, detectedHeaderRow }, warnings }
}

/** The converter's CSV (first field the sheet row number; strings quoted, so `""` is an empty string). */
function readSheetCsv(csv: string, columns: string[]): string {
  return `read_csv(${quoteLiteral(csv)}, auto_detect = false, header = false, delim = ',', quote = '"', escape = '"',
    new_line = '\\n', null_padding = true, allow_quoted_nulls = false, max_line_size = 10000000,
    columns = {${columns.join(', ')}})`
}

/** Columns up to the rightmost one with a value at or below `firstRow`. */
function widthFrom(stats: SheetStats, firstRow: number): number {
  let width = 0
  for (const [c, kinds] of stats.kinds.entries())
    if (Object.values(kinds).some((last) => (last ?? 0) >= firstRow)) width = c + 1
  return width
}

const KIND_WORDS: Record<CellKind, string> = {
  string: 'text',
  int: 'whole numbers',
  float: 'decimal numbers',
  bool: 'booleans',
  date: 'dates',
  datetime: 'date-times',
  time: 'times of day',
  duration: 'durations',
  error: 'errors',
}

/** Kinds that widen into one type (a whole number is also a decimal; a date is a date-time at midnight). */
const WIDENING: [CellKind[], string][] = [
  [['int'], 'BIGINT'],
  [['int', 'float'], 'DOUBLE'],
  [['bool'], 'BOOLEAN'],
  [['date'], 'DATE'],
  [['date', 'datetime'], 'TIMESTAMP'],
  [['time'], 'TIME'],
  [['duration'], 'INTERVAL'],
  [['string'], 'VARCHAR'],
]

/** The type of a column from the kinds of value it holds at or below `dataStart`. */
function columnType(
  kinds: Partial<Record<CellKind, number>>,
  dataStart: number,
): { type: string; mixed?: [CellKind, number][] } {
  const present = (Object.entries(kinds) as [CellKind, number][]).filter(
    ([kind, last]) => kind !== 'error' && last >= dataStart,
  )
  if (present.length === 0) return { type: 'VARCHAR' }
  for (const [allowed, type] of WIDENING) if (present.every(([kind]) => allowed.includes(kind))) return { type }
  return { type: 'VARCHAR', mixed: present.sort((a, b) => a[1] - b[1]) }
}

async function headerNames(
  con: DuckDBConnection,
  csv: string,
  info: SheetInfo,
  headerRow: number,
  width: number,
): Promise<string[]> {
  const columns = [
    `'__row': 'BIGINT'`,
    ...Array.from({ length: info.columns }, (_, c) => `${quoteLiteral(`c${c}`)}: 'VARCHAR'`),
  ]
  const row = (
    await con.runAndReadAll(`SELECT * EXCLUDE (__row) FROM ${readSheetCsv(csv, columns)} WHERE __row = ${headerRow}`)
  ).getRows()[0]
  return Array.from({ length: width }, (_, c) => {
    const value = row?.[c]
    return value === null || value === undefined || String(value).trim() === '' ? `column${c}` : String(value)
  })
}

/** Names made distinct without regard to case (DuckDB's rule), the later ones suffixed `_2`, `_3`… */
function distinctNames(names: string[]): string[] {
  const seen = new Set<string>()
  return names.map((name) => {
    let unique = name
    for (let n = 2; seen.has(unique.toLowerCase()); n++) unique = `${name}_${n}`
    seen.add(unique.toLowerCase())
    return unique
  })
}
