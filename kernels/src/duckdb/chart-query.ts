import type { DuckDBConnection } from '@duckdb/node-api'
import {
  type ChartAggregate,
  type ChartAxisType,
  type ChartData,
  type ChartRequest,
  ChartRequestError,
} from '../chart.ts'
import type { TableColumn } from '../kernel.ts'
import { quoteIdentifier } from './database.ts'

/** Bars, slices and line points drawn at most; more groups are cut (largest first for bars and pies) and said so. */
export const MAX_CHART_GROUPS = 1_000
const MAX_PIE_SLICES = 12
/** Raw points a scatter plot draws; a bigger result is drawn from a repeatable reservoir sample. */
export const MAX_SCATTER_POINTS = 5_000
/** Integer columns spanning at most this many values are drawn one band per value (bars, histograms). */
const MAX_DISCRETE_INTEGERS = 60
const HISTOGRAM_BINS = 20
/** Temporal groups before dates are truncated to a coarser unit (day, week, month…). */
const MAX_TIME_BUCKETS = 400

const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/
const NUMERIC = /^(FLOAT|DOUBLE|REAL|DECIMAL(\(\d+,\s*\d+\))?)$/
const TEMPORAL = /^(DATE|TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ)$/
const TIME_UNITS: { unit: string; ms: number }[] = [
  { unit: 'second', ms: 1_000 },
  { unit: 'minute', ms: 60_000 },
  { unit: 'hour', ms: 3_600_000 },
  { unit: 'day', ms: 86_400_000 },
  { unit: 'week', ms: 7 * 86_400_000 },
  { unit: 'month', ms: 30 * 86_400_000 },
  { unit: 'quarter', ms: 91 * 86_400_000 },
  { unit: 'year', ms: 365 * 86_400_000 },
]

type ColumnKind = 'integer' | 'number' | 'temporal' | 'other'

function kindOf(type: string): ColumnKind {
  const t = type.toUpperCase()
  if (INTEGER.test(t)) return 'integer'
  if (NUMERIC.test(t)) return 'number'
  if (TEMPORAL.test(t)) return 'temporal'
  return 'other'
}

/**
 * Computes a chart over a whole kept result table in DuckDB: groups and aggregates for bar, line, area and pie,
 * bins for histograms, a reservoir sample for scatter plots over more than {@link MAX_SCATTER_POINTS} rows.
 *
 * @example
 * const data = await chartQuery(connection, '__workbench_result_r1', columns, { kind: 'histogram', x: 'amount' })
 */
