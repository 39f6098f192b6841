/** A Vega-Lite (v5) spec over the result's rows, saved like a user's chart. */
export interface ChartSuggestion {
  kind: 'bar' | 'line' | 'point' | 'arc'
  title: string
  /** Why this chart fits the shape of the result. */
  reason: string
  spec: Record<string, unknown>
}

type Role = 'temporal' | 'quantitative' | 'nominal'

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|DECIMAL|NUMERIC|REAL|FLOAT|DOUBLE)/i
const TEMPORAL = /^(DATE|TIMESTAMP|TIME)/i

function roleOf(type: string): Role {
  if (TEMPORAL.test(type)) return 'temporal'
  if (NUMERIC.test(type)) return 'quantitative'
  return 'nominal'
}

/**
 * Chart candidates from the result's shape alone (column types, distinct counts, a time column), best first;
 * deterministic, so the same result always gets the same charts. A model may only pick among them and title them.
 *
 * - a time column and a measure: a line over time;
 * - a category (≤ 50 values) and a measure: a bar chart (and a pie for ≤ 6 parts of a whole);
 * - two measures: a scatter plot;
 * - anything else (one column, only text, one row): no chart.
 */
export function chartCandidates(
  columns: { name: string; type: string }[],
  rows: unknown[][],
  masked: string[] = [],
): ChartSuggestion[] {
  if (rows.length < 2) return []
  const described = columns.map((c, i) => ({
    name: c.name,
    role: roleOf(c.type),
    distinct: new Set(rows.map((r) => String(r[i]))).size,
    masked: masked.includes(c.name),
  }))
  // Masked values are stars, not data to plot.
  const usable = described.filter((c) => !c.masked)
  const measures = usable.filter((c) => c.role === 'quantitative')
  const time = usable.find((c) => c.role === 'temporal')
  const categories = usable.filter((c) => c.role === 'nominal' && c.distinct <= 50)
  const values = rows.map((r) =>
    Object.fromEntries(columns.map((c, i) => [c.name, jsonValue(r[i], described[i]?.role === 'quantitative')])),
  )
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', data: { values } }
  const out: ChartSuggestion[] = []
  const measure = measures.find((m) => m.name !== time?.name && !categories.includes(m)) ?? measures[0]
  if (time && measure)
    out.push({
      kind: 'line',
      title: `${measure.name} over ${time.name}`,
      reason: `${time.name} is a time column and ${measure.name} a measure`,
      spec: {
        ...base,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: time.name, type: 'temporal' },
          y: { field: measure.name, type: 'quantitative' },
          ...(categories[0] && categories[0].distinct <= 10
            ? { color: { field: categories[0].name, type: 'nominal' } }
            : {}),
        },
      },
    })
  const category = categories[0]
  if (category && measure) {
    out.push({
      kind: 'bar',
      title: `${measure.name} by ${category.name}`,
      reason: `${category.name} has ${category.distinct} values and ${measure.name} is a measure`,
      spec: {
        ...base,
        mark: 'bar',
        encoding: {
          x: { field: category.name, type: 'nominal', sort: '-y' },
          y: { field: measure.name, type: 'quantitative' },
        },
      },
    })
    if (category.distinct <= 6 && category.distinct === rows.length)
      out.push({
        kind: 'arc',
        title: `Share of ${measure.name} by ${category.name}`,
        reason: `${category.distinct} parts of a whole`,
        spec: {
          ...base,
          mark: 'arc',
          encoding: {
            theta: { field: measure.name, type: 'quantitative' },
            color: { field: category.name, type: 'nominal' },
          },
        },
      })
  }
  const [first, second] = measures
  if (first && second)
    out.push({
      kind: 'point',
      title: `${second.name} against ${first.name}`,
      reason: 'two measures',
      spec: {
        ...base,
        mark: 'point',
        encoding: {
          x: { field: first.name, type: 'quantitative' },
          y: { field: second.name, type: 'quantitative' },
        },
      },
    })
  return out
}

/** Plotted numbers are numbers (BIGINT and DECIMAL values arrive as exact strings). */
function jsonValue(value: unknown, numeric: boolean): unknown {
  if (numeric && value !== null && value !== undefined && value !== '') return Number(value)
  if (typeof value === 'bigint') return Number(value)
  if (value instanceof Date) return value.toISOString()
  return value
}
