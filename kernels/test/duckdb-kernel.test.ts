import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckdbDatabase, DuckdbKernel, PageRequestError, ResultNotFoundError, type TableData } from '../src/index.ts'
import { errorsOf, run, tableOf, textOf } from './support/outputs.ts'

let root: string
let dataDir: string
let database: DuckdbDatabase
let kernel: DuckdbKernel

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'kernels-duckdb-'))
  dataDir = path.join(root, 'workspace')
  mkdirSync(dataDir)
  // A file next to the workspace folder, which user SQL must not reach.
  writeFileSync(path.join(root, 'secret.csv'), 'password\nhunter2\n')
  writeFileSync(path.join(dataDir, 'allowed.csv'), 'a,b\n1,x\n2,y\n')
  database = await DuckdbDatabase.open({ path: path.join(dataDir, 'workspace.duckdb'), dataDir, memoryLimit: '256MB' })
  kernel = await DuckdbKernel.start({ database, statementTimeoutMs: 60_000 })
})

afterAll(async () => {
  await kernel?.shutdown()
  database?.close()
  rmSync(root, { recursive: true, force: true })
})

describe('DuckDB kernel results', () => {
  it('runs several statements per cell and shows each result, the last as execute_result', async () => {
    const outputs = await run(
      kernel,
      'CREATE TABLE t AS SELECT range AS i FROM range(5);\nSELECT count(*) AS c FROM t;\nSELECT max(i) AS m FROM t',
    )
    expect(errorsOf(outputs)).toEqual([])
    expect(outputs.map((o) => o.output_type)).toEqual(['stream', 'display_data', 'execute_result'])
    expect(tableOf(outputs).rows).toEqual([['4']])
  })

  it('says what a statement without a result did: created table t, N rows; inserted, updated, deleted', async () => {
    const outputs = await run(
      kernel,
      [
        'CREATE OR REPLACE TABLE summary_t AS SELECT range AS i FROM range(1234)',
        'INSERT INTO summary_t SELECT 1',
        'UPDATE summary_t SET i = 0 WHERE i < 3',
        'DELETE FROM summary_t WHERE i = 0',
        'CREATE OR REPLACE VIEW summary_v AS SELECT 1',
      ].join(';\n'),
    )
    expect(errorsOf(outputs)).toEqual([])
    expect(outputs.map((o) => (o.output_type === 'stream' ? o.text : o.output_type))).toEqual([
      'Created table summary_t, 1,234 rows\n',
      'Inserted 1 row\n',
      'Updated 4 rows\n',
      'Deleted 4 rows\n',
    ])
  })

  it('counts distinct values exactly for small results and marks estimates of large ones', async () => {
    // 5,000 rows of 5,000 distinct values: HyperLogLog said 5,618 here.
    const small = tableOf(await run(kernel, 'SELECT range AS id, range % 7 AS bucket FROM range(5000)'))
    expect(small.stats?.[0]).toMatchObject({ name: 'id', distinct: 5000 })
    expect(small.stats?.[0]?.distinctApproximate).toBeUndefined()
    expect(small.stats?.[1]).toMatchObject({ name: 'bucket', distinct: 7 })
    const large = tableOf(await run(kernel, 'SELECT range AS id, NULL::INT AS nothing FROM range(200000)'))
    expect(large.stats?.[0]).toMatchObject({ distinctApproximate: true })
    expect(large.stats?.[0]?.distinct).toBeLessThanOrEqual(200_000)
    expect(large.stats?.[0]?.distinct).toBeGreaterThan(150_000)
    expect(large.stats?.[1]).toMatchObject({ nullCount: 200_000, distinct: 0 })
  })

  it('keeps a large result on the server: first page, total rows, column types and stats', async () => {
    const outputs = await run(
      kernel,
      'SELECT i, i % 10 AS bucket, CASE WHEN i % 2 = 0 THEN NULL ELSE i END AS odd FROM range(1000000) t(i)',
    )
    const table = tableOf(outputs)
    expect(table.totalRows).toBe(1_000_000)
    expect(table.rows).toHaveLength(1_000)
    expect(table.rows[0]).toEqual(['0', '0', null])
    expect(table.columns).toEqual([
      { name: 'i', type: 'BIGINT' },
      { name: 'bucket', type: 'BIGINT' },
      { name: 'odd', type: 'BIGINT' },
    ])
    expect(table.stats?.[2]).toMatchObject({ name: 'odd', nullCount: 500_000, min: '1', max: '999999' })
    const medium = tableOf(await run(kernel, 'SELECT i % 10 AS bucket FROM range(5000) t(i)'))
    expect(medium.stats?.[0]).toMatchObject({ nullCount: 0, min: '0', max: '9', distinct: expect.any(Number) })
    // A result that fits in the first page carries every row instead.
    expect(tableOf(await run(kernel, 'SELECT 1 AS one')).stats).toBeUndefined()
  })

  it('pages, sorts and filters the kept result without re-running the query', async () => {
    const table = tableOf(await run(kernel, 'SELECT i, i % 10 AS bucket, random() AS r FROM range(100000) t(i)'))
    const resultId = table.resultId ?? ''
    const page = await kernel.page(resultId, { offset: 50_000, limit: 3 })
    expect(page.rows.map((r) => r[0])).toEqual(['50000', '50001', '50002'])
    // random() was evaluated once: the same rows come back, so the query was not run again.
    expect(page.rows[0]?.[2]).toBe((await kernel.page(resultId, { offset: 50_000, limit: 1 })).rows[0]?.[2])
    const sorted = await kernel.page(resultId, { limit: 2, sort: [{ column: 'i', descending: true }] })
    expect(sorted.rows.map((r) => r[0])).toEqual(['99999', '99998'])
    const filtered = await kernel.page(resultId, { limit: 2, filter: [{ column: 'bucket', op: '=', value: '7' }] })
    expect(filtered.totalRows).toBe(10_000)
    expect(filtered.rows.map((r) => r[0])).toEqual(['7', '17'])
    const contains = await kernel.page(resultId, { limit: 5, filter: [{ column: 'i', op: 'contains', value: '9999' }] })
    expect(contains.rows.map((r) => r[0])).toEqual(['9999', '19999', '29999', '39999', '49999'])
    await expect(kernel.page(resultId, { sort: [{ column: 'nope' }] })).rejects.toThrow(PageRequestError)
    await expect(kernel.page('r9999', {})).rejects.toThrow(ResultNotFoundError)
  })

  it('keeps value types through JSON', async () => {
    const table = tableOf(
      await run(
        kernel,
        `SELECT 9223372036854775807::BIGINT AS big, 123.45::DECIMAL(10,2) AS dec, DATE '2024-02-29' AS d,
          TIMESTAMPTZ '2024-01-02 03:04:05.123456+00' AS tz, INTERVAL '1 month 2 days 3 seconds' AS iv,
          '\\xAA\\x00'::BLOB AS b, [1, NULL, 3] AS l, {'k': 'v', 'n': 1} AS s, NULL::INTEGER AS n, 1.5::DOUBLE AS f`,
      ),
    )
    expect(table.columns.map((c) => c.type)).toEqual([
      'BIGINT',
      'DECIMAL(10,2)',
      'DATE',
      'TIMESTAMP WITH TIME ZONE',
      'INTERVAL',
      'BLOB',
      'INTEGER[]',
      'STRUCT("k" VARCHAR, "n" INTEGER)',
      'INTEGER',
      'DOUBLE',
    ])
    const [row] = JSON.parse(JSON.stringify(table.rows)) as unknown[][]
    expect(row).toEqual([
      '9223372036854775807',
      '123.45',
      '2024-02-29',
      expect.stringMatching(/^2024-01-02 03:04:05\.123456\+00/),
      { months: 1, days: 2, micros: '3000000' },
      '\\xAA\\x00',
      [1, null, 3],
      { k: 'v', n: 1 },
      null,
      1.5,
    ])
  })
})

