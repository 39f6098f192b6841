/** Shapes of the files API (workbench/src/routes/file-schemas.ts), as the web app uses them. */
export const ENCODINGS = ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'windows-1252', 'iso-8859-1'] as const
export type TextEncoding = (typeof ENCODINGS)[number]
export const COLUMN_TYPES = ['VARCHAR', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP'] as const
export type ColumnType = (typeof COLUMN_TYPES)[number]

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
    | 'mixed_types'
    | 'invalid_encoding'
    | 'invalid_json'
    | 'cell_error'
    | 'merged_cells'
    | 'other'
  line?: number
  row?: number
  column?: string
  message: string
  raw?: string
}

export interface ReadOptions {
  encoding?: TextEncoding
  delimiter?: string
  quote?: string
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
  header: boolean | null
  sheet: number | null
  sheets: { index: number; name: string; rows: number; hidden: boolean }[] | null
  /** Workbooks: rows skipped above the header in force, and the header row the sheet suggests (1-based). */
  skipRows: number | null
  detectedHeaderRow: number | null
  columns: { source: string; name: string; type: string }[]
  rows: unknown[][]
  problems: Problem[]
  wholeFileChecked: boolean
}

export interface RejectedRow {
  line: number | null
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
}

/** Human words for a problem kind. */
export const PROBLEM_LABELS: Record<string, string> = {
  ragged_row: 'Wrong number of fields',
  broken_quote: 'Broken quote',
  cast: 'Value does not fit the type',
  mixed_types: 'Mixed types',
  invalid_encoding: 'Invalid characters for the encoding',
  invalid_json: 'Invalid JSON',
  cell_error: 'Cell imported as NULL',
  merged_cells: 'Merged cells',
  other: 'Problem',
}

/** Where a problem is: "line 4", "row 2", or nothing. */
export function problemPlace(p: { line?: number | null; row?: number }): string {
  if (p.line !== undefined && p.line !== null) return `line ${p.line}`
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
