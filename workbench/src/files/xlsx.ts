import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import ExcelJS from 'exceljs'
import { checkZip, ZipBombError } from './zip-guard.ts'

/** What one workbook may expand to: checked on the archive first, then while its sheets are converted. */
export interface WorkbookLimits {
  /** Declared uncompressed size of the whole archive, and bytes of CSV written for all its sheets. */
  maxUncompressedBytes: number
  /** Cells (including the padding of short rows) across all sheets. */
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

/** One worksheet of a workbook, converted to a UTF-8 CSV file next to the upload. */
export interface SheetInfo {
  index: number
  name: string
  rows: number
  /** File name of the sheet's CSV inside the file's folder. */
  csv: string
}

/**
 * Converts every worksheet of an .xlsx file to CSV with the streaming reader, so a large workbook is never
 * held in memory. Rows shorter than the first (header) row are padded, so only genuinely odd rows are
 * reported as problems later. Formulas give their cached result; dates are written as ISO 8601.
 */
export async function convertWorkbook(
  file: string,
  outDir: string,
  limits: WorkbookLimits = defaultWorkbookLimits,
): Promise<SheetInfo[]> {
  // A zip bomb is refused from its central directory, before anything is inflated.
  try {
    await checkZip(file, {
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
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache',
    entries: 'ignore',
  })
  const sheets: SheetInfo[] = []
  // Declared sizes can lie: what is really expanded is counted too.
  let cells = 0
  let bytes = 0
  for await (const worksheet of reader) {
    const index = sheets.length
    const csv = `sheet-${index}.csv`
    const out = createWriteStream(path.join(outDir, csv))
    let rows = 0
    let width = 0
    for await (const row of worksheet) {
      const values = (Array.isArray(row.values) ? row.values : []).slice(1).map(cellText)
      if (rows === 0) width = values.length
      while (values.length < width) values.push('')
      cells += values.length
      if (cells > limits.maxCells) {
        out.destroy()
        throw new WorkbookTooLargeError(`the workbook has more than ${limits.maxCells} cells`)
      }
      const line = `${values.map(csvField).join(',')}\n`
      bytes += Buffer.byteLength(line)
      if (bytes > limits.maxUncompressedBytes) {
        out.destroy()
        throw new WorkbookTooLargeError(`the workbook expands to more than ${limits.maxUncompressedBytes} bytes of CSV`)
      }
      await write(out, line)
      rows++
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
    const name = (worksheet as unknown as { name?: string }).name ?? `Sheet${index + 1}`
    sheets.push({ index, name, rows, csv })
  }
  return sheets
}

function write(out: WriteStream, text: string): Promise<void> {
  return out.write(text) ? Promise.resolve() : new Promise((resolve) => out.once('drain', () => resolve()))
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) {
    const iso = value.toISOString()
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.replace('.000Z', 'Z')
  }
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>
    if (Array.isArray(v.richText)) return v.richText.map((r: { text?: string }) => r.text ?? '').join('')
    if ('result' in v) return cellText(v.result)
    if ('text' in v) return cellText(v.text)
    if ('error' in v) return String(v.error)
    return JSON.stringify(value)
  }
  return String(value)
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}
