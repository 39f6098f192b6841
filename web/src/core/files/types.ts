/** The files API's shapes, from the generated client, and what the web app derives from them. */
import type * as Schema from '@workbench/client'

export type UploadedFile = Schema.UploadedFile
export type TextEncoding = NonNullable<UploadedFile['encoding']>
export type Problem = Schema.FileProblem
export type ReadOptions = Schema.FileReadOptions
export type Preview = Schema.FilePreview
export type RejectedRow = Schema.RejectedRow
export type ImportResult = Schema.FileImportResult

/** The encodings the server reads, in the order the picker offers them. */
export const ENCODINGS = [
  'utf-8',
  'utf-8-bom',
  'utf-16le',
  'utf-16be',
  'windows-1252',
  'iso-8859-1',
] as const satisfies readonly TextEncoding[]

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
