import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { PageRequestError } from '../src/index.ts'
import { MysqlKernel } from '../src/mysql/index.ts'
import { errorsOf, run, statusReached, tableOf, textOf } from './support/outputs.ts'

let kernel: MysqlKernel

beforeAll(async () => {
  const admin = await mysql.createConnection({ uri: inject('mariadbUrl'), multipleStatements: true })
  await admin.query(
    `SET SESSION max_recursive_iterations = 100000;
     DROP TABLE IF EXISTS numbers;
     CREATE TABLE numbers (i INT PRIMARY KEY, label VARCHAR(20), big BIGINT, price DECIMAL(10,2), at DATETIME, raw VARBINARY(4));
     INSERT INTO numbers
       WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 5000)
       SELECT n, CONCAT('row ', n), 9007199254740993 + n, n / 4, '2024-01-02 03:04:05', UNHEX('CAFE') FROM seq;`,
  )
  await admin.end()
  kernel = await MysqlKernel.start({ connection: { uri: inject('mariadbUrl') }, pageSize: 100 })
})

afterAll(async () => {
  await kernel?.shutdown()
})

describe('MySQL / MariaDB kernel', () => {
  it('keeps the first page and counts the rest; pages by position; values stay exact', async () => {
    const table = tableOf(await run(kernel, 'SELECT i, label, big, price, at, raw FROM numbers ORDER BY i'))
    expect(table.totalRows).toBe(5000)
    expect(table.rows).toHaveLength(100)
    expect(table.columns.map((c) => c.name)).toEqual(['i', 'label', 'big', 'price', 'at', 'raw'])
    expect(table.rows[0]).toEqual([1, 'row 1', '9007199254740994', '0.25', '2024-01-02 03:04:05', '\\xcafe'])
    const page = await kernel.page(table.resultId ?? '', { offset: 4000, limit: 2 })
    expect(page.rows.map((r) => r[0])).toEqual([4001, 4002])
    expect(page.totalRows).toBe(5000)
    await expect(kernel.page(table.resultId ?? '', { sort: [{ column: 'i' }] })).rejects.toThrow(PageRequestError)
  })

  it('runs cells read-only by default, DDL included (no implicit-commit escape)', async () => {
    for (const sql of ['CREATE TABLE should_not_exist (x INT)', 'INSERT INTO numbers (i) VALUES (-1)']) {
      const [error] = errorsOf(await run(kernel, sql))
      expect(error?.ename).toBe('ReadOnlyError')
    }
    for (const sql of [
      'COMMIT',
      'SET SESSION TRANSACTION READ WRITE',
      'SET @@session.max_statement_time = 0',
      'SET STATEMENT max_statement_time=0 FOR SELECT 1',
    ]) {
      const [error] = errorsOf(await run(kernel, sql))
      expect(error?.ename).toBe('PermissionError')
    }
  })

  it('stops a statement at the statement timeout', async () => {
    const quick = await MysqlKernel.start({ connection: { uri: inject('mariadbUrl') }, statementTimeoutMs: 300 })
    try {
      const [error] = errorsOf(
        await run(quick, 'SELECT COUNT(*) FROM numbers a, numbers b, numbers c WHERE a.i + b.i + c.i = -1'),
      )
      expect(error?.ename).toBe('StatementTimeout')
      expect(textOf(await run(quick, 'SELECT 7 AS n'))).toContain('7')
    } finally {
      await quick.shutdown()
    }
  })

  it('writes when the connection is writable', async () => {
    const writer = await MysqlKernel.start({ connection: { uri: inject('mariadbUrl') }, readOnly: false })
    try {
      expect(errorsOf(await run(writer, 'CREATE TABLE IF NOT EXISTS made_by_cell (x INT)'))).toEqual([])
      expect(errorsOf(await run(writer, 'INSERT INTO made_by_cell VALUES (1)'))).toEqual([])
      expect(textOf(await run(writer, 'SELECT COUNT(*) AS n FROM made_by_cell'))).toContain('1')
    } finally {
      await writer.shutdown()
    }
  })

  it('reports syntax errors with the statement position', async () => {
    const [error] = errorsOf(await run(kernel, 'SELECT 1;\nSELEC 2'))
    expect(error?.ename).toBe('SyntaxError')
    await statusReached(kernel, 'idle')
  })
})
