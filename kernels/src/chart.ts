/**
 * Charts over a kept SQL result, computed where the result lives (as VegaFusion does for Vega): the browser gets
 * one row per bar, bin or line point, never the raw rows. Only scatter plots draw raw rows, and they say when
 * they are a sample.
 */

export type ChartKind = 'bar' | 'line' | 'area' | 'scatter' | 'pie' | 'histogram'
export type ChartAggregate = 'sum' | 'mean' | 'count' | 'min' | 'max'
export const CHART_KINDS: readonly ChartKind[] = ['bar', 'line', 'area', 'scatter', 'pie', 'histogram']
export const CHART_AGGREGATES: readonly ChartAggregate[] = ['sum', 'mean', 'count', 'min', 'max']

/** What the user picked: a chart type and the result's columns on each channel. */
export interface ChartRequest {
  kind: ChartKind
  x: string
  y?: string
  color?: string
  /** How `y` is combined per group; default: `sum` for a numeric `y`, `count` otherwise or without `y`. */
  aggregate?: ChartAggregate
}

/**
 * How the x axis is drawn: `ordinal` for categories and small integer ranges (one band per value: an integer
 * `bucket` 0–6 gets seven wide bars, not hair-thin marks on a continuous axis), `quantitative` for numbers,
 * `temporal` for dates and times (values are epoch milliseconds, UTC).
 */
export type ChartAxisType = 'nominal' | 'ordinal' | 'quantitative' | 'temporal'

/** The values a chart is drawn from, with fixed field names (`x`, `x2`, `y`, `color`) whatever the columns are. */
export interface ChartData {
  kind: ChartKind
  values: Record<string, string | number | null>[]
  x: { title: string; type: ChartAxisType /** Time unit of temporal bars/bins (`day`, `month`…). */; unit?: string }
  /** Histogram and numeric bins: each value spans `x`..`x2`. */
  binned?: boolean
  y: { title: string; aggregate?: ChartAggregate }
  color?: { title: string }
  /** Rows of the whole result the chart was computed over. */
  totalRows: number
  /** Set when the chart does not show every row or group: how many it shows, and why. */
  sample?: { shown: number; of: number; what: 'rows' | 'groups' }
}

/** A chart request naming a column the result does not have, or a combination that cannot be drawn. */
export class ChartRequestError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ChartRequestError'
  }
}

/** The channels a chart reads, for access checks (masked columns cannot be charted). */
export function chartColumns(request: ChartRequest): string[] {
  return [request.x, request.y, request.color].filter((c): c is string => typeof c === 'string' && c !== '')
}