describe('DuckDB kernel bad input', () => {
  it('reports a syntax error with the line and column of the cell', async () => {
    const [error] = errorsOf(await run(kernel, 'SELECT 1;\n\nSELECT a,\n  b FORM t'))
    expect(error?.ename).toBe('ParserError')
    expect(error?.evalue).toMatch(/syntax error at or near "t" \(line 4, column 10\)/)
  })

  it('points binder, catalog and conversion errors at the real line and column, as parser errors', async () => {
    await run(kernel, 'CREATE OR REPLACE TABLE orders AS SELECT 1 AS id, 2 AS amount')
    const cases: [string, string, number, number][] = [
      // Line 1 of a query: DuckDB saw it behind our `CREATE TEMP TABLE ... AS` (column 53 on a short line).
      ['SELECT customer_name FROM orders', 'BinderError', 1, 8],
      ['SELECT id, sum(amount) FROM orders', 'BinderError', 1, 8],
      ['SELECT id,\n  amount, customer_name FROM orders', 'BinderError', 2, 11],
      ["SELECT 1;\nSELECT id FROM orders WHERE lower(id) = 'a'", 'BinderError', 2, 29],
      ['SELECT 2; SELECT nope FROM orders', 'BinderError', 1, 18],
      ["SELECT 1 +\n 'abc'::INTEGER", 'ConversionError', 2, 7],
      ['SELECT * FROM nosuchtable', 'CatalogError', 1, 15],
      ['CREATE TABLE t2 AS SELECT nope FROM orders', 'BinderError', 1, 27],
      ['SELECT id FORM orders', 'ParserError', 1, 16],
      // A long line DuckDB shows as a window starting with "...".
      [`SELECT id,\n  ${'x'.repeat(120)} AS a, nope FROM orders`, 'BinderError', 2, 3],
      [`SELECT ${'a'.repeat(90)}, nope FROM orders`, 'BinderError', 1, 8],
    ]
    for (const [sql, ename, line, column] of cases) {
      const [error] = errorsOf(await run(kernel, sql))
      expect(error?.ename, sql).toBe(ename)
      expect(error?.evalue, sql).toContain(`(line ${line}, column ${column})`)
      const lineText = sql.split('\n')[line - 1] ?? ''
      expect(column, sql).toBeLessThanOrEqual(lineText.length)
    }
  })

  it('stops the cell at the first failing statement', async () => {
    const outputs = await run(
      kernel,
      'CREATE TABLE stop_here (x INT); SELECT * FROM missing; INSERT INTO stop_here VALUES (1)',
    )
    expect(errorsOf(outputs)[0]?.ename).toBe('CatalogError')
    expect(tableOf(await run(kernel, 'SELECT count(*) AS c FROM stop_here')).rows).toEqual([['0']])
  })

  it('fails a query over the memory limit cleanly, and the session keeps working', async () => {
    const [error] = errorsOf(await run(kernel, "SELECT list(repeat('x', 100) || i) FROM range(20000000) t(i)"))
    expect(error?.ename).toBe('OutOfMemoryError')
    expect(textOf(await run(kernel, 'SELECT 42 AS answer'))).toContain('42')
  })

  it('cancels a statement over the statement timeout', async () => {
    const quick = await DuckdbKernel.start({ database, statementTimeoutMs: 300 })
    const [error] = errorsOf(await run(quick, 'SELECT sum(i % 7) FROM range(100000000000) t(i)'))
    expect(error?.ename).toBe('StatementTimeout')
    expect(textOf(await run(quick, 'SELECT 42 AS answer'))).toContain('42')
    await quick.shutdown()
  })
})

