import { useState } from 'react'
import {
  CHART_AGGREGATES,
  CHART_KINDS,
  type ChartAggregate,
  type ChartChoice,
  type ChartKind,
} from '../../../core/notebook/chart-spec.ts'
import type { resultsApi, TableData } from '../../../core/notebook/execution.ts'
import { ResultChart } from './ResultChart.tsx'

/**
 * Pick a chart type and fields over a result and preview it; saving puts the choice (not the drawing) in the
 * cell's metadata, so the chart is redrawn from each new result when the cell runs again.
 */
export function ChartBuilder({
  data,
  remote,
  saved,
  onSave,
}: {
  data: TableData
  remote: ReturnType<typeof resultsApi> | undefined
  saved?: ChartChoice
  onSave?: (choice: ChartChoice | undefined) => void
}) {
  const { columns } = data
  const [choice, setChoice] = useState<ChartChoice>(
    saved ?? { kind: 'bar', x: columns[0]?.name ?? '', y: columns[1]?.name },
  )
  const field = (label: string, key: 'x' | 'y' | 'color', optional: boolean) => (
    <label className="row-label">
      {label}
      <select
        aria-label={`Chart ${label}`}
        value={choice[key] ?? ''}
        onChange={(e) => setChoice((c) => ({ ...c, [key]: e.target.value || undefined }))}
      >
        {optional && <option value="">(none)</option>}
        {columns.map((c) => (
          <option key={c.name}>{c.name}</option>
        ))}
      </select>
    </label>
  )
  const aggregated = choice.kind !== 'scatter' && choice.kind !== 'histogram' && choice.y
  return (
    <fieldset className="chart-builder" data-testid="chart-builder">
      <legend>Chart</legend>
      <div className="inline">
        <label className="row-label">
          Type
          <select
            aria-label="Chart type"
            value={choice.kind}
            onChange={(e) => {
              const kind = CHART_KINDS.find((k) => k === e.target.value)
              if (kind) setChoice((c) => ({ ...c, kind: kind satisfies ChartKind }))
            }}
          >
            {CHART_KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        {field('X', 'x', false)}
        {choice.kind !== 'histogram' && field('Y', 'y', choice.kind !== 'scatter')}
        {aggregated && (
          <label className="row-label">
            Combine
            <select
              aria-label="Chart aggregate"
              value={choice.aggregate ?? ''}
              onChange={(e) => {
                const aggregate = CHART_AGGREGATES.find((a) => a === e.target.value)
                setChoice((c) => ({ ...c, aggregate: aggregate satisfies ChartAggregate | undefined }))
              }}
            >
              <option value="">(automatic)</option>
              {CHART_AGGREGATES.map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          </label>
        )}
        {choice.kind !== 'pie' && field('Colour', 'color', true)}
        {onSave && choice.x && (
          <button type="button" onClick={() => onSave(choice)}>
            Save chart to cell
          </button>
        )}
        {onSave && saved && (
          <button type="button" className="link" onClick={() => onSave(undefined)}>
            Remove chart
          </button>
        )}
      </div>
      {choice.x && <ResultChart choice={choice} data={data} remote={remote} testId="chart-preview" />}
    </fieldset>
  )
}
