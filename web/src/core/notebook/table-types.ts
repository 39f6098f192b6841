/** Mirrors of kernels/src/kernel.ts (TableData, PageRequest). */
export const TABLE_MIME_TYPE = 'application/vnd.workbench.table+json'

export interface TableColumn {
  name: string
  type: string
}

export interface ColumnStats {
  name: string
  nullCount: number
  distinct?: number
  /** `distinct` is an estimate (large results): shown as `≈n`. */
  distinctApproximate?: boolean
  min?: unknown
  max?: unknown
}

export interface TableData {
  resultId?: string
  columns: TableColumn[]
  rows: unknown[][]
  offset: number
  totalRows: number
  stats?: ColumnStats[]
  /** The first page was cut to fit the cell's output budget (fewer rows, long values cut); pages are whole. */
  shrunk?: { droppedRows: number; cutCells: [number, number][] }
}

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | 'is_null' | 'not_null'

export interface PageRequest {
  offset?: number
  limit?: number
  sort?: { column: string; descending?: boolean }[]
  filter?: { column: string; op: FilterOp; value?: unknown }[]
}
