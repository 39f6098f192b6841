import type { FilterOp, PageRequest } from './table-types.ts'
import { displayValue } from './table-view.ts'

/** A header sort, as the grid reports it: column index (as colId) and direction. */
export interface HeaderSort {
  colId: string
  sort: 'asc' | 'desc' | null | undefined
}

/** One header filter condition, as the grid's text and number filters report it. */
export interface HeaderFilter {
  filterType?: string
  type?: string | null
  filter?: string | number | null
}

/** The header filters' options the page endpoint can answer, by the grid's option name. */
const FILTER_OPS: Record<string, FilterOp> = {
  contains: 'contains',
  equals: '=',
  notEqual: '!=',
  lessThan: '<',
  lessThanOrEqual: '<=',
  greaterThan: '>',
  greaterThanOrEqual: '>=',
  blank: 'is_null',
  notBlank: 'not_null',
}

export const TEXT_FILTER_OPTIONS = ['contains', 'equals', 'notEqual', 'blank', 'notBlank']
export const NUMBER_FILTER_OPTIONS = [
  'equals',
  'notEqual',
  'lessThan',
  'lessThanOrEqual',
  'greaterThan',
  'greaterThanOrEqual',
  'blank',
  'notBlank',
]

/**
 * The page endpoint's request for rows `[startRow, endRow)` under the headers' sort and filters. Column ids
 * are column indexes (names may repeat or hold any character); conditions the server cannot answer are
 * dropped rather than guessed.
 */
export function headerPageRequest(
  columns: readonly { name: string }[],
  startRow: number,
  endRow: number,
  sortModel: readonly HeaderSort[],
  filterModel: Record<string, HeaderFilter | undefined> | null | undefined,
): PageRequest {
  const name = (colId: string) => columns[Number(colId)]?.name
  const sort: NonNullable<PageRequest['sort']> = []
  for (const s of sortModel) {
    const column = name(s.colId)
    if (column !== undefined && s.sort) sort.push({ column, descending: s.sort === 'desc' })
  }
  const filter: NonNullable<PageRequest['filter']> = []
  for (const [colId, f] of Object.entries(filterModel ?? {})) {
    const column = name(colId)
    const op = f?.type ? FILTER_OPS[f.type] : undefined
    if (column === undefined || !f || !op) continue
    if (op === 'is_null' || op === 'not_null') filter.push({ column, op })
    else if (f.filter !== null && f.filter !== undefined && f.filter !== '')
      filter.push({ column, op, value: f.filter })
  }
  return {
    offset: startRow,
    limit: Math.max(0, endRow - startRow),
    ...(sort.length ? { sort } : {}),
    ...(filter.length ? { filter } : {}),
  }
}

/** A rectangle of cells: rows and column indexes, both ends included, in any order. */
export interface CellRange {
  anchor: { row: number; col: number }
  focus: { row: number; col: number }
}

export function normalizeRange(range: CellRange) {
  return {
    top: Math.min(range.anchor.row, range.focus.row),
    bottom: Math.max(range.anchor.row, range.focus.row),
    left: Math.min(range.anchor.col, range.focus.col),
    right: Math.max(range.anchor.col, range.focus.col),
  }
}

export function inRange(range: CellRange | undefined, row: number, col: number): boolean {
  if (!range) return false
  const r = normalizeRange(range)
  return row >= r.top && row <= r.bottom && col >= r.left && col <= r.right
}

/** Most rows one copy fetches: the page endpoint's own limit. */
export const MAX_COPY_ROWS = 100_000

/**
 * The text a copied range becomes: tab-separated, a header line when the range spans more than one cell,
 * values as the grid shows them (NULL for SQL NULL), tabs and newlines inside values flattened.
 */
export function rangeText(
  columns: readonly { name: string }[],
  rows: readonly unknown[][],
  left: number,
  right: number,
) {
  const clean = (s: string) => s.replace(/[\t\r\n]+/g, ' ')
  const cols = columns.slice(left, right + 1)
  const lines = rows.map((row) => cols.map((_, i) => clean(displayValue(row[left + i]))).join('\t'))
  if (rows.length === 1 && cols.length === 1) return lines[0] ?? ''
  return [cols.map((c) => clean(c.name)).join('\t'), ...lines].join('\n')
}
