import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChartRequestError, DuckdbDatabase, DuckdbKernel } from '../src/index.ts'
import { errorsOf, run, tableOf } from './support/outputs.ts'

let root: string
let database: DuckdbDatabase
let kernel: DuckdbKernel

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'kernels-chart-'))
  const dataDir = path.join(root, 'workspace')
  mkdirSync(dataDir)
  database = await DuckdbDatabase.open({ path: path.join(dataDir, 'workspace.duckdb'), dataDir, memoryLimit: '256MB' })
  kernel = await DuckdbKernel.start({ database, statementTimeoutMs: 60_000 })
})

afterAll(async () => {
  await kernel?.shutdown()
  database?.close()
  rmSync(root, { recursive: true, force: true })
})

async function resultOf(sql: string): Promise<string> {
  const outputs = await run(kernel, sql)
  expect(errorsOf(outputs)).toEqual([])
  const id = tableOf(outputs).resultId
  if (!id) throw new Error('no kept result')
  return id
}

const sum = (values: Record<string, unknown>[], field = 'y') => values.reduce((a, v) => a + Number(v[field]), 0)

describe('charts computed over the whole kept result', () => {
  it('a histogram of 5,000 rows counts 5,000, one band per value of a small integer column', async () => {
    const id = await resultOf('SELECT range AS n, range % 7 AS bucket FROM range(5000)')
    const chart = await kernel.chart(id, { kind: 'histogram', x: 'bucket' })
    expect(sum(chart.values)).toBe(5000)
    expect(chart.values).toHaveLength(7)
    expect(chart.x).toMatchObject({ title: 'bucket', type: 'ordinal' })
    expect(chart.totalRows).toBe(5000)
    expect(chart.sample).toBeUndefined()
  })

  it('bins a wide numeric column into nice bins that cover every row', async () => {
    const id = await resultOf('SELECT range * 1.5 AS amount FROM range(100000)')
    const chart = await kernel.chart(id, { kind: 'histogram', x: 'amount' })
    expect(chart.binned).toBe(true)
    expect(chart.x.type).toBe('quantitative')
    expect(sum(chart.values)).toBe(100_000)
    expect(chart.values.length).toBeLessThanOrEqual(21)
    const first = chart.values[0] as { x: number; x2: number }
    expect(first.x).toBe(0)
    expect(first.x2 - first.x).toBe(10_000)
  })

  it('sums y per x over every row, integer x as bands', async () => {
    const id = await resultOf('SELECT range % 7 AS bucket, 2 AS two FROM range(5000)')
    const chart = await kernel.chart(id, { kind: 'bar', x: 'bucket', y: 'two' })
    expect(sum(chart.values)).toBe(10_000)
    expect(chart.x.type).toBe('ordinal')
    expect(chart.y).toEqual({ title: 'sum of two', aggregate: 'sum' })
    const mean = await kernel.chart(id, { kind: 'bar', x: 'bucket', y: 'two', aggregate: 'mean' })
    expect(mean.values.every((v) => v.y === 2)).toBe(true)
  })

  it('draws dates on a time axis in a unit that fits, over every row', async () => {
    const id = await resultOf("SELECT DATE '2024-01-01' + (range % 730)::INTEGER AS day, 1 AS one FROM range(20000)")
    const chart = await kernel.chart(id, { kind: 'bar', x: 'day', y: 'one' })
    expect(chart.x.type).toBe('temporal')
    // Two years of days is more bars than fit: grouped by week.
    expect(chart.x.unit).toBe('week')
    expect(sum(chart.values)).toBe(20_000)
    expect(typeof chart.values[0]?.x).toBe('number')
    const few = await resultOf("SELECT DATE '2024-03-01' + range::INTEGER AS day FROM range(10)")
    expect((await kernel.chart(few, { kind: 'bar', x: 'day' })).x.unit).toBe('day')
  })

  it('says when a scatter plot is a sample, and when groups are cut', async () => {
    const id = await resultOf('SELECT range AS a, range * 2 AS b, (range % 3)::VARCHAR AS c FROM range(20000)')
    const scatter = await kernel.chart(id, { kind: 'scatter', x: 'a', y: 'b', color: 'c' })
    expect(scatter.sample).toEqual({ shown: 5000, of: 20_000, what: 'rows' })
    expect(scatter.values).toHaveLength(5000)
    const names = await resultOf("SELECT 'name ' || range AS name FROM range(3000)")
    const bars = await kernel.chart(names, { kind: 'bar', x: 'name' })
    expect(bars.sample).toEqual({ shown: 1000, of: 3000, what: 'groups' })
  })

  it('refuses unknown columns and sums of text with a request error', async () => {
    const id = await resultOf("SELECT 'a' AS label, 1 AS n")
    await expect(kernel.chart(id, { kind: 'bar', x: 'nope' })).rejects.toBeInstanceOf(ChartRequestError)
    await expect(kernel.chart(id, { kind: 'bar', x: 'n', y: 'label', aggregate: 'sum' })).rejects.toThrow(
      /not a number/,
    )
    await expect(kernel.chart(id, { kind: 'scatter', x: 'n' })).rejects.toThrow(/needs a Y column/)
  })
})
