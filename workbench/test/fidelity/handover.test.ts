// The session time zone is the server's: one with an offset makes TIMESTAMPTZ hand-over count.
process.env.TZ = 'America/New_York'

import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { TABLE_MIME_TYPE, type TableData } from '@workbench/kernels'
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
    timeZone = String((zone.outputs[0]?.data?.[TABLE_MIME_TYPE] as TableData).rows[0]?.[0])
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
})
