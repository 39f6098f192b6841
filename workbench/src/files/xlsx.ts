import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { CellKind } from './xlsx-cells.ts'
import { sheetRows } from './xlsx-sheet.ts'
import { readWorkbookIndex } from './xlsx-workbook.ts'
import { checkZip, ZipBombError } from './zip-guard.ts'

/** What one workbook may expand to: checked on the archive first, then while its sheets are converted. */
export interface WorkbookLimits {
  /** Declared uncompressed size of the whole archive, and bytes of CSV written for all its sheets. */
  maxUncompressedBytes: number
  /** Cells with a value across all sheets. */
  maxCells: number
  /** Uncompressed size of the shared strings, which the reader holds in memory. */
  maxSharedStringsBytes: number
}

export const defaultWorkbookLimits: WorkbookLimits = {
  maxUncompressedBytes: 512 * 1024 * 1024,
  maxCells: 20_000_000,
  maxSharedStringsBytes: 64 * 1024 * 1024,
}

/** The workbook expands past a {@link WorkbookLimits} bound. */
export class WorkbookTooLargeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WorkbookTooLargeError'
  }
}

/** One worksheet of a workbook (in tab order), converted to a CSV file next to the upload. */
export interface SheetInfo {
  index: number
  /** The tab name, as `workbook.xml` gives it. */
  name: string
  /** Number of the last row with a value (blank rows above it included). */
  rows: number
  /** Columns up to the rightmost cell with a value, in any row. */
  columns: number
  hidden: boolean
  /** The row that looks like the header (1-based; 0 for an empty sheet): see {@link detectHeaderRow}. */
  headerRow: number
  /** File name of the sheet's CSV inside the file's folder: `row, A, B, …`, one line per row with a value. */
  csv: string
  /** File name of the sheet's {@link SheetStats}. */
  stats: string
}

/** Where each kind of value sits in a sheet: enough to type the columns below any header row chosen later. */
export interface SheetStats {
  /** Per column: for each kind of value it holds, the last row holding one (so "any below row h" is `last > h`). */
  kinds: Partial<Record<CellKind, number>>[]
  /** Cells that become NULL (error values, dates that cannot be): located, in row order (the first 1000). */
  errors: { row: number; column: number; text: string }[]
  errorCount: number
  /** Merged ranges (`A1:C1`): only their top-left cell holds a value. */
  merges: string[]
}

const MAX_LISTED_ERRORS = 1000
/** Rows looked at to find the header. */
const HEADER_SCAN_ROWS = 50

/**
 * Converts every worksheet of an .xlsx file, in the workbook's tab order and with its tab names, to a CSV
 * whose first field is the sheet row number, plus where each kind of value occurs. Values are exact: numbers
 * keep the digits the file stores, dates are ISO 8601 from the workbook's date system (1900 or 1904), strings
 * (shared, inline, rich) are text even when they look like numbers. The XML is streamed: a large workbook is
 * never held in memory, only its shared strings.
 */
export async function convertWorkbook(
  file: string,
  outDir: string,
  limits: WorkbookLimits = defaultWorkbookLimits,
): Promise<SheetInfo[]> {
  let entries: Awaited<ReturnType<typeof checkZip>>
  // A zip bomb is refused from its central directory, before anything is inflated.
  try {
    entries = await checkZip(file, {
      maxUncompressedBytes: limits.maxUncompressedBytes,
      maxRatio: 200,
      maxEntries: 10_000,
      maxEntryBytes: { 'xl/sharedStrings.xml': limits.maxSharedStringsBytes },
    })
  } catch (err) {
    if (err instanceof ZipBombError) throw new WorkbookTooLargeError(`the workbook ${err.message}`)
    throw err
  }
  await mkdir(outDir, { recursive: true })
  const index = await readWorkbookIndex(file, entries).catch(rethrowBomb)
  const sheets: SheetInfo[] = []
  // Declared sizes can lie: what is really expanded is counted too.
  const budget = { cells: 0, bytes: 0 }
  for (const [i, part] of index.sheets.entries()) {
    const csv = `sheet-${i}.csv`
    const statsFile = `sheet-${i}.json`
    const out = createWriteStream(path.join(outDir, csv))
    const stats: SheetStats = { kinds: [], errors: [], errorCount: 0, merges: [] }
    const head: { row: number; filled: number }[] = []
    let lastRow = 0
    try {
      for await (const batch of sheetRows(file, part, index, stats.merges)) {
        let text = ''
        for (const { row, cells } of batch) {
          budget.cells += cells.length
          if (budget.cells > limits.maxCells)
            throw new WorkbookTooLargeError(`the workbook has more than ${limits.maxCells} cells`)
          if (head.length < HEADER_SCAN_ROWS) head.push({ row, filled: cells.length })
          lastRow = row
          let line = String(row)
          let at = 0
          for (const cell of cells) {
            line += ','.repeat(cell.column - at + 1)
            at = cell.column + 1
            const seen = stats.kinds[cell.column] ?? {}
            stats.kinds[cell.column] = seen
            seen[cell.kind] = row
            if (cell.kind === 'string') line += `"${cell.text.replaceAll('"', '""')}"`
            else if (cell.kind === 'error') {
              stats.errorCount++
              if (stats.errors.length < MAX_LISTED_ERRORS)
                stats.errors.push({ row, column: cell.column, text: cell.text })
            } else line += cell.text
          }
          text += `${line}\n`
        }
        budget.bytes += Buffer.byteLength(text)
        if (budget.bytes > limits.maxUncompressedBytes)
          throw new WorkbookTooLargeError(
            `the workbook expands to more than ${limits.maxUncompressedBytes} bytes of CSV`,
          )
        await write(out, text)
      }
    } catch (err) {
      out.destroy()
      rethrowBomb(err)
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
    for (let c = 0; c < stats.kinds.length; c++) stats.kinds[c] ??= {}
    await writeFile(path.join(outDir, statsFile), JSON.stringify(stats))
    sheets.push({
      index: i,
      name: part.name,
      rows: lastRow,
      columns: stats.kinds.length,
      hidden: part.hidden,
      headerRow: detectHeaderRow(head),
      csv,
      stats: statsFile,
    })
  }
  return sheets
}

/**
 * The header is the first row filled at least 60% as wide as the widest of the first rows: title, subtitle and
 * blank rows above a table are skipped, a table starting on row 1 keeps row 1. 0 for an empty sheet.
 */
export function detectHeaderRow(head: { row: number; filled: number }[]): number {
  const widest = Math.max(0, ...head.map((r) => r.filled))
  const threshold = Math.ceil(widest * 0.6)
  return head.find((r) => r.filled >= threshold)?.row ?? 0
}

function rethrowBomb(err: unknown): never {
  if (err instanceof ZipBombError) throw new WorkbookTooLargeError(`the workbook ${err.message}`)
  throw err
}

function write(out: WriteStream, text: string): Promise<void> {
  return out.write(text) ? Promise.resolve() : new Promise((resolve) => out.once('drain', () => resolve()))
}
