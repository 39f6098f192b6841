// The session time zone is the server's: a zone with an offset (and a history) makes TIMESTAMPTZ rendering count.
process.env.TZ = 'America/New_York'

import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api'
import { TABLE_MIME_TYPE, type TableData } from '@workbench/kernels'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestJupyterServer } from '../../../kernels/test/support/jupyter-server.ts'
import { createNotebookRow } from '../support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { type KernelFixture, startKernelFixture } from '../support/kernels.ts'
import { openReference, renderedExpression, valueMismatch } from './duckdb-reference.ts'
import { caseQuery, TYPE_CASES, type TypeCase, wideQuery } from './duckdb-type-cases.ts'

/** No Python cell runs in this file: the fixture's Jupyter endpoint is never contacted. */
const NO_JUPYTER: TestJupyterServer = {
  baseUrl: 'http://127.0.0.1:9',
  token: 'unused',
  rootDir: os.tmpdir(),
  stop: async () => {},
}

describe.each(DATABASE_KINDS)('SQL results match DuckDB on %s', (kind) => {
  let database: TestDatabase
  let f: KernelFixture
  let sessionPath: string
  let reference: { connection: DuckDBConnection; close(): void }
  let scratch: string

  const execute = async (code: string) => {
    const run = await f.api('editor', 'POST', `${sessionPath}/execute`, { language: 'sql', code })
    expect(run.status).toBe(200)
    const output = run.body.outputs.at(-1)
    if (output.output_type === 'error') throw new Error(`${output.ename}: ${output.evalue}`)
    return output.data[TABLE_MIME_TYPE] as TableData
  }

  /** DuckDB's own rendering of every row of `sql`, in order, and its column types. */
  const expected = async (sql: string) => {
    const types = (await reference.connection.runAndReadAll(`FROM (${sql}) LIMIT 0`)).columnTypes() as DuckDBType[]
    const names = (await reference.connection.runAndReadAll(`FROM (${sql}) LIMIT 0`)).columnNames()
    const select = names.map((n, i) => renderedExpression(`"${n}"`, types[i] as DuckDBType)).join(', ')
    const rows = (await reference.connection.runAndReadAll(`SELECT ${select} FROM (${sql})`)).getRowsJson()
    const typeNames = (
      await reference.connection.runAndReadAll(
        `SELECT ${names.map((n) => `typeof("${n}")`).join(', ')} FROM (${sql}) LIMIT 1`,
      )
    ).getRows()[0] as string[]
    return { types, names, rows, typeNames }
  }

  const mismatches = (ours: unknown[][], theirs: unknown[][], types: DuckDBType[], names: string[], offset: number) => {
    const found: string[] = []
    if (ours.length !== theirs.length) found.push(`${ours.length} rows, DuckDB ${theirs.length}`)
    for (const [r, row] of ours.entries())
      for (const [c, value] of row.entries()) {
        const m = valueMismatch(value, theirs[r]?.[c], types[c] as DuckDBType, `row ${offset + r} ${names[c]}`)
        if (m) found.push(m)
      }
    return found
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    // A budget no fidelity result comes near: page shrinking has its own tests.
    f = await startKernelFixture(database, NO_JUPYTER, { maxCellOutputBytes: 64 * 1024 * 1024, pageSize: 1000 })
    const notebookId = randomUUID()
    await createNotebookRow(database, f.workspaceId, notebookId)
    const session = await f.api('editor', 'POST', `/workspaces/${f.workspaceId}/kernels/sessions`, { notebookId })
    sessionPath = `/workspaces/${f.workspaceId}/kernels/sessions/${session.body.id}`
    const zone = await execute(`SELECT current_setting('TimeZone') AS tz`)
    reference = await openReference(String(zone.rows[0]?.[0]))
    scratch = mkdtempSync(path.join(os.tmpdir(), 'fidelity-results-'))
  })
  afterAll(async () => {
    reference?.close()
    await f?.close()
    await database?.dispose()
    if (scratch) rmSync(scratch, { recursive: true, force: true })
  })

  it('renders the session time zone of the server, not UTC', async () => {
    const table = await execute(`SELECT current_setting('TimeZone') AS tz`)
    expect(table.rows).toEqual([['America/New_York']])
  })

  it.each(TYPE_CASES.map((c) => [c.name, c] as const))('%s: first page, every page, CSV and Parquet', async (_, c) => {
    const sql = caseQuery(c, c.values.length * 3)
    const theirs = await expected(sql)
    const table = await execute(sql)
    expect(table.columns.map((col) => col.name)).toEqual(theirs.names)
    // DuckDB's `typeof` quotes struct field names only when it must, ours always: the same type either way.
    const unquoted = (name: string) => name.replaceAll('"', '')
    expect(table.columns.map((col) => unquoted(col.type))).toEqual(theirs.typeNames.map(unquoted))
    expect(mismatches(table.rows, theirs.rows, theirs.types, theirs.names, 0)).toEqual([])
    expect(table.shrunk).toBeUndefined()

    // Every page, through the page route, in result order.
    const limit = 4
    for (let offset = 0; offset < theirs.rows.length; offset += limit) {
      const page = await f.api('viewer', 'POST', `${sessionPath}/results/${table.resultId}/page`, { offset, limit })
      expect(page.status).toBe(200)
      const slice = theirs.rows.slice(offset, offset + limit)
      expect(mismatches(page.body.rows, slice, theirs.types, theirs.names, offset)).toEqual([])
    }

    await expectSameExports(c, sql, table.resultId as string)
  })

  it('pages a wide result of every type, 1,000 rows at a time, as DuckDB renders it', async () => {
    const sql = wideQuery(TYPE_CASES, 2_500)
    const theirs = await expected(sql)
    const table = await execute(sql)
    expect(table.totalRows).toBe(2_500)
    expect(mismatches(table.rows, theirs.rows.slice(0, 1000), theirs.types, theirs.names, 0)).toEqual([])
    for (const offset of [1000, 2000]) {
      const page = await f.api('viewer', 'POST', `${sessionPath}/results/${table.resultId}/page`, {
        offset,
        limit: 1000,
      })
      const slice = theirs.rows.slice(offset, offset + 1000)
      expect(mismatches(page.body.rows, slice, theirs.types, theirs.names, offset)).toEqual([])
    }
  })

  it('pages, sorts, filters and exports a result with a column named rowid in result order', async () => {
    const table = await execute(
      'SELECT (10 - i)::INTEGER AS rowid, i::INTEGER AS "ROWID_2", i::INTEGER AS i FROM range(5) t(i)',
    )
    expect(table.columns.map((c) => c.name)).toEqual(['rowid', 'ROWID_2', 'i'])
    expect(table.rows.map((r) => r[2])).toEqual([0, 1, 2, 3, 4])
    const pages: unknown[] = []
    for (let offset = 0; offset < 5; offset += 2) {
      const page = await f.api('viewer', 'POST', `${sessionPath}/results/${table.resultId}/page`, { offset, limit: 2 })
      pages.push(...page.body.rows.map((r: unknown[]) => r[2]))
    }
    expect(pages).toEqual([0, 1, 2, 3, 4])
    const sorted = await f.api('viewer', 'POST', `${sessionPath}/results/${table.resultId}/page`, {
      sort: [{ column: 'rowid' }],
      filter: [{ column: 'rowid', op: '>=', value: 8 }],
    })
    expect(sorted.body).toMatchObject({
      totalRows: 3,
      rows: [
        [8, 2, 2],
        [9, 1, 1],
        [10, 0, 0],
      ],
    })
    const csv = await f.api('viewer', 'GET', `${sessionPath}/results/${table.resultId}/export?format=csv`)
    expect(csv.body).toBe('rowid,ROWID_2,i\n10,0,0\n9,1,1\n8,2,2\n7,3,3\n6,4,4\n')
  })

  it('refuses a Parquet export DuckDB cannot write with 422 and the reason, and still exports it as CSV', async () => {
    const table = await execute(`SELECT INTERVAL '-1 day' AS d`)
    const parquet = await f.api('viewer', 'GET', `${sessionPath}/results/${table.resultId}/export?format=parquet`)
    expect(parquet).toMatchObject({ status: 422, body: { code: 'export_unsupported_value' } })
    expect(parquet.body.message).toMatch(/Parquet.*negative intervals/i)
    const csv = await f.api('viewer', 'GET', `${sessionPath}/results/${table.resultId}/export?format=csv`)
    expect(csv).toMatchObject({ status: 200, body: 'd\n-1 day\n' })
  })

  /** CSV must be byte for byte DuckDB's; Parquet must read back to the same types and values as DuckDB's file. */
  async function expectSameExports(c: TypeCase, sql: string, resultId: string) {
    const csv = await f.api('viewer', 'GET', `${sessionPath}/results/${resultId}/export?format=csv`)
    const refCsv = path.join(scratch, `${c.name}.csv`)
    await reference.connection.run(`COPY (${sql}) TO '${refCsv}' (FORMAT csv, HEADER true)`)
    expect(csv.status).toBe(200)
    expect(csv.body).toBe(readFileSync(refCsv, 'utf8'))

    const refParquet = path.join(scratch, `${c.name}-ref.parquet`)
    const refError = await reference.connection.run(`COPY (${sql}) TO '${refParquet}' (FORMAT parquet)`).then(
      () => undefined,
      (err: Error) => err.message,
    )
    const res = await fetch(`${f.baseUrl}/api${sessionPath}/results/${resultId}/export?format=parquet`, {
      headers: { authorization: `Bearer ${f.tokens.viewer}` },
    })
    if (refError) {
      // What DuckDB cannot write is refused with its reason, never a 500.
      expect(res.status).toBe(422)
      const body = (await res.json()) as { code: string; message: string }
      expect(body.code).toBe('export_unsupported_value')
      expect(body.message).toContain(refError.replace(/^[A-Za-z ]+Error: /, ''))
      return
    }
    expect(res.status).toBe(200)
    const ours = path.join(scratch, `${c.name}-ours.parquet`)
    writeFileSync(ours, Buffer.from(await res.arrayBuffer()))
    const read = async (file: string) => {
      const reader = await reference.connection.runAndReadAll(`FROM read_parquet('${file}')`)
      return { types: reader.columnTypes().map(String), rows: reader.getRowsJson() }
    }
    expect(await read(ours)).toEqual(await read(refParquet))
  }
})
