import type { HTMLAttributes, ReactNode } from 'react'

/** One column of a {@link DataTable}: its header and how a row renders in it. */
export interface Column<T> {
  header: ReactNode
  cell: (row: T) => ReactNode
  /** Header cell label for screen readers when `header` is empty (an actions column). */
  label?: string
}

interface Props<T> {
  columns: Column<T>[]
  rows: T[]
  rowKey: (row: T) => string
  /** Extra attributes per row (data-* for tests, class names). */
  rowProps?: (row: T) => HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string | undefined>
  testId?: string
  caption?: string
  empty?: ReactNode
}

/** The table every list page uses: header row, one row per item, optional empty state. */
export function DataTable<T>({ columns, rows, rowKey, rowProps, testId, caption, empty }: Props<T>) {
  if (rows.length === 0 && empty) return <>{empty}</>
  return (
    <table className="table" data-testid={testId}>
      {caption && <caption className="sr-only">{caption}</caption>}
      <thead>
        <tr>
          {columns.map((c, i) => (
            <th key={i} aria-label={c.label}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={rowKey(row)} {...rowProps?.(row)}>
            {columns.map((c, i) => (
              <td key={i}>{c.cell(row)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}
