import type { TableColumn } from './table-types.ts'
import { isNumericType, isTemporalType } from './table-view.ts'

export type ChartKind = 'bar' | 'line' | 'area' | 'scatter' | 'pie' | 'histogram'

export interface ChartChoice {
  kind: ChartKind
  x: string
  y?: string
  color?: string
}

export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json'

function fieldType(columns: TableColumn[], name: string): 'quantitative' | 'temporal' | 'nominal' {
  const type = columns.find((c) => c.name === name)?.type ?? ''
  if (isNumericType(type)) return 'quantitative'
  if (isTemporalType(type)) return 'temporal'
  return 'nominal'
}

/** A Vega-Lite v5 spec over inline rows (the data travels with the saved output, no remote loading). */
export function chartSpec(choice: ChartChoice, columns: TableColumn[], rows: unknown[][]): Record<string, unknown> {
  const values = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, numberish(r[i], c.type)])))
  const x = { field: choice.x, type: fieldType(columns, choice.x) }
  const y = choice.y ? { field: choice.y, type: fieldType(columns, choice.y) } : undefined
  const color = choice.color ? { field: choice.color, type: fieldType(columns, choice.color) } : undefined
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values },
    width: 'container',
    height: 240,
  }
  switch (choice.kind) {
    case 'pie':
      return {
        ...base,
        mark: { type: 'arc', tooltip: true },
        encoding: {
          theta: y ?? { aggregate: 'count', type: 'quantitative' },
          color: { field: choice.x, type: 'nominal' },
        },
      }
    case 'histogram':
      return {
        ...base,
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { ...x, bin: true },
          y: { aggregate: 'count', type: 'quantitative' },
          ...(color ? { color } : {}),
        },
      }
    default: {
      const mark = choice.kind === 'scatter' ? 'point' : choice.kind
      return {
        ...base,
        mark: { type: mark, tooltip: true },
        encoding: { x, y: y ?? { aggregate: 'count', type: 'quantitative' }, ...(color ? { color } : {}) },
      }
    }
  }
}

/** BIGINT and DECIMAL travel as strings (no precision loss); charts want numbers. */
function numberish(value: unknown, type: string): unknown {
  return typeof value === 'string' && isNumericType(type) && value.trim() !== '' ? Number(value) : value
}
