import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectOutputs, DuckdbDatabase, DuckdbKernel } from '../src/index.ts'
import { JupyterKernel } from '../src/jupyter/index.ts'
import { type CellRequest, NotebookSession } from '../src/session/index.ts'
import { startJupyterServer, type TestJupyterServer } from './support/jupyter-server.ts'
import { errorsOf, tableOf, textOf } from './support/outputs.ts'

let jupyter: TestJupyterServer
let dataDir: string
let database: DuckdbDatabase
let session: NotebookSession

const exec = (request: CellRequest) => collectOutputs(session.execute(request).outputs)

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'kernels-shared-'))
  database = await DuckdbDatabase.open({ path: path.join(dataDir, 'workspace.duckdb'), dataDir })
  jupyter = await startJupyterServer()
  session = new NotebookSession({
    startSql: (resolveMissingTable) => DuckdbKernel.start({ database, resolveMissingTable }),
    startPython: () => JupyterKernel.start({ baseUrl: jupyter.baseUrl, token: jupyter.token }),
    exchangeDir: path.join(dataDir, '.exchange'),
  })
})

afterAll(async () => {
  await session?.shutdown()
  database?.close()
  await jupyter?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('notebook session: SQL and Python share data through Parquet', () => {
  it('a SQL result bound to a name is a pandas DataFrame (1M rows)', async () => {
    const sql = await exec({
      language: 'sql',
      code: "SELECT i, i * 2 AS twice, 'row ' || i AS label, DATE '2024-01-01' + (i % 365)::INTEGER AS day FROM range(1000000) t(i)",
      bindTo: 'df',
    })
    expect(errorsOf(sql)).toEqual([])
    expect(tableOf(sql).totalRows).toBe(1_000_000)
    const py = await exec({
      language: 'python',
      code: "print(type(df).__name__, len(df), int(df['twice'].sum()), df['label'].iloc[-1], str(df['i'].dtype))",
    })
    expect(errorsOf(py)).toEqual([])
    expect(textOf(py)).toContain('DataFrame 1000000 999999000000 row 999999 int64')
    expect(readdirSync(path.join(dataDir, '.exchange'))).toEqual([])
  })

  it('a pandas DataFrame is a table to SQL cells (1M rows), always with its current data', async () => {
    const py = await exec({
      language: 'python',
      code: "import pandas as pd\npdf = pd.DataFrame({'a': range(1_000_000)})\npdf['b'] = pdf['a'] % 3",
    })
    expect(errorsOf(py)).toEqual([])
    const sql = await exec({
      language: 'sql',
      code: 'SELECT count(*) AS n, sum(a) AS total, count(DISTINCT b) AS groups FROM pdf',
    })
    expect(errorsOf(sql)).toEqual([])
    expect(tableOf(sql).rows).toEqual([['1000000', '499999500000', '3']])
    await exec({ language: 'python', code: 'pdf = pdf.head(10)' })
    const again = await exec({ language: 'sql', code: 'SELECT count(*) AS n FROM pdf' })
    expect(tableOf(again).rows).toEqual([['10']])
  })

  it('an unknown name that is not a DataFrame stays a catalog error', async () => {
    await exec({ language: 'python', code: 'not_a_frame = 42' })
    const [error] = errorsOf(await exec({ language: 'sql', code: 'SELECT * FROM not_a_frame' }))
    expect(error?.ename).toBe('CatalogError')
  })

  it('counts executions across languages and runs cells in order', async () => {
    const runs = Array.from({ length: 10 }, (_, i) =>
      session.execute(
        i % 2 ? { language: 'python', code: `print(${i})` } : { language: 'sql', code: `SELECT ${i} AS n` },
      ),
    )
    const counts = runs.map((r) => r.executionCount)
    expect(counts).toEqual(counts.map((_, i) => (counts[0] ?? 0) + i))
    const texts = await Promise.all(runs.map(async (r) => textOf(await collectOutputs(r.outputs))))
    texts.forEach((text, i) => {
      expect(text).toContain(String(i))
    })
  })

  it('rejects a binding name that is not a Python identifier', async () => {
    const [error] = errorsOf(await exec({ language: 'sql', code: 'SELECT 1', bindTo: 'not valid' }))
    expect(error?.ename).toBe('ValueError')
  })
})