describe('DuckDB sandbox: each escape attempt fails', () => {
  const attempts: [string, string, RegExp][] = [
    [
      'read a file outside the workspace folder',
      "SELECT * FROM read_csv('SECRET')",
      /Permission Error|PermissionError|disabled/,
    ],
    ['read with a ../ path', "SELECT * FROM read_csv('DATA/../secret.csv')", /disabled/],
    ['write a file outside the workspace folder', "COPY (SELECT 1) TO 'ROOT/out.csv'", /disabled/],
    ['list files outside the workspace folder', "SELECT * FROM glob('/etc/*')", /disabled/],
    ['attach another database file', "ATTACH 'DATA/other.duckdb' AS other", /ATTACH is not allowed/],
    ['attach an in-memory database', "ATTACH ':memory:' AS mem", /ATTACH is not allowed/],
    ['smuggle an ATTACH behind dollar quotes', "SELECT $1$; ATTACH ':memory:' AS smuggled; SELECT $1$", /./],
    ['smuggle an ATTACH behind an escape string', "SELECT E'\\'; ATTACH ':memory:' AS smuggled; --'", /./],
    ['install an extension', 'INSTALL httpfs', /INSTALL and LOAD are not allowed/],
    ['load an extension', 'LOAD parquet', /INSTALL and LOAD are not allowed/],
    ['re-enable external access', 'SET enable_external_access = true', /locked/],
    ['widen the allowed directories', "SET allowed_directories = ['/']", /locked/],
    ['raise the memory limit', "SET memory_limit = '100GB'", /locked/],
    ['unlock the configuration', 'SET lock_configuration = false', /locked/],
    ['turn on autoloading of extensions', 'SET autoload_known_extensions = true', /locked/],
    [
      'print profiles to the server console',
      'PRAGMA enable_profiling',
      /Profiling and progress-bar settings are not allowed/,
    ],
    [
      'print progress bars to the server console',
      'PRAGMA enable_progress_bar',
      /Profiling and progress-bar settings are not allowed/,
    ],
  ]
  it.each(attempts)('cannot %s', async (_what, sql, expected) => {
    const code = sql
      .replaceAll('SECRET', path.join(root, 'secret.csv'))
      .replaceAll('DATA', dataDir)
      .replaceAll('ROOT', root)
    const [error] = errorsOf(await run(kernel, code))
    expect(error?.evalue ?? '').toMatch(expected)
    const databases = tableOf(await run(kernel, 'SELECT database_name FROM duckdb_databases() WHERE NOT internal'))
    expect(databases.rows).toEqual([['workspace']])
  })

  it('can read and write files inside the workspace folder', async () => {
    const outputs = await run(
      kernel,
      `COPY (SELECT 1 AS x) TO '${dataDir}/out.parquet' (FORMAT parquet); SELECT * FROM read_csv('${dataDir}/allowed.csv')`,
    )
    expect(errorsOf(outputs)).toEqual([])
    expect(tableOf(outputs).totalRows).toBe(2)
  })
})