export async function chartQuery(
  connection: DuckDBConnection,
  table: string,
  columns: TableColumn[],
  request: ChartRequest,
): Promise<ChartData> {
  const column = (name: string, channel: string) => {
    const found = columns.find((c) => c.name === name)
    if (!found) throw new ChartRequestError(`No column "${name}" in this result (chart ${channel})`)
    return { ref: quoteIdentifier(found.name), kind: kindOf(found.type), name: found.name }
  }
  const x = column(request.x, 'x')
  const y = request.y ? column(request.y, 'y') : undefined
  const color = request.color && request.kind !== 'pie' ? column(request.color, 'colour') : undefined
  const from = `FROM ${quoteIdentifier(table)}`
  const rows = async (sql: string): Promise<Record<string, string | number | null>[]> => {
    const reader = await connection.runAndReadAll(sql)
    return reader.getRowObjectsJson() as Record<string, string | number | null>[]
  }
  const one = async (sql: string) => (await rows(sql))[0] ?? {}
  const colorSelect = color ? `, CAST(${color.ref} AS VARCHAR) AS color` : ''
  const base = { kind: request.kind, color: color ? { title: color.name } : undefined }

  const stats = await one(
    `SELECT count(*)::DOUBLE AS n, count(DISTINCT ${x.ref})::DOUBLE AS distinct_x` +
      (x.kind === 'other' ? '' : `, min(${x.ref}) AS lo, max(${x.ref}) AS hi`) +
      (x.kind === 'temporal'
        ? `, epoch_ms(min(${x.ref})::TIMESTAMP)::DOUBLE AS lo_ms, epoch_ms(max(${x.ref})::TIMESTAMP)::DOUBLE AS hi_ms`
        : '') +
      ` ${from}`,
  )
  const totalRows = Number(stats.n ?? 0)
  const distinctX = Number(stats.distinct_x ?? 0)

  if (request.kind === 'scatter') {
    if (!y) throw new ChartRequestError('A scatter plot needs a Y column')
    const sampled = totalRows > MAX_SCATTER_POINTS
    const values = await rows(
      `SELECT ${axisValue(x)} AS x, ${axisValue(y)} AS y${colorSelect} ${from}` +
        (sampled ? ` USING SAMPLE reservoir(${MAX_SCATTER_POINTS} ROWS) REPEATABLE (42)` : ''),
    )
    return {
      ...base,
      values,
      x: { title: x.name, type: axisType(x.kind) },
      y: { title: y.name },
      totalRows,
      sample: sampled ? { shown: values.length, of: totalRows, what: 'rows' } : undefined,
    }
  }

  if (request.kind === 'histogram' && (x.kind === 'integer' || x.kind === 'number')) {
    const lo = Number(stats.lo)
    const hi = Number(stats.hi)
    const where = `WHERE ${x.ref} IS NOT NULL`
    if (x.kind === 'integer' && hi - lo < MAX_DISCRETE_INTEGERS) {
      const values = await rows(
        `SELECT ${x.ref}::DOUBLE AS x${colorSelect}, count(*)::DOUBLE AS y ${from} ${where} GROUP BY ALL ORDER BY x`,
      )
      return {
        ...base,
        values,
        x: { title: x.name, type: 'ordinal' },
        y: { title: 'count', aggregate: 'count' },
        totalRows,
      }
    }
    const step = niceStep((hi - lo) / HISTOGRAM_BINS || 1)
    const start = Math.floor(lo / step) * step
    // Bins start at a multiple of a "nice" step (1, 2 or 5 × 10^n); the last one includes the maximum.
    const bin = `least(floor((${x.ref}::DOUBLE - ${start}) / ${step}), ${Math.max(0, Math.ceil((hi - start) / step) - 1)})`
    const values = await rows(
      `SELECT ${start} + ${bin} * ${step} AS x, ${start} + (${bin} + 1) * ${step} AS x2${colorSelect}, ` +
        `count(*)::DOUBLE AS y ${from} ${where} GROUP BY ALL ORDER BY x`,
    )
    return {
      ...base,
      values,
      binned: true,
      x: { title: x.name, type: 'quantitative' },
      y: { title: 'count', aggregate: 'count' },
      totalRows,
    }
  }

  // Bars, lines, areas, pies, and histograms of categories or dates: one value per group of x (and colour).
  const aggregate: ChartAggregate =
    request.kind === 'histogram' || !y
      ? 'count'
      : (request.aggregate ?? (y.kind === 'integer' || y.kind === 'number' ? 'sum' : 'count'))
  if (
    y &&
    aggregate !== 'count' &&
    (y.kind === 'other' || (y.kind === 'temporal' && !['min', 'max'].includes(aggregate)))
  )
    throw new ChartRequestError(`Cannot ${aggregate} "${y.name}": it is not a number (use count)`)
  const measure =
    aggregate === 'count' || !y
      ? `count(${y && request.kind !== 'histogram' ? y.ref : '*'})::DOUBLE`
      : y.kind === 'temporal'
        ? `epoch_ms(${aggregate}(${y.ref})::TIMESTAMP)::DOUBLE`
        : `${aggregate === 'mean' ? 'avg' : aggregate}(${y.ref})::DOUBLE`
  let xExpr = axisValue(x)
  let unit: string | undefined
  let xType = axisType(x.kind)
  if (x.kind === 'temporal') {
    const span = Number(stats.hi_ms) - Number(stats.lo_ms)
    const isDate = columns.find((c) => c.name === x.name)?.type.toUpperCase() === 'DATE'
    const fits = TIME_UNITS.find((u) => (!isDate || u.ms >= 86_400_000) && span / u.ms <= MAX_TIME_BUCKETS)
    const chosen = distinctX > MAX_TIME_BUCKETS || request.kind !== 'line' ? fits : undefined
    unit = chosen?.unit ?? (isDate ? 'day' : undefined)
    if (chosen) xExpr = `epoch_ms(date_trunc('${chosen.unit}', ${x.ref}::TIMESTAMP))::DOUBLE`
  } else if (x.kind === 'integer' && request.kind !== 'line' && request.kind !== 'area') {
    const lo = Number(stats.lo)
    const hi = Number(stats.hi)
    if (hi - lo < MAX_DISCRETE_INTEGERS) xType = 'ordinal'
  }
  const largestFirst = request.kind === 'pie' || (request.kind === 'bar' && xType === 'nominal')
  const limit = request.kind === 'pie' ? MAX_PIE_SLICES : MAX_CHART_GROUPS
  const grouped = `SELECT ${xExpr} AS x${colorSelect}, ${measure} AS y ${from} GROUP BY ALL`
  const groups = Number((await one(`SELECT count(*)::DOUBLE AS n FROM (${grouped})`)).n ?? 0)
  const values = await rows(
    `${grouped} ORDER BY ${largestFirst ? 'y DESC NULLS LAST, x' : 'x NULLS LAST'} LIMIT ${limit}`,
  )
  return {
    ...base,
    values,
    x: { title: x.name, type: xType, unit },
    y: { title: y && request.kind !== 'histogram' ? `${aggregate} of ${y.name}` : 'count', aggregate },
    totalRows,
    sample: groups > limit ? { shown: values.length, of: groups, what: 'groups' } : undefined,
  }
}

/** Numbers travel as doubles and times as epoch milliseconds (UTC); anything else as text. */
function axisValue(column: { ref: string; kind: ColumnKind }): string {
  if (column.kind === 'integer' || column.kind === 'number') return `${column.ref}::DOUBLE`
  if (column.kind === 'temporal') return `epoch_ms(${column.ref}::TIMESTAMP)::DOUBLE`
  return `CAST(${column.ref} AS VARCHAR)`
}

function axisType(kind: ColumnKind): ChartAxisType {
  return kind === 'integer' || kind === 'number' ? 'quantitative' : kind === 'temporal' ? 'temporal' : 'nominal'
}

/** 1, 2 or 5 × 10^n at or above `raw`: bin edges people can read. */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw))
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power
  return 10 * power
}
