import type { ColumnStats, DisplayDataOutput, ExecuteResultOutput, TableData } from './kernel.ts'
import { outputSize } from './output-size.ts'
import { tableOf, tableOutput } from './table-output.ts'

/** Characters a value of a shrunk first page keeps; longer ones are cut (and listed in `shrunk.cutCells`). */
export const MAX_CELL_CHARS = 1_000
/** Stats values (min/max) are cut to this in a shrunk page: a long string column would otherwise dominate. */
const MAX_STAT_CHARS = 200

type TableOutputType = ExecuteResultOutput | DisplayDataOutput

/**
 * Fits a SQL result output into `room` bytes of the cell's output budget: long values are cut first, then rows
 * are dropped from the end of the first page (the kept result still has them all: the client pages the rest).
 * A result is never dropped: when not even its header fits, it keeps zero rows, its result id and its shape,
 * so paging, export and a `df <<` binding still work.
 */
export function fitTableOutput(output: TableOutputType, room: number): TableOutputType {
  const data = tableOf(output)
  if (!data || outputSize(output) <= room) return output
  const count = output.output_type === 'execute_result' ? output.execution_count : undefined
  const rebuild = (table: TableData) => tableOutput(table, count)

  const cutCells: [number, number][] = []
  const rows = data.rows.map((row, r) =>
    row.map((value, c) => {
      const cut = cutValue(value)
      if (cut !== value) cutCells.push([r, c])
      return cut
    }),
  )
  const stats = data.stats?.map(cutStats)
  const withRows = (n: number) =>
    rebuild({
      ...data,
      rows: rows.slice(0, n),
      stats,
      shrunk: { droppedRows: data.rows.length - n, cutCells: cutCells.filter(([r]) => r < n) },
    })
  // Binary search for the most rows that fit: sizes grow with rows, and a page has at most a few thousand.
  let lo = 0
  let hi = rows.length
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (outputSize(withRows(mid)) <= room) lo = mid
    else hi = mid - 1
  }
  return withRows(lo)
}

function cutValue(value: unknown): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value
  if (typeof value === 'string') return value.length > MAX_CELL_CHARS ? `${value.slice(0, MAX_CELL_CHARS)}…` : value
  const json = JSON.stringify(value)
  return json.length > MAX_CELL_CHARS ? `${json.slice(0, MAX_CELL_CHARS)}…` : value
}

function cutStats(stats: ColumnStats): ColumnStats {
  const cut = (v: unknown) =>
    typeof v === 'string' && v.length > MAX_STAT_CHARS ? `${v.slice(0, MAX_STAT_CHARS)}…` : v
  return { ...stats, ...('min' in stats ? { min: cut(stats.min), max: cut(stats.max) } : {}) }
}
