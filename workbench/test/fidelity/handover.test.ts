// The session time zone is the server's: one with an offset makes TIMESTAMPTZ hand-over count.
process.env.TZ = 'America/New_York'

import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { type Output, outputSize, TABLE_MIME_TYPE, type TableData } from '@workbench/kernels'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startJupyterServer, type TestJupyterServer } from '../../../kernels/test/support/jupyter-server.ts'
import { createNotebookRow } from '../support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { type KernelFixture, startKernelFixture } from '../support/kernels.ts'
import { caseQuery, TYPE_CASES } from './duckdb-type-cases.ts'

const COMPARE = readFileSync(new URL('./hand-over-reference.py', import.meta.url), 'utf8')

let jupyter: TestJupyterServer
beforeAll(async () => {
  jupyter = await startJupyterServer()
})
afterAll(async () => {
  await jupyter?.stop()
})

interface Run {
  outputs: { output_type: string; text?: string; ename?: string; evalue?: string; data?: Record<string, unknown> }[]
}

describe.each(DATABASE_KINDS)('SQL -> pandas hand-over matches duckdb .df() on %s', (kind) => {
  let database: TestDatabase
  let f: KernelFixture
  let sessionPath: string
  let timeZone: string

  const run = async (language: 'sql' | 'python', code: string, bindTo?: string): Promise<Run> => {
    const res = await f.api('editor', 'POST', `${sessionPath}/execute`, { language, code, bindTo })
    expect(res.status).toBe(200)
    return res.body as Run
  }
  const errors = (r: Run) => r.outputs.filter((o) => o.output_type === 'error').map((o) => `${o.ename}: ${o.evalue}`)
  const stdout = (r: Run) => r.outputs.map((o) => o.text ?? '').join('')

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    f = await startKernelFixture(database, jupyter, { maxCellOutputBytes: 64 * 1024 })
    const notebookId = randomUUID()
    await createNotebookRow(database, f.workspaceId, notebookId)
    const session = await f.api('editor', 'POST', `/workspaces/${f.workspaceId}/kernels/sessions`, { notebookId })
    sessionPath = `/workspaces/${f.workspaceId}/kernels/sessions/${session.body.id}`
    const zone = await run('sql', `SELECT current_setting('TimeZone') AS tz`)
    const table = zone.outputs[0]?.data?.[TABLE_MIME_TYPE] as TableData | undefined
    timeZone = String(table?.rows[0]?.[0])
    expect(errors(await run('python', COMPARE))).toEqual([])
  })
  afterAll(async () => {
    await f?.close()
    await database?.dispose()
  })

  it('binds in the session time zone of the server', () => {
    expect(timeZone).toBe('America/New_York')
  })

  it.each(TYPE_CASES.map((c) => [c.name, c] as const))('%s: dtypes and values as duckdb .df()', async (_, c) => {
    const sql = caseQuery(c, c.values.length * 2)
    const bound = await run('sql', sql, `df_${c.name}`)
    expect(errors(bound)).toEqual([])
    const compared = await run(
      'python',
      `import json\nprint(json.dumps(__wb_compare(df_${c.name}, ${JSON.stringify(sql)}, ${JSON.stringify(timeZone)})))`,
    )
    expect(errors(compared)).toEqual([])
    expect(JSON.parse(stdout(compared))).toEqual([])
  })

  it('keeps big integers with NULLs exact and typed (the defect: float64, 1.2345678901234568e+18)', async () => {
    const bound = await run(
      'sql',
      'SELECT * FROM (VALUES (1234567890123456789::BIGINT, true, [1, 2]), (NULL, NULL, [3, NULL])) t(n, b, l)',
      'df_defect',
    )
    expect(errors(bound)).toEqual([])
    const check = await run(
      'python',
      'print(df_defect["n"].dtype, df_defect["n"][0], df_defect["b"].dtype, df_defect["l"][1].dtype, type(df_defect["l"][1]).__name__)',
    )
    expect(stdout(check).trim()).toBe('Int64 1234567890123456789 boolean int32 MaskedArray')
  })

  it('shrinks a first page over the output budget instead of dropping it: result id, paging, export and binding survive', async () => {
    const sql = `SELECT i::INTEGER AS i, repeat('x', 3000) AS wide FROM range(2000) t(i)`
    const bound = await run('sql', sql, 'df_big')
    expect(errors(bound)).toEqual([])
    const output = bound.outputs.at(-1)
    const table = output?.data?.[TABLE_MIME_TYPE] as TableData
    expect(outputSize(output as Output)).toBeLessThanOrEqual(64 * 1024)
    expect(table).toMatchObject({ totalRows: 2000, resultId: expect.any(String) })
    expect(table.rows.length).toBeGreaterThan(0)
    expect(table.rows.length).toBeLessThan(1000)
    expect(table.shrunk?.droppedRows).toBe(1000 - table.rows.length)
    expect(table.shrunk?.cutCells).toEqual(table.rows.map((_, r) => [r, 1]))
    expect(table.rows[0]?.[1]).toBe(`${'x'.repeat(1000)}…`)
    const page = await f.api('viewer', 'POST', `${sessionPath}/results/${table.resultId}/page`, {
      offset: 1500,
      limit: 2,
    })
    expect(page.body.rows).toEqual([
      [1500, 'x'.repeat(3000)],
      [1501, 'x'.repeat(3000)],
    ])
    const csv = await f.api('viewer', 'GET', `${sessionPath}/results/${table.resultId}/export?format=csv`)
    expect(String(csv.body).trim().split('\n')).toHaveLength(2001)
    const check = await run('python', 'print(len(df_big), len(df_big["wide"][1999]))')
    expect(stdout(check).trim()).toBe('2000 3000')
  })

  it('never skips a binding silently: a cell with no result to bind says so', async () => {
    expect(errors(await run('sql', 'SELECT 1 AS v', 'df_stale'))).toEqual([])
    const bound = await run('sql', 'CREATE OR REPLACE TABLE bind_target AS SELECT 2 AS v', 'df_stale')
    expect(errors(bound)).toEqual([expect.stringMatching(/^HandOverError: Nothing to bind to df_stale/)])
  })
})
