import type { FilterOp, PageRequest, TableData } from './table-types.ts'

/** The grid's sort and filter, applied on the server when the result is kept there, else locally. */
export interface GridQuery {
  sort?: { column: string; descending: boolean }
  filter?: { column: string; op: FilterOp; value: string }
}

export function pageRequest(q: GridQuery, offset: number, limit: number): PageRequest {
  return {
    offset,
    limit,
    ...(q.sort ? { sort: [q.sort] } : {}),
    ...(q.filter ? { filter: [{ column: q.filter.column, op: q.filter.op, value: filterValue(q.filter) }] } : {}),
  }
}

function filterValue(f: NonNullable<GridQuery['filter']>): unknown {
  if (f.op === 'is_null' || f.op === 'not_null') return undefined
  if (f.op !== 'contains' && f.value.trim() !== '' && !Number.isNaN(Number(f.value))) return Number(f.value)
  return f.value
}

/** Sorts and filters a fully-known small result in the browser (same semantics as the server page API). */
export function applyLocally(data: TableData, q: GridQuery): unknown[][] {
  let rows = data.rows
  const index = (name: string) => data.columns.findIndex((c) => c.name === name)
  if (q.filter) {
    const i = index(q.filter.column)
    const f = q.filter
    const v = filterValue(f)
    rows = rows.filter((r) => {
      const x = r[i]
      switch (f.op) {
        case 'is_null':
          return x === null || x === undefined
        case 'not_null':
          return x !== null && x !== undefined
        case 'contains':
          return String(x ?? '')
            .toLowerCase()
            .includes(String(v).toLowerCase())
        case '=':
          return compare(x, v) === 0
        case '!=':
          return compare(x, v) !== 0
        case '<':
          return compare(x, v) < 0
        case '<=':
          return compare(x, v) <= 0
        case '>':
          return compare(x, v) > 0
        case '>=':
          return compare(x, v) >= 0
      }
      return true
    })
  }
  if (q.sort) {
    const i = index(q.sort.column)
    const sign = q.sort.descending ? -1 : 1
    rows = [...rows].sort((a, b) => sign * compare(a[i], b[i]))
  }
  return rows
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === null || a === undefined) return 1
  if (b === null || b === undefined) return -1
  const na = Number(a)
  const nb = Number(b)
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb
  return String(a).localeCompare(String(b))
}

/** A cell value as the grid shows it (JSON for lists and structs). */
export function displayValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Rows as tab-separated text (for the clipboard) or CSV (for a local download). */
export function toDelimited(columns: string[], rows: unknown[][], sep: '\t' | ','): string {
  const quote = (s: string) =>
    sep === ',' && /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s.replace(/[\t\n]/g, ' ')
  return [columns, ...rows.map((r) => r.map((v) => (v === null || v === undefined ? '' : displayValue(v))))]
    .map((r) => r.map((v) => quote(String(v))).join(sep))
    .join('\n')
}

/** Float values JSON has no number for, spelled as DuckDB prints them (see docs/kernels.md, special floats). */
const SPECIAL_FLOATS = new Set(['nan', 'inf', '-inf', '-0.0'])

/** A cell holding a special float (`nan`, `inf`, `-inf`, `-0.0`) of a FLOAT/DOUBLE column: shown as a value, not text. */
export function isSpecialFloat(type: string, value: unknown): boolean {
  return /^(FLOAT|DOUBLE|REAL)$/i.test(type) && typeof value === 'string' && SPECIAL_FLOATS.has(value)
}

export function isNumericType(type: string): boolean {
  return /INT|DOUBLE|FLOAT|REAL|DECIMAL|NUMERIC/i.test(type)
}

export function isTemporalType(type: string): boolean {
  return /DATE|TIME/i.test(type)
}
