import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useRef, useState } from 'react'
import type { ChartChoice } from '../../../core/notebook/chart-spec.ts'
import { resultsApi, type TableData } from '../../../core/notebook/execution.ts'
import {
  applyLocally,
  displayValue,
  type GridQuery,
  isSpecialFloat,
  pageRequest,
  toDelimited,
} from '../../../core/notebook/table-view.ts'
import { errorMessage, toast } from '../../../core/ui/toasts.ts'
import { useNotebookEnv } from '../notebook-context.ts'
import { ChartBuilder } from './ChartBuilder.tsx'
import { ResultChart } from './ResultChart.tsx'

const PAGE = 100
const ROW_HEIGHT = 26

/**
 * A SQL result: virtualised rows, column types and quick stats, server-side paging/sorting/filtering when the
 * result is kept on the server (the page endpoint), copy, export, a chart builder, and the cell's saved chart
 * drawn from this result.
 */
export function DataGrid({
  data,
  masked = [],
  chart: savedChart,
  onSaveChart,
}: {
  data: TableData
  /** Columns masked by the server (PII-tagged in the catalog); admins may reveal them (audited). */
  masked?: string[]
  /** The cell's saved chart (`metadata.workbench.chart`), drawn from this result. */
  chart?: ChartChoice
  onSaveChart?: (choice: ChartChoice | undefined) => void
}) {
  const env = useNotebookEnv()
  const remote = data.resultId && env.sessionId ? resultsApi(env.workspaceId, env.sessionId, data.resultId) : undefined
  const [revealed, setRevealed] = useState(false)
  // Revealed values come from the server only: the rows in the shared document stay masked.
  const complete = data.rows.length >= data.totalRows && !revealed
  const hidden = revealed ? [] : masked
  const [query, setQuery] = useState<GridQuery>({})
  const [offset, setOffset] = useState(0)
  const [page, setPage] = useState<{ rows: unknown[][]; total: number }>({ rows: data.rows, total: data.totalRows })
  const [loading, setLoading] = useState(false)
  const [chart, setChart] = useState(false)
  const scroller = useRef<HTMLDivElement>(null)

  useEffect(() => {
    if (complete || !remote) {
      const rows = applyLocally(data, query)
      setPage({ rows: rows.slice(offset, offset + PAGE), total: rows.length })
      return
    }
    let cancelled = false
    setLoading(true)
    remote
      .page(pageRequest(query, offset, PAGE), revealed)
      .then(
        (p) => !cancelled && setPage({ rows: p.rows, total: p.totalRows }),
        (err: unknown) => toast(`Could not load rows: ${errorMessage(err)}`, 'error'),
      )
      .finally(() => !cancelled && setLoading(false))
    return () => {
      cancelled = true
    }
  }, [data, query, offset, complete, data.resultId, env.sessionId, revealed])

  const virtualizer = useVirtualizer({
    count: page.rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  })
  const names = data.columns.map((c) => c.name)
  const sortBy = (column: string) => {
    setOffset(0)
    setQuery((q) => ({
      ...q,
      sort:
        q.sort?.column === column
          ? q.sort.descending
            ? undefined
            : { column, descending: true }
          : { column, descending: false },
    }))
  }
  const copy = async () => {
    await navigator.clipboard.writeText(toDelimited(names, page.rows, '\t')).then(
      () => toast(`Copied ${page.rows.length} rows`, 'success'),
      () => toast('The clipboard is not available here', 'error'),
    )
  }
  // Only the rows in view are in the DOM; spacer rows keep the scrollbar honest.
  const items = virtualizer.getVirtualItems()
  const before = items[0]?.start ?? 0
  const after = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0)
  const downloadCsv = () => {
    const url = URL.createObjectURL(
      new Blob([toDelimited(names, applyLocally(data, query), ',')], { type: 'text/csv' }),
    )
    const a = document.createElement('a')
    a.href = url
    a.download = 'result.csv'
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }

  return (
    <div className="grid-output" data-testid="data-grid" data-total={page.total}>
      <div className="inline grid-toolbar">
        <span data-testid="grid-count">
          {page.total.toLocaleString()} rows{loading ? ' (loading…)' : ''}
        </span>
        {!complete && !remote && (
          <span className="truncation" data-testid="grid-partial">
            Showing the first {data.rows.length.toLocaleString()} of {data.totalRows.toLocaleString()} rows (the full
            result is no longer available on the server; run the cell again to page through it)
          </span>
        )}
        {data.shrunk && !remote && (
          <span className="truncation" data-testid="grid-shrunk">
            This first page was shortened to fit the cell's output limit ({data.rows.length.toLocaleString()} rows kept,
            long values cut); run the cell again to page through the whole result
          </span>
        )}
        {hidden.length > 0 && (
          <span className="masked-note" data-testid="grid-masked">
            Masked: {hidden.join(', ')}
            {env.canUnmask && remote && (
              <>
                {' '}
                <button
                  type="button"
                  className="link"
                  title="Show the clear values (recorded in the audit log)"
                  onClick={() => {
                    setOffset(0)
                    setRevealed(true)
                  }}
                >
                  Reveal
                </button>
              </>
            )}
          </span>
        )}
        {revealed && (
          <span className="masked-note" data-testid="grid-revealed">
            Showing unmasked values (audited)
          </span>
        )}
        <FilterForm
          // Filtering on a masked column would tell its values apart: the server refuses it.
          columns={names.filter((n) => !hidden.includes(n))}
          onApply={(filter) => {
            setOffset(0)
            setQuery((q) => ({ ...q, filter }))
          }}
        />
        <button type="button" className="link" onClick={() => void copy()}>
          Copy
        </button>
        {remote ? (
          <>
            <a href={remote.exportUrl('csv', revealed)} download>
              Export CSV
            </a>
            {hidden.length === 0 && remote.inDuckdb && (
              <a href={remote.exportUrl('parquet', revealed)} download>
                Export Parquet
              </a>
            )}
          </>
        ) : (
          <button type="button" className="link" onClick={downloadCsv}>
            Export CSV
          </button>
        )}
        <button type="button" className="link" onClick={() => setChart((c) => !c)} aria-expanded={chart}>
          Chart
        </button>
      </div>
      <div className="grid-scroll" ref={scroller}>
        <table className="grid-table" aria-label="Query result" aria-rowcount={page.total + 1}>
          <thead>
            <tr>
              {data.columns.map((c) => {
                const stats = data.stats?.find((s) => s.name === c.name)
                const sorted = query.sort?.column === c.name ? (query.sort.descending ? ' ▼' : ' ▲') : ''
                return (
                  <th key={c.name} aria-sort={sorted ? (query.sort?.descending ? 'descending' : 'ascending') : 'none'}>
                    <button type="button" className="link grid-sort" onClick={() => sortBy(c.name)}>
                      {c.name}
                      {sorted}
                    </button>
                    <small className="col-type">{c.type}</small>
                    {hidden.includes(c.name) && (
                      <small className="tag masked" data-testid="masked-column" title="PII-tagged in the catalog">
                        masked
                      </small>
                    )}
                    {stats && (
                      <small className="col-stats" title="nulls · distinct · min–max">
                        {stats.nullCount} null
                        {stats.distinct !== undefined
                          ? ` · ${stats.distinctApproximate ? '≈' : ''}${stats.distinct.toLocaleString('en-US')} distinct`
                          : ''}
                        {stats.min !== undefined ? ` · ${displayValue(stats.min)}–${displayValue(stats.max)}` : ''}
                      </small>
                    )}
                  </th>
                )
              })}
            </tr>
          </thead>
          <tbody>
            {before > 0 && (
              <tr className="spacer">
                <td colSpan={data.columns.length} style={{ height: before, padding: 0 }} />
              </tr>
            )}
            {items.map((item) => (
              <tr key={item.key} data-testid="grid-row" style={{ height: ROW_HEIGHT }}>
                {(page.rows[item.index] ?? []).map((v, i) => (
                  <td
                    key={i}
                    className={
                      v === null ? 'null' : isSpecialFloat(data.columns[i]?.type ?? '', v) ? 'special-float' : undefined
                    }
                  >
                    {displayValue(v)}
                  </td>
                ))}
              </tr>
            ))}
            {after > 0 && (
              <tr className="spacer">
                <td colSpan={data.columns.length} style={{ height: after, padding: 0 }} />
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {page.total > PAGE && (
        <nav className="inline pager" aria-label="Result pages">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Previous
          </button>
          <span data-testid="grid-range">
            {offset + 1}–{Math.min(offset + PAGE, page.total)} of {page.total.toLocaleString()}
          </span>
          <button type="button" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
            Next
          </button>
        </nav>
      )}
      {chart ? (
        <ChartBuilder
          data={data}
          remote={remote}
          saved={savedChart}
          onSave={
            onSaveChart &&
            ((choice) => {
              onSaveChart(choice)
              setChart(false)
            })
          }
        />
      ) : (
        savedChart && (
          <ResultChart choice={savedChart} data={data} remote={remote} unmask={revealed} testId="cell-chart" />
        )
      )}
    </div>
  )
}

function FilterForm({ columns, onApply }: { columns: string[]; onApply: (f: GridQuery['filter']) => void }) {
  const [column, setColumn] = useState(columns[0] ?? '')
  const [op, setOp] = useState<NonNullable<GridQuery['filter']>['op']>('contains')
  const [value, setValue] = useState('')
  return (
    <form
      className="inline"
      aria-label="Filter rows"
      onSubmit={(e) => {
        e.preventDefault()
        onApply(value || op === 'is_null' || op === 'not_null' ? { column, op, value } : undefined)
      }}
    >
      <select aria-label="Filter column" value={column} onChange={(e) => setColumn(e.target.value)}>
        {columns.map((c) => (
          <option key={c}>{c}</option>
        ))}
      </select>
      <select aria-label="Filter operator" value={op} onChange={(e) => setOp(e.target.value as typeof op)}>
        {(['contains', '=', '!=', '<', '<=', '>', '>=', 'is_null', 'not_null'] as const).map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
      <input aria-label="Filter value" value={value} onChange={(e) => setValue(e.target.value)} size={10} />
      <button type="submit">Filter</button>
    </form>
  )
}