describe('DuckDB kernel first pages over the output budget', () => {
  it('shrinks every result of a cell to the room left, down to its header, and keeps each one pageable', async () => {
    const small = await DuckdbKernel.start({ database, limits: { maxCellOutputBytes: 20_000 } })
    try {
      const outputs = await run(
        small,
        [
          "SELECT i::INTEGER AS i, repeat('a', 5000) AS s FROM range(50) t(i);",
          'SELECT i::INTEGER AS i FROM range(3000) t(i);',
          'SELECT i::INTEGER AS j FROM range(2000) t(i)',
        ].join('\n'),
      )
      expect(errorsOf(outputs)).toEqual([])
      const [first, second, last] = outputs.map((o) =>
        'data' in o ? (o.data['application/vnd.workbench.table+json'] as TableData) : undefined,
      )
      expect(first?.shrunk?.cutCells.length).toBe(first?.rows.length)
      expect(first?.rows[0]).toEqual([0, `${'a'.repeat(1000)}…`])
      expect(second?.shrunk?.droppedRows).toBe(1000 - (second?.rows.length ?? 0))
      // The room is gone: the last result keeps its id and shape, with no rows.
      expect(last).toMatchObject({ totalRows: 2000, rows: [], shrunk: { droppedRows: 1000, cutCells: [] } })
      expect((await small.page(last?.resultId as string, { offset: 1999, limit: 5 })).rows).toEqual([[1999]])
      expect((await small.page(first?.resultId as string, { offset: 49, limit: 1 })).rows).toEqual([
        [49, 'a'.repeat(5000)],
      ])
    } finally {
      await small.shutdown()
    }
  })
})
