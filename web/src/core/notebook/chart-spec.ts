import type { TableColumn } from './table-types.ts'
import { isNumericType, isTemporalType } from './table-view.ts'

export type ChartKind = 'bar' | 'line' | 'area' | 'scatter' | 'pie' | 'histogram'
export type ChartAggregate = 'sum' | 'mean' | 'count' | 'min' | 'max'
export const CHART_KINDS: ChartKind[] = ['bar', 'line', 'area', 'scatter', 'pie', 'histogram']
export const CHART_AGGREGATES: ChartAggregate[] = ['sum', 'mean', 'count', 'min', 'max']

/** What the user picked; saved in the cell's `metadata.workbench.chart`, redrawn from every new result. */
export interface ChartChoice {
  kind: ChartKind
  x: string
  y?: string
  color?: string
  aggregate?: ChartAggregate
}

/** Mirror of kernels/src/chart.ts `ChartData`: what a chart is drawn from (fields `x`, `x2`, `y`, `color`). */
export interface ChartData {
  kind: ChartKind
  values: Record<string, string | number | null>[]
  x: { title: string; type: 'nominal' | 'ordinal' | 'quantitative' | 'temporal'; unit?: string }
  binned?: boolean
  y: { title: string; aggregate?: ChartAggregate }
  color?: { title: string }
  totalRows: number
  sample?: { shown: number; of: number; what: 'rows' | 'groups' }
}

export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json'

/** A saved chart choice from cell metadata, if it is a valid one (metadata is anyone's to edit). */
export function chartChoiceOf(value: unknown): ChartChoice | undefined {
  if (!value || typeof value !== 'object') return undefined
  const v = value as Record<string, unknown>
  const text = (key: string) => (typeof v[key] === 'string' && v[key] !== '' ? (v[key] as string) : undefined)
  const kind = CHART_KINDS.find((k) => k === v.kind)
  const x = text('x')
  if (!kind || !x) return undefined
  const aggregate = CHART_AGGREGATES.find((a) => a === v.aggregate)
  return { kind, x, y: text('y'), color: text('color'), ...(aggregate ? { aggregate } : {}) }
}

const TIME_UNITS: Record<string, string> = {
  second: 'utcyearmonthdatehoursminutesseconds',
  minute: 'utcyearmonthdatehoursminutes',
  hour: 'utcyearmonthdatehours',
  day: 'utcyearmonthdate',
  week: 'utcyearweek',
  month: 'utcyearmonth',
  quarter: 'utcyearquarter',
  year: 'utcyear',
}

/** A Vega-Lite v5 spec over already computed values (inline: the data travels with it, no remote loading). */
export function chartSpec(data: ChartData): Record<string, unknown> {
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: data.values },
    width: 'container',
    height: 240,
  }
  const tooltip = true
  if (data.kind === 'pie')
    return {
      ...base,
      mark: { type: 'arc', tooltip },
      encoding: {
        theta: { field: 'y', type: 'quantitative', title: data.y.title },
        color: { field: 'x', type: 'nominal', title: data.x.title, sort: null },
      },
    }
  const timeUnit = data.x.type === 'temporal' && data.x.unit ? TIME_UNITS[data.x.unit] : undefined
  const x: Record<string, unknown> = { field: 'x', type: data.x.type, title: data.x.title }
  if (data.binned) x.bin = { binned: true }
  if (timeUnit && data.kind !== 'scatter') x.timeUnit = timeUnit
  if (data.x.type === 'temporal') x.scale = { type: 'utc' }
  // Largest first (the server's order) for categories; ordinal integers and times keep their natural order.
  if (data.x.type === 'nominal' && data.kind === 'bar') x.sort = '-y'
  const yIsText = data.values.some((v) => typeof v.y === 'string')
  const encoding: Record<string, unknown> = {
    x,
    y: { field: 'y', type: yIsText ? 'nominal' : 'quantitative', title: data.y.title },
  }
  if (data.binned) encoding.x2 = { field: 'x2' }
  if (data.color) encoding.color = { field: 'color', type: 'nominal', title: data.color.title }
  const mark = data.kind === 'scatter' ? 'point' : data.kind === 'histogram' ? 'bar' : data.kind
  return {
    ...base,
    mark: { type: mark, tooltip, ...(mark === 'line' ? { point: data.values.length <= 60 } : {}) },
    encoding,
  }
}

/** What the chart says about its coverage: every row, a sample, the largest groups, or only the rows at hand. */
export function chartCoverage(data: ChartData, local?: { rows: number }): string {
  const n = (v: number) => v.toLocaleString('en-US')
  if (local && local.rows < data.totalRows)
    return `Drawn from the first ${n(local.rows)} of ${n(data.totalRows)} rows only (the full result is not available to chart)`
  if (data.sample?.what === 'rows') return `A random sample of ${n(data.sample.shown)} of ${n(data.sample.of)} rows`
  if (data.sample?.what === 'groups')
    return `Computed over all ${n(data.totalRows)} rows; showing ${n(data.sample.shown)} of ${n(data.sample.of)} groups`
  return `Computed over all ${n(data.totalRows)} rows`
}

const DISCRETE_INTEGERS = 60

/**
 * The same values the server computes, from rows the browser already holds (a result kept nowhere else, or a
 * connection result): used only when the server cannot chart it, and then {@link chartCoverage} says so.
 */
