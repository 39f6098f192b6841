import { ApplicationFailure } from '@temporalio/common'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DuckDbSqlRunner } from './duckdb-sql-runner.ts'

describe('DuckDbSqlRunner', () => {
  let runner: DuckDbSqlRunner
  beforeEach(async () => {
    runner = await DuckDbSqlRunner.open()
    await runner.run({ connection: 'duckdb', sql: 'create table effects (v integer)' })
  })
  afterEach(() => runner.close())

  const count = async () =>
    (await runner.run({ connection: 'duckdb', sql: 'select count(*)::integer as n from effects' })).rows[0]?.n

  it('applies a keyed statement once and replays its stored result', async () => {
    const request = {
      connection: 'duckdb',
      sql: 'insert into effects values (1); select 42 as answer',
      idempotencyKey: 'run/a',
    }
    const first = await runner.run(request)
    const second = await runner.run(request)
    expect(first).toMatchObject({ columns: ['answer'], rows: [{ answer: 42 }], truncated: false })
    expect(second).toEqual({ ...first, replayed: true })
    expect(await count()).toBe(1)
    await runner.run({ ...request, idempotencyKey: 'run/b' })
    expect(await count()).toBe(2)
  })

  it('rolls back a failed keyed attempt so its retry starts clean', async () => {
    const failing = {
      connection: 'duckdb',
      sql: 'insert into effects values (1); select * from missing_table',
      idempotencyKey: 'k',
    }
    await expect(runner.run(failing)).rejects.toBeInstanceOf(ApplicationFailure)
    expect(await count()).toBe(0)
    await runner.run({ ...failing, sql: 'insert into effects values (1)' })
    expect(await count()).toBe(1)
  })

  it('classifies user errors as non-retryable and binds named parameters', async () => {
    const error = await runner.run({ connection: 'duckdb', sql: 'selec 1' }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(ApplicationFailure)
    expect((error as ApplicationFailure).nonRetryable).toBe(true)
    expect((error as ApplicationFailure).type).toBe('SqlError')
    const bound = await runner.run({
      connection: 'duckdb',
      sql: 'select $a::integer + 1 as b, $s as s',
      parameters: { a: 1, s: "x'y" },
    })
    expect(bound.rows).toEqual([{ b: 2, s: "x'y" }])
    await expect(runner.run({ connection: 'crm', sql: 'select 1' })).rejects.toThrow("unknown connection 'crm'")
  })

  it('keeps only the first rows of a large result', async () => {
    const result = await runner.run({
      connection: 'duckdb',
      sql: 'select range::integer as i from range(1000)',
      maxRows: 3,
    })
    expect(result).toMatchObject({ rowCount: 3, truncated: true, rows: [{ i: 0 }, { i: 1 }, { i: 2 }] })
  })

  it('is interrupted by its abort signal', async () => {
    const controller = new AbortController()
    const running = runner.run({
      connection: 'duckdb',
      sql: 'select sum(a.range * b.range) from range(100000000) a, range(100000000) b',
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(), 200)
    await expect(running).rejects.toThrow(/interrupt/i)
  })
})
