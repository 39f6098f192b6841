import type { WorkspaceQueries } from '../sql/workspace-queries.ts'

/** One number of an insight, with the SQL that computed it: nothing in the summary is the model's. */
export interface InsightFact {
  label: string
  value: number | string | null
  sql: string
}

export interface Insights {
  summary: string
  facts: InsightFact[]
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|DECIMAL|NUMERIC|REAL|FLOAT|DOUBLE)/i

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/**
 * A summary of a result grounded in computed statistics: row count, then min/max/mean/total of up to three measures
 * and the top three values of the first category by the first measure, each computed by DuckDB over the answer's
 * query (through the same read-only runner, so the same checks and masking apply). Masked columns are left out.
 */
export async function computeInsights(
  queries: Pick<WorkspaceQueries, 'run'>,
  input: {
    workspaceId: string
    userId: string
    sql: string
    columns: { name: string; type: string }[]
    masked: string[]
  },
): Promise<Insights> {
  const usable = input.columns.filter((c) => !input.masked.includes(c.name))
  const measures = usable.filter((c) => NUMERIC.test(c.type)).slice(0, 3)
  const category = usable.find((c) => !NUMERIC.test(c.type))
  const from = `(${input.sql}) AS answer`
  const facts: InsightFact[] = []
  const run = (sql: string) =>
    queries.run({ workspaceId: input.workspaceId, userId: input.userId, sql, limit: 10, offset: 0 })
  const aggregates = [
    'count(*) AS row_count',
    ...measures.flatMap((m, i) => [
      `min(${ident(m.name)}) AS min_${i}`,
      `max(${ident(m.name)}) AS max_${i}`,
      `round(avg(${ident(m.name)}), 2) AS mean_${i}`,
      `sum(${ident(m.name)}) AS total_${i}`,
    ]),
  ]
  const statsSql = `SELECT ${aggregates.join(', ')} FROM ${from}`
  const stats = await run(statsSql)
  const row = stats.rows[0] ?? []
  facts.push({ label: 'rows', value: num(row[0]), sql: statsSql })
  measures.forEach((m, i) => {
    const at = 1 + i * 4
    facts.push({ label: `min ${m.name}`, value: num(row[at]), sql: statsSql })
    facts.push({ label: `max ${m.name}`, value: num(row[at + 1]), sql: statsSql })
    facts.push({ label: `mean ${m.name}`, value: num(row[at + 2]), sql: statsSql })
    facts.push({ label: `total ${m.name}`, value: num(row[at + 3]), sql: statsSql })
  })
  const measure = measures[0]
  let top: { value: string; amount: number | string | null }[] = []
  if (category && measure) {
    const topSql = `SELECT ${ident(category.name)} AS value, sum(${ident(measure.name)}) AS amount FROM ${from} GROUP BY 1 ORDER BY 2 DESC NULLS LAST LIMIT 3`
    const page = await run(topSql)
    top = page.rows.map((r) => ({ value: String(r[0]), amount: num(r[1]) }))
    for (const [i, t] of top.entries())
      facts.push({
        label: `top ${i + 1} ${category.name} by ${measure.name}`,
        value: `${t.value}: ${t.amount}`,
        sql: topSql,
      })
  }
  const parts = [`${facts[0]?.value ?? 0} rows.`]
  for (const [i, m] of measures.entries()) {
    const f = (k: number) => facts[1 + i * 4 + k]?.value
    parts.push(`${m.name} ranges from ${f(0)} to ${f(1)} (mean ${f(2)}, total ${f(3)}).`)
  }
  if (top.length > 0 && category && measure)
    parts.push(`Highest ${measure.name} by ${category.name}: ${top.map((t) => `${t.value} (${t.amount})`).join(', ')}.`)
  return { summary: parts.join(' '), facts }
}

function num(value: unknown): number | string | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'number') return value
  if (typeof value === 'bigint') return Number(value)
  const n = Number(value)
  return Number.isFinite(n) && String(value).trim() !== '' ? n : String(value)
}