export function localChartData(
  choice: ChartChoice,
  columns: TableColumn[],
  rows: unknown[][],
  totalRows: number,
): ChartData {
  const index = (name: string | undefined) => (name ? columns.findIndex((c) => c.name === name) : -1)
  const xi = index(choice.x)
  const yi = index(choice.y)
  const ci = choice.kind === 'pie' ? -1 : index(choice.color)
  if (xi < 0) throw new Error(`No column "${choice.x}" in this result`)
  const typeOf = (i: number) => columns[i]?.type ?? ''
  const isInteger = (i: number) => /INT/i.test(typeOf(i))
  const axis = (i: number, v: unknown): string | number | null => {
    if (v === null || v === undefined) return null
    if (isNumericType(typeOf(i))) return Number(v)
    if (isTemporalType(typeOf(i)) && !/^TIME$/i.test(typeOf(i))) {
      const t = Date.parse(
        String(v)
          .replace(' ', 'T')
          .replace(/(T\d\d:\d\d(:\d\d(\.\d+)?)?)$/, '$1Z'),
      )
      return Number.isNaN(t) ? String(v) : t
    }
    return String(v)
  }
  const xType = (): ChartData['x']['type'] =>
    isNumericType(typeOf(xi)) ? 'quantitative' : isTemporalType(typeOf(xi)) ? 'temporal' : 'nominal'
  const colorOf = (r: unknown[]): { color?: string | null } =>
    ci >= 0 ? { color: r[ci] === null ? null : String(r[ci]) } : {}
  const color = ci >= 0 ? { title: choice.color ?? '' } : undefined
  const xs = rows.map((r) => axis(xi, r[xi])).filter((v): v is number => typeof v === 'number')
  const lo = Math.min(...xs)
  const hi = Math.max(...xs)

  if (choice.kind === 'scatter') {
    if (yi < 0) throw new Error('A scatter plot needs a Y column')
    const values = rows.map((r) => withColor({ x: axis(xi, r[xi]), y: axis(yi, r[yi]) }, colorOf(r)))
    return {
      kind: 'scatter',
      values,
      x: { title: choice.x, type: xType() },
      y: { title: choice.y ?? '' },
      color,
      totalRows,
    }
  }
  const numericX = isNumericType(typeOf(xi))
  const discrete = isInteger(xi) && hi - lo < DISCRETE_INTEGERS
  if (choice.kind === 'histogram' && numericX && !discrete) {
    const step = niceStep((hi - lo) / 20 || 1)
    const start = Math.floor(lo / step) * step
    const last = Math.max(0, Math.ceil((hi - start) / step) - 1)
    const bins = new Map<string, { x: number; x2: number; y: number; color?: string | null }>()
    for (const r of rows) {
      const v = axis(xi, r[xi])
      if (typeof v !== 'number') continue
      const b = Math.min(Math.floor((v - start) / step), last)
      const c = ci >= 0 ? (r[ci] === null ? null : String(r[ci])) : undefined
      const key = `${b}\u0000${c}`
      const bin = bins.get(key) ?? {
        x: start + b * step,
        x2: start + (b + 1) * step,
        y: 0,
        ...(ci >= 0 ? { color: c } : {}),
      }
      bin.y++
      bins.set(key, bin)
    }
    const values = [...bins.values()].sort((a, b) => a.x - b.x).map(({ color, ...bin }) => withColor(bin, { color }))
    return {
      kind: 'histogram',
      values,
      binned: true,
      x: { title: choice.x, type: 'quantitative' },
      y: { title: 'count', aggregate: 'count' },
      color,
      totalRows,
    }
  }
  const aggregate: ChartAggregate =
    choice.kind === 'histogram' || yi < 0
      ? 'count'
      : (choice.aggregate ?? (isNumericType(typeOf(yi)) ? 'sum' : 'count'))
  const groups = new Map<string, { x: string | number | null; color?: string | null; acc: number[] }>()
  for (const r of rows) {
    const gx = axis(xi, r[xi])
    const c = ci >= 0 ? (r[ci] === null ? null : String(r[ci])) : undefined
    const key = `${gx}\u0000${c}`
    const group = groups.get(key) ?? { x: gx, ...(ci >= 0 ? { color: c } : {}), acc: [] }
    const yv = yi >= 0 && choice.kind !== 'histogram' ? r[yi] : 1
    if (aggregate === 'count') group.acc.push(yv === null || yv === undefined ? 0 : 1)
    else if (yv !== null && yv !== undefined) group.acc.push(Number(yv))
    groups.set(key, group)
  }
  const combine = (acc: number[]) => {
    if (aggregate === 'count' || aggregate === 'sum') return acc.reduce((a, b) => a + b, 0)
    if (acc.length === 0) return null
    if (aggregate === 'mean') return acc.reduce((a, b) => a + b, 0) / acc.length
    return aggregate === 'min' ? Math.min(...acc) : Math.max(...acc)
  }
  const values = [...groups.values()].map(({ acc, color, x }) => withColor({ x, y: combine(acc) }, { color }))
  const type = discrete && choice.kind !== 'line' && choice.kind !== 'area' ? 'ordinal' : xType()
  values.sort((a, b) => compareAxis(a.x ?? null, b.x ?? null))
  return {
    kind: choice.kind,
    values,
    x: { title: choice.x, type, ...(type === 'temporal' && /^DATE$/i.test(typeOf(xi)) ? { unit: 'day' } : {}) },
    y: { title: yi >= 0 && choice.kind !== 'histogram' ? `${aggregate} of ${choice.y}` : 'count', aggregate },
    color,
    totalRows,
  }
}

/** Ascending, nulls last (the server's `ORDER BY x NULLS LAST`). */
function compareAxis(a: string | number | null, b: string | number | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1
  return a < b ? -1 : a > b ? 1 : 0
}

function withColor(
  value: Record<string, string | number | null>,
  { color }: { color?: string | null },
): Record<string, string | number | null> {
  return color === undefined ? value : { ...value, color }
}

/** 1, 2 or 5 × 10^n at or above `raw`: bin edges people can read (the server bins the same way). */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw))
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power
  return 10 * power
}
