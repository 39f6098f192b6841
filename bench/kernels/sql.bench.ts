import { DuckDBInstance } from '@duckdb/node-api'
import { TABLE_MIME_TYPE, type TableData } from '@workbench/kernels'
import { type BenchResult, percentile, sample } from '../harness.ts'
import { alternate, median, sessionSocket, startBenchWorkbench } from './support.ts'

const SELECT42_ITERATIONS = 1_000
const AGGREGATE_ITERATIONS = 7
const AGGREGATE =
  'SELECT i % 100 AS k, count(*) AS n, sum(i) AS s, avg(i * 1.5) AS a FROM range(10000000) t(i) GROUP BY ALL'
const MILLION = 'SELECT i, i * 2 AS twice, md5(i::VARCHAR) AS h FROM range(1000000) t(i)'

interface ExecuteResponse {
  outputs: { data?: Record<string, unknown> }[]
}

/**
 * SQL through the execution API (one-shot HTTP runs and the websocket on a notebook session, real socket,
 * JSON) against the same SQL on @duckdb/node-api directly, in the same process and run.
 */
export default async function sql(): Promise<BenchResult[]> {
  const wb = await startBenchWorkbench()
  const id = await wb.newSession()
  const execute = (code: string) =>
    wb.post(`/workspaces/${wb.workspaceId}/kernels/sessions/${id}/execute`, {
      language: 'sql',
      code,
    }) as Promise<ExecuteResponse>
  const instance = await DuckDBInstance.create(':memory:')
  const direct = await instance.connect()
  const results: BenchResult[] = []

  // 1. SELECT 42: the fixed cost of a cell (HTTP, queue, temp table for paging, stats, JSON).
  const api42 = await sample(async () => {
    const res = await execute('SELECT 42 AS answer')
    const table = res.outputs[0]?.data?.[TABLE_MIME_TYPE] as TableData | undefined
    if (table?.rows[0]?.[0] !== 42) throw new Error('wrong answer')
  }, SELECT42_ITERATIONS)
  const direct42 = await sample(async () => {
    const reader = await direct.runAndReadAll('SELECT 42 AS answer')
    if (reader.getRowsJson()[0]?.[0] !== 42) throw new Error('wrong answer')
  }, SELECT42_ITERATIONS)
  results.push(
    { name: 'kernels/sql select42 p50', ours: percentile(api42, 50), baseline: percentile(direct42, 50), unit: 'ms' },
    { name: 'kernels/sql select42 p95', ours: percentile(api42, 95), baseline: percentile(direct42, 95), unit: 'ms' },
  )

  // 2. An aggregate over 10M generated rows: the per-cell overhead must vanish next to real work.
  const { ours: apiAgg, baseline: directAgg } = await alternate(
    () => execute(AGGREGATE),
    async () => (await direct.runAndReadAll(AGGREGATE)).getRowsJson(),
    AGGREGATE_ITERATIONS,
  )
  results.push({
    name: 'kernels/sql aggregate 10M rows (median)',
    ours: median(apiAgg),
    baseline: median(directAgg),
    unit: 'ms',
    notes: { target_ratio: '<=1.10' },
  })

  // 3. First page of a 1M-row result over the websocket vs DuckDB running the query to completion.
  const socket = await sessionSocket(wb, id)
  const startRss = process.memoryUsage().rss
  let peakRss = startRss
  const watcher = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }, 5)
  const pages = await alternate(
    async () => {
      const [message] = await socket.run('sql', MILLION)
      const output = message?.type === 'output' ? message.output : undefined
      const table = output && 'data' in output ? (output.data[TABLE_MIME_TYPE] as TableData) : undefined
      if (table?.totalRows !== 1_000_000 || table.rows.length !== 1_000) throw new Error('wrong first page')
    },
    async () => {
      await direct.run(`CREATE OR REPLACE TEMP TABLE bench_million AS ${MILLION}`)
    },
    5,
  )
  clearInterval(watcher)
  const firstPage = pages.ours
  const queryOnly = pages.baseline
  socket.close()
  results.push({
    name: 'kernels/sql first page of 1M rows (median)',
    ours: median(firstPage),
    baseline: median(queryOnly),
    unit: 'ms',
    notes: {
      target: 'ours <= baseline + 100ms',
      delta_ms: (median(firstPage) - median(queryOnly)).toFixed(1),
      peak_rss_growth_mb: ((peakRss - startRss) / 1024 / 1024).toFixed(1),
      peak_rss_mb: (peakRss / 1024 / 1024).toFixed(0),
    },
  })

  direct.closeSync()
  instance.closeSync()
  await wb.stop()
  return results
}
