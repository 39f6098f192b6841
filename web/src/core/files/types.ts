/** Shapes of the files API (workbench/src/routes/file-schemas.ts), as the web app uses them. */
export const ENCODINGS = ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'windows-1252', 'iso-8859-1'] as const
export type TextEncoding = (typeof ENCODINGS)[number]

export interface UploadedFile {
  id: string
  name: string
  size: number
  status: 'uploading' | 'ready'
  received: number
  format: 'csv' | 'tsv' | 'xlsx' | 'parquet' | 'json' | 'ndjson' | null
  encoding: TextEncoding | null
  sheets: { index: number; name: string; rows: number; hidden: boolean }[] | null
  createdAt: string
}

export interface Problem {
  kind:
    | 'ragged_row'
    | 'broken_quote'
    | 'cast'
    | 'inexact'
    | 'mixed_types'
    | 'invalid_encoding'
    | 'invalid_json'
    | 'cell_error'
    | 'merged_cells'
    | 'other'
  line?: number
  lines?: number
  row?: number
  column?: string
  message: string
  raw?: string
}

export interface ReadOptions {
  encoding?: TextEncoding
  delimiter?: string
  quote?: string
  escape?: string
  decimal?: '.' | ','
  header?: boolean
  sheet?: number
  /** Workbooks: rows skipped above the header row. */
  skipRows?: number
  columns?: { name: string; type: string }[]
}

export interface Preview {
  fileId: string
  format: string
  encoding: string | null
  delimiter: string | null
  quote: string | null
  escape: string | null
  decimal: '.' | ',' | null
  header: boolean | null
  sheet: number | null
  sheets: { index: number; name: string; rows: number; hidden: boolean }[] | null
  /** Workbooks: rows skipped above the header in force, and the header row the sheet suggests (1-based). */
  skipRows: number | null
  detectedHeaderRow: number | null
  columns: { source: string; name: string; type: string }[]
  /** Types a column may be given, besides the one detected for it. */
  columnTypes: string[]
  rows: unknown[][]
  problems: Problem[]
  wholeFileChecked: boolean
}

export interface RejectedRow {
  line: number | null
  lines: number
  column: string | null
  kind: string
  reason: string
  raw: string | null
}

export interface ImportResult {
  id: string
  fileName: string
  table: string
  mode: 'replace' | 'append'
  status: 'running' | 'succeeded' | 'failed'
  rowsLoaded: number
  rowsRejected: number
  rejectsTable: string | null
  error: string | null
  rejects: RejectedRow[]
  /** Lines in the file read (delimited text). */
  fileLines: number | null
  /** Lines of the file the rejected rows cover. */
  linesRejected: number
}

/** Human words for a problem kind. */
export const PROBLEM_LABELS: Record<string, string> = {
  ragged_row: 'Wrong number of fields',
  broken_quote: 'Broken quote',
  cast: 'Value does not fit the type',
  inexact: 'Value would change in the type',
  mixed_types: 'Mixed types',
  invalid_encoding: 'Invalid characters for the encoding',
  invalid_json: 'Invalid JSON',
  cell_error: 'Cell imported as NULL',
  merged_cells: 'Merged cells',
  other: 'Problem',
}

/** Where a problem is: "line 4", "lines 4–9", "row 2", or nothing. */
export function problemPlace(p: { line?: number | null; lines?: number; row?: number }): string {
  if (p.line !== undefined && p.line !== null)
    return p.lines !== undefined && p.lines > 1 ? `lines ${p.line}–${p.line + p.lines - 1}` : `line ${p.line}`
  if (p.row !== undefined) return `row ${p.row}`
  return ''
}

/** A file-name-derived default table name (letters, digits, underscores). */
export function tableNameFor(fileName: string): string {
  const base = fileName
    .replace(/\.[^.]+$/, '')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
  const name = /^[A-Za-z_]/.test(base) ? base : `t_${base}`
  return (name || 'imported').slice(0, 63).toLowerCase()
}
