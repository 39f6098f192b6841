import { useEffect, useMemo, useRef, useState } from 'react'
import {
  type ChartChoice,
  type ChartData,
  chartCoverage,
  chartSpec,
  localChartData,
} from '../../../core/notebook/chart-spec.ts'
import type { resultsApi, TableData } from '../../../core/notebook/execution.ts'
import { errorMessage } from '../../../core/ui/toasts.ts'
import { VegaView } from './VegaView.tsx'

type Remote = ReturnType<typeof resultsApi>

/**
 * A chart of a SQL result: computed by the server over the whole kept result when it can, otherwise from the
 * rows the output carries, and either way it says what it covers (every row, a sample, or only the first rows).
 */
export function ResultChart({
  choice,
  data,
  remote,
  unmask = false,
  testId = 'result-chart',
}: {
  choice: ChartChoice
  data: TableData
  remote: Remote | undefined
  unmask?: boolean
  testId?: string
}) {
  const server = remote?.inDuckdb ? remote : undefined
  const [state, setState] = useState<{ data?: ChartData; error?: string; local?: { rows: number } }>({})
  // Outputs are re-read from the shared document on every change: key on what identifies the result and the
  // choice, not on object identity, so a chart is computed once per result and not on every render.
  const key = JSON.stringify([
    choice,
    data.resultId,
    data.totalRows,
    data.columns,
    server ? 'server' : data.rows.length,
    unmask,
  ])
  const latest = useRef({ choice, data, server })
  latest.current = { choice, data, server }
  useEffect(() => {
    const { choice, data, server } = latest.current
    if (!server) {
      try {
        const computed = localChartData(choice, data.columns, data.rows, data.totalRows)
        setState({ data: computed, local: { rows: data.rows.length } })
      } catch (err) {
        setState({ error: errorMessage(err) })
      }
      return
    }
    let cancelled = false
    // The previous chart stays up until the new values arrive (no flash of "Computing…" on a re-run).
    server.chart(choice, unmask).then(
      (computed) => !cancelled && setState({ data: computed }),
      (err: unknown) => !cancelled && setState({ error: errorMessage(err) }),
    )
    return () => {
      cancelled = true
    }
  }, [key])
  const spec = useMemo(() => (state.data ? chartSpec(state.data) : undefined), [state.data])
  return (
    <div className="result-chart" data-testid={testId}>
      {state.error ? (
        <p className="status-down" role="alert">
          Chart: {state.error}
        </p>
      ) : !state.data ? (
        <p className="muted">Computing the chart…</p>
      ) : (
        <>
          <p
            className={`muted chart-coverage${state.data.sample || (state.local && state.local.rows < state.data.totalRows) ? ' partial' : ''}`}
            data-testid="chart-coverage"
          >
            {chartCoverage(state.data, state.local)}
          </p>
          {spec && <VegaView spec={spec} />}
        </>
      )}
    </div>
  )
}
