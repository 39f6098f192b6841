import { lazy, Suspense, useCallback, useRef, useState } from 'react'
import type { ChartChoice } from '../../../core/notebook/chart-spec.ts'
import { resultsApi, type TableData } from '../../../core/notebook/execution.ts'
import type { PageRequest } from '../../../core/notebook/table-types.ts'
import { applyLocally, type GridQuery, toDelimited } from '../../../core/notebook/table-view.ts'
import { errorMessage, toast } from '../../../core/ui/toasts.ts'
import { useNotebookEnv } from '../notebook-context.ts'
import { ChartBuilder } from './ChartBuilder.tsx'
import { ResultChart } from './ResultChart.tsx'

// The grid library is loaded with the first result shown, not with the app.
const ResultGrid = lazy(() => import('./ResultGrid.tsx'))

/**
 * A SQL result: the virtualised grid (server-side paging, sorting and filtering from the headers when the
 * result is kept on the server), column types and quick stats, copy, export, a chart builder, and the cell's
 * saved chart drawn from this result.
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
  const [total, setTotal] = useState(data.totalRows)
  const [loading, setLoading] = useState(false)
  const [chart, setChart] = useState(false)
  const copyRange = useRef<(() => Promise<number>) | null>(null)
  const names = data.columns.map((c) => c.name)

  const fetchRows = useCallback(
    async (request: PageRequest) => {
      if (complete || !remote) {
        const rows = applyLocally(data, localQuery(request))
        const offset = request.offset ?? 0
        return { rows: rows.slice(offset, offset + (request.limit ?? rows.length)), totalRows: rows.length }
      }
      setLoading(true)
      try {
        const page = await remote.page(request, revealed)
        return { rows: page.rows, totalRows: page.totalRows }
      } finally {
        setLoading(false)
      }
    },
    [data, complete, remote?.page, revealed],
  )

  const copy = async () => {
    try {
      const copied = copyRange.current ? await copyRange.current() : 0
      if (copied > 0) return toast(`Copied ${copied.toLocaleString()} rows`, 'success')
      // Nothing selected: the rows the document holds.
      await navigator.clipboard.writeText(toDelimited(names, data.rows, '\t'))
      toast(`Copied ${data.rows.length.toLocaleString()} rows`, 'success')
    } catch {
      toast('The clipboard is not available here', 'error')
    }
  }
  const downloadCsv = () => {
    const url = URL.createObjectURL(new Blob([toDelimited(names, data.rows, ',')], { type: 'text/csv' }))
    const a = document.createElement('a')
    a.href = url
    a.download = 'result.csv'
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }

  return (
    <div className="grid-output" data-testid="data-grid" data-total={total}>
      <div className="inline grid-toolbar">
        <span data-testid="grid-count">
          {total.toLocaleString()} rows{loading ? ' (loading…)' : ''}
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
                  onClick={() => setRevealed(true)}
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
      <Suspense fallback={<div className="grid-loading">Loading the grid…</div>}>
        <ResultGrid
          // A new result, or revealed values, start a new grid (and a new row cache).
          key={`${data.resultId ?? 'local'}:${revealed}`}
          columns={data.columns}
          stats={data.stats}
          masked={hidden}
          fetchRows={fetchRows}
          initialTotal={data.totalRows}
          onTotal={setTotal}
          onError={(err) => toast(`Could not load rows: ${errorMessage(err)}`, 'error')}
          copyRef={copyRange}
        />
      </Suspense>
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

/** The page request's sort and filter in the shape the local (complete result) path applies. */
function localQuery(request: PageRequest): GridQuery {
  const sort = request.sort?.[0]
  const filter = request.filter?.[0]
  return {
    ...(sort ? { sort: { column: sort.column, descending: sort.descending ?? false } } : {}),
    ...(filter ? { filter: { column: filter.column, op: filter.op, value: String(filter.value ?? '') } } : {}),
  }
}
