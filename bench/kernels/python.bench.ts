import path from 'node:path'
import { KernelConnection, ServerConnection } from '@jupyterlab/services'
import WebSocket from 'ws'
import { type BenchResult, percentile, sample } from '../harness.ts'
import { alternate, median, sessionSocket, startBenchWorkbench } from './support.ts'

const ROUND_TRIPS = 300
const HANDOVERS = 5

/**
 * Python through the workbench (websocket -> session queue -> @jupyterlab/services -> Jupyter Server) against
 * a direct @jupyterlab/services connection to the same server; and the SQL -> pandas hand-over of 1M rows
 * against pandas reading the same Parquet file itself.
 */
export default async function python(): Promise<BenchResult[]> {
  const wb = await startBenchWorkbench({ jupyter: true })
  const endpoint = wb.jupyter?.endpoint
  if (!endpoint) throw new Error('no Jupyter')
  const id = await wb.newSession()
  const socket = await sessionSocket(wb, id)
  await socket.run('python', 'import pandas as pd')

  const settings = ServerConnection.makeSettings({
    baseUrl: endpoint.baseUrl,
    wsUrl: endpoint.baseUrl.replace(/^http/, 'ws'),
    token: endpoint.token,
    appendToken: true,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    fetch: globalThis.fetch.bind(globalThis),
    Request: globalThis.Request,
    Headers: globalThis.Headers,
  })
  // The same sandboxed kernelspec, started in the workspace's folder (the sandbox refuses a kernel without one).
  const started = await ServerConnection.makeRequest(
    `${endpoint.baseUrl}/api/kernels`,
    { method: 'POST', body: JSON.stringify({ name: 'python3', path: `${wb.workspaceId}/data` }) },
    settings,
  )
  const model = (await started.json()) as { id: string; name: string }
  const direct = new KernelConnection({ model, serverSettings: settings })
  await direct.info
  const directRun = async (code: string) => {
    await direct.requestExecute({ code, allow_stdin: false, store_history: true }).done
  }
  await directRun('import pandas as pd')

  await sample(() => socket.run('python', '1+1'), 30, 0)
  await sample(() => directRun('1+1'), 30, 0)
  const { ours, baseline } = await alternate(
    () => socket.run('python', '1+1'),
    () => directRun('1+1'),
    ROUND_TRIPS,
  )
  const results: BenchResult[] = [
    {
      name: 'kernels/python 1+1 p50',
      ours: percentile(ours, 50),
      baseline: percentile(baseline, 50),
      unit: 'ms',
      notes: { n: ROUND_TRIPS, target: '<= baseline + 2ms' },
    },
    {
      name: 'kernels/python 1+1 p95',
      ours: percentile(ours, 95),
      baseline: percentile(baseline, 95),
      unit: 'ms',
      notes: { n: ROUND_TRIPS },
    },
  ]

  // SQL -> Python, 1M rows: result kept as a temp table, exported to Parquet, read by pandas in the kernel.
  await socket.run(
    'sql',
    "CREATE TABLE million AS SELECT i, i * 2 AS twice, 'row ' || i AS label, i / 3.0 AS ratio FROM range(1000000) t(i)",
  )
  const file = path.join(wb.workspaceDataDir, 'million.parquet')
  await socket.run('sql', `COPY million TO '${file}' (FORMAT parquet)`)
  const { ours: handover, baseline: pandasOnly } = await alternate(
    () => socket.run('sql', 'SELECT * FROM million', 'df'),
    () => directRun(`df = pd.read_parquet(${JSON.stringify(file)})`),
    HANDOVERS,
  )
  const check = await socket.run('python', 'print(len(df))')
  if (!JSON.stringify(check).includes('1000000')) throw new Error(`hand-over failed: ${JSON.stringify(check)}`)
  results.push({
    name: 'kernels/python SQL->pandas hand-over 1M rows (median)',
    ours: median(handover),
    baseline: median(pandasOnly),
    unit: 'ms',
    notes: { includes: 'query+first page+parquet export+read_parquet', baseline_is: 'read_parquet of the same file' },
  })

  socket.close()
  await direct.shutdown()
  direct.dispose()
  await wb.stop()
  return results
}
