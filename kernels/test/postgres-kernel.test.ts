import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { PageRequestError } from '../src/index.ts'
import { PostgresKernel } from '../src/postgres/index.ts'
import { errorsOf, run, tableOf, textOf } from './support/outputs.ts'

let kernel: PostgresKernel

beforeAll(async () => {
  kernel = await PostgresKernel.start({ connection: { connectionString: inject('postgresUrl') }, pageSize: 100 })
})

afterAll(async () => {
  await kernel?.shutdown()
})

describe('PostgreSQL kernel', () => {
  it('keeps a large result in a server-side cursor: first page, total, pages by position', async () => {
    const table = tableOf(await run(kernel, 'SELECT i, i * 2 AS twice FROM generate_series(1, 100000) AS i'))
    expect(table.totalRows).toBe(100_000)
    expect(table.rows).toHaveLength(100)
    expect(table.columns).toEqual([
      { name: 'i', type: 'integer' },
      { name: 'twice', type: 'integer' },
    ])
    const page = await kernel.page(table.resultId ?? '', { offset: 50_000, limit: 2 })
    expect(page.rows).toEqual([
      [50001, 100002],
      [50002, 100004],
    ])
    await expect(kernel.page(table.resultId ?? '', { sort: [{ column: 'i' }] })).rejects.toThrow(PageRequestError)
  })

  it('runs cells read-only by default', async () => {
    const [error] = errorsOf(await run(kernel, 'CREATE TABLE should_not_exist (x int)'))
    expect(error?.ename).toBe('ReadOnlyError')
    expect(error?.evalue).toMatch(/read-only transaction/)
  })

  it('cannot leave the read-only transaction by smuggling a second statement into one', async () => {
    const attempts = [
      "SELECT 'a'; COMMIT; CREATE TABLE smuggled (x int)",
      'ROLLBACK; CREATE TABLE smuggled (x int)',
      'SET statement_timeout = 0',
      'SELECT $1$; COMMIT; CREATE TABLE smuggled (x int); SELECT $1$',
    ]
    for (const code of attempts) expect(errorsOf(await run(kernel, code))).toHaveLength(1)
    const exists = tableOf(await run(kernel, "SELECT to_regclass('smuggled') IS NULL AS absent"))
    expect(exists.rows).toEqual([[true]])
  })

  it('reports a syntax error with the line and column of the cell', async () => {
    const [error] = errorsOf(await run(kernel, 'SELECT 1;\nSELECT a,\n  b FORM t'))
    expect(error?.ename).toBe('SyntaxError')
    expect(error?.evalue).toMatch(/syntax error at or near "t".*\(line 3, column 10\)/)
  })

  it('keeps value types through JSON', async () => {
    const table = tableOf(
      await run(
        kernel,
        "SELECT 9223372036854775807::bigint AS big, 123.45::numeric(10,2) AS dec, DATE '2024-02-29' AS d, TIMESTAMPTZ '2024-01-02 03:04:05.123456+00' AS tz, INTERVAL '1 month 2 days' AS iv, '\\xaa00'::bytea AS b, ARRAY[1, NULL, 3] AS l, '{\"k\": 1}'::jsonb AS j, NULL::int AS n",
      ),
    )
    const [row] = JSON.parse(JSON.stringify(table.rows)) as unknown[][]
    expect(row?.slice(0, 3)).toEqual(['9223372036854775807', '123.45', '2024-02-29'])
    expect(row?.[3]).toMatch(/^2024-01-02 0\d:04:05\.123456/)
    expect(row?.slice(4)).toEqual(['1 mon 2 days', '\\xaa00', [1, null, 3], { k: 1 }, null])
  })

  it('cancels a statement over statement_timeout; the session keeps working', async () => {
    const quick = await PostgresKernel.start({
      connection: { connectionString: inject('postgresUrl') },
      statementTimeoutMs: 200,
    })
    const [error] = errorsOf(await run(quick, 'SELECT pg_sleep(30)'))
    expect(error?.ename).toBe('StatementTimeout')
    expect(textOf(await run(quick, 'SELECT 42 AS answer'))).toContain('42')
    await quick.shutdown()
  })
})
