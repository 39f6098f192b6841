import { useMemo, useState } from 'react'
import { type ChartChoice, type ChartKind, chartSpec } from '../../../core/notebook/chart-spec.ts'
import type { TableColumn } from '../../../core/notebook/execution.ts'
import { VegaView } from './VegaView.tsx'

const KINDS: ChartKind[] = ['bar', 'line', 'area', 'scatter', 'pie', 'histogram']

/** Pick a chart type and fields over a result; preview it, then save it as a Vega-Lite output of the cell. */
export function ChartBuilder({
  columns,
  rows,
  onSave,
}: {
  columns: TableColumn[]
  rows: unknown[][]
  onSave?: (spec: unknown) => void
}) {
  const [choice, setChoice] = useState<ChartChoice>({
    kind: 'bar',
    x: columns[0]?.name ?? '',
    y: columns[1]?.name,
  })
  const spec = useMemo(() => (choice.x ? chartSpec(choice, columns, rows) : undefined), [choice, columns, rows])
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
  return (
    <fieldset className="chart-builder" data-testid="chart-builder">
      <legend>Chart</legend>
      <div className="inline">
        <label className="row-label">
          Type
          <select
            aria-label="Chart type"
            value={choice.kind}
            onChange={(e) => setChoice((c) => ({ ...c, kind: e.target.value as ChartKind }))}
          >
            {KINDS.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        {field('X', 'x', false)}
        {choice.kind !== 'histogram' && field('Y', 'y', true)}
        {choice.kind !== 'pie' && field('Colour', 'color', true)}
        {onSave && spec && (
          <button type="button" onClick={() => onSave(spec)}>
            Save chart to cell
          </button>
        )}
      </div>
      {spec && <VegaView spec={spec} />}
    </fieldset>
  )
}
