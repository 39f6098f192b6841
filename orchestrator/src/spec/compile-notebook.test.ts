import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CompileResult, compileNotebookWith, type NotebookCell, type NotebookModel } from './compile-notebook.ts'
import { scanPython } from './notebook-python.ts'
import { validatePipeline } from './validate.ts'

let instance: DuckDBInstance
let connection: DuckDBConnection

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:')
  connection = await instance.connect()
})
afterAll(() => {
  connection.closeSync()
  instance.closeSync()
})

/** DuckDB's own parser, as the workbench runs it. */
async function parseSql(query: string): Promise<string> {
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS tree', [query])
  return String(reader.getRowsJson()[0]?.[0])
}

let counter = 0
const sql = (text: string, extra: { output?: string; tags?: string[]; connection?: string } = {}): NotebookCell => ({
  id: `c${++counter}`,
  cell_type: 'code',
  source: `%%sql${extra.output ? ` ${extra.output} <<` : ''}\n${text}`,
  metadata: {
    workbench: {
      type: 'sql',
      connection: extra.connection ?? 'duckdb',
      ...(extra.output ? { output: extra.output } : {}),
    },
    ...(extra.tags ? { tags: extra.tags } : {}),
  },
  outputs: [],
  execution_count: null,
})
const py = (text: string, meta: { tags?: string[]; reads?: string[]; writes?: string[] } = {}): NotebookCell => ({
  id: `c${++counter}`,
  cell_type: 'code',
  source: text,
  metadata: {
    ...(meta.tags ? { tags: meta.tags } : {}),
    ...(meta.reads || meta.writes ? { workbench: { reads: meta.reads, writes: meta.writes } } : {}),
  },
  outputs: [],
  execution_count: null,
})
const md = (text: string): NotebookCell => ({ id: `c${++counter}`, cell_type: 'markdown', source: text, metadata: {} })
const notebook = (...cells: NotebookCell[]): NotebookModel => ({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells })

const compile = (nb: NotebookModel, pin: { version: string } | { seq: string } = { version: 'v1' }) =>
  compileNotebookWith(nb, { name: 'Daily Sales.ipynb', notebookId: 'nb-1', pin }, parseSql)

const stepsOf = (result: CompileResult) =>
  Object.fromEntries(result.spec.steps.map((s) => [s.id, { type: s.type, deps: s.depends_on ?? [] }]))

describe('compileNotebook', () => {
  it('turns SQL cells into a diamond of sql steps, from the tables they write and read (CTEs excluded)', async () => {
    const result = await compile(
      notebook(
        md('# Sales'),
        sql('CREATE OR REPLACE TABLE raw AS SELECT i FROM range(10) t(i)'),
        sql('CREATE TABLE evens AS SELECT * FROM main.raw WHERE i % 2 = 0'),
        sql('CREATE TABLE odds AS\nWITH raw_odds AS (SELECT * FROM "RAW" WHERE i % 2 = 1)\nSELECT * FROM raw_odds'),
        sql('CREATE TABLE report AS SELECT e.i, o.i AS j FROM evens e JOIN odds o ON o.i = e.i + 1'),
        sql("COPY report TO 'report.parquet' (FORMAT parquet)"),
      ),
    )
    expect(result.problems).toEqual([])
    expect(stepsOf(result)).toEqual({
      raw: { type: 'sql', deps: [] },
      evens: { type: 'sql', deps: ['raw'] },
      odds: { type: 'sql', deps: ['raw'] },
      report: { type: 'sql', deps: ['evens', 'odds'] },
      cell_6: { type: 'sql', deps: ['report'] },
    })
    expect(result.steps.find((s) => s.id === 'odds')?.reads).toEqual(['raw'])
    // Readable YAML the user reviews: a header, per-step comments, SQL as a literal block; and it validates.
    expect(result.yaml).toContain('# Compiled from notebook nb-1, pinned to notebook version v1.')
    expect(result.yaml).toContain('# cells c')
    expect(result.yaml).toMatch(/sql: \|-\n\s+CREATE TABLE odds AS\n\s+WITH raw_odds/)
    expect(result.spec.metadata.name).toBe('daily-sales')
    expect(validatePipeline(result.yaml).ok).toBe(true)
  })

  it('keeps cells that share kernel variables in one notebook step, with the imports they use', async () => {
    const imports = py('import pandas as pd\nimport json')
    const load = sql('SELECT * FROM range(5) t(i)', { output: 'orders' })
    const enrich = py("orders['double'] = orders['i'] * 2\nsummary = orders.describe()")
    const table = sql('CREATE TABLE big AS SELECT * FROM range(100) t(i)')
    const consume = py('print(len(big_df))\nprint(pd.__version__)', { reads: ['big'], writes: ['big_df'] })
    const result = await compile(notebook(imports, load, enrich, table, consume))
    expect(result.problems).toEqual([])
    expect(result.spec.steps.map((s) => [s.id, s.type, s.with?.cells ?? null, s.depends_on ?? []])).toEqual([
      ['orders', 'notebook', [load.id, enrich.id], []],
      ['big', 'sql', null, []],
      ['big_df', 'notebook', [imports.id, consume.id], ['big']],
    ])
    expect(result.spec.steps[0]?.with).toMatchObject({ notebook: 'nb-1', version: 'v1' })
  })

  it('groups cells by step tags: untagged cells join the step above', async () => {
    const a1 = sql('CREATE TABLE staged AS SELECT 1 AS x', { tags: ['step:load_orders'] })
    const a2 = py('checked = True')
    const heading = md('## Report')
    const b1 = sql('SELECT * FROM staged', { tags: ['step:report'], output: 'df' })
    const b2 = py('print(df)')
    const result = await compile(notebook(a1, a2, heading, b1, b2), { seq: '42' })
    expect(result.problems).toEqual([])
    expect(result.spec.steps.map((s) => [s.id, s.with?.cells, s.depends_on ?? []])).toEqual([
      ['load_orders', [a1.id, a2.id], []],
      ['report', [b1.id, b2.id], ['load_orders']],
    ])
    expect(result.spec.steps[0]?.with).toMatchObject({ seq: '42' })
    expect(result.yaml).toContain('update seq 42 (the notebook had no saved version yet)')
  })

  it('makes the papermill parameters cell typed pipeline params, passed to notebook steps', async () => {
    const params = py(
      "start_date = '2024-01-01'  # first day\nlimit = 10\nratio = 0.5\ndry_run = False\nregion = None  # required\nwhen = '2024-01-01T00:00:00Z'\nbad = compute()",
      { tags: ['parameters'] },
    )
    const run = py('print(start_date, limit, ratio, dry_run, region)')
    const result = await compile(notebook(params, run))
    expect(result.spec.params).toEqual({
      start_date: { type: 'date', default: '2024-01-01', description: 'first day' },
      limit: { type: 'integer', default: 10 },
      ratio: { type: 'number', default: 0.5 },
      dry_run: { type: 'boolean', default: false },
      region: { type: 'string', description: 'required' },
      when: { type: 'datetime', default: '2024-01-01T00:00:00Z' },
    })
    expect(result.problems.map((p) => [p.code, p.cellId])).toEqual([['bad_parameter', params.id]])
    expect(result.spec.steps).toHaveLength(1)
    expect(result.spec.steps[0]?.with?.cells).toEqual([run.id])
    expect(result.spec.steps[0]?.with?.parameters).toMatchObject({ limit: '{{ params.limit }}' })
  })

  it('reports SQL that does not parse as a problem and still compiles the rest', async () => {
    const broken = sql('SELECT * FROM WHERE nowhere')
    const ok = sql('CREATE TABLE t AS SELECT 1 AS x')
    const weird = sql('VACUUM t')
    const result = await compile(notebook(broken, ok, weird))
    expect(result.problems.map((p) => [p.code, p.cellId])).toEqual([
      ['sql_parse', broken.id],
      ['sql_unrecognised', weird.id],
    ])
    expect(result.problems[0]?.message).toContain('syntax error')
    expect(result.spec.steps.map((s) => s.id)).toEqual(['cell_1', 't', 'cell_3'])
  })

  it('reports a cycle between tagged steps and a variable read before any write, never throwing', async () => {
    const a1 = sql('CREATE TABLE t1 AS SELECT 1 AS x', { tags: ['step:a'] })
    const b1 = sql('CREATE TABLE t2 AS SELECT * FROM t1', { tags: ['step:b'] })
    const a2 = sql('CREATE TABLE t3 AS SELECT * FROM t2', { tags: ['step:a'] })
    const early = py('print(later_value)', { tags: ['step:c'] })
    const late = py('later_value = 1')
    const result = await compile(notebook(a1, b1, a2, early, late))
    const codes = result.problems.map((p) => p.code)
    expect(codes).toContain('cycle')
    expect(codes).toContain('read_before_write')
    expect(result.problems.find((p) => p.code === 'cycle')?.message).toMatch(/a -> b -> a|b -> a -> b/)
    expect(result.problems.find((p) => p.code === 'read_before_write')?.cellId).toBe(early.id)
    // The YAML still validates: the back edge is dropped and notebook order kept.
    expect(stepsOf(result)).toMatchObject({ a: { deps: [] }, b: { deps: ['a'] } })
    expect(codes).not.toContain('invalid_spec')
  })

  it('reads the tables of SUMMARIZE, DESCRIBE, EXPLAIN and PIVOT statements', async () => {
    const result = await compile(
      notebook(
        sql('CREATE TABLE base AS SELECT i, i % 2 AS k FROM range(4) t(i)'),
        sql('SUMMARIZE base'),
        sql('DESCRIBE base'),
        sql('EXPLAIN SELECT * FROM base'),
        sql('PIVOT base ON k USING count(*)'),
      ),
    )
    expect(result.problems).toEqual([])
    expect(result.spec.steps.slice(1).map((s) => s.depends_on)).toEqual([['base'], ['base'], ['base'], ['base']])
  })

  it('orders later writers after earlier readers and writers of a table', async () => {
    const create = sql('CREATE TABLE t AS SELECT 1 AS x')
    const read = sql('SELECT count(*) FROM t')
    const replace = sql('CREATE OR REPLACE TABLE t AS SELECT 2 AS x')
    const result = await compile(notebook(create, read, replace))
    expect(stepsOf(result)).toEqual({
      t: { type: 'sql', deps: [] },
      cell_2: { type: 'sql', deps: ['t'] },
      t_2: { type: 'sql', deps: ['t', 'cell_2'] },
    })
  })

  it('tells a variable that crosses tagged steps (each step runs in a fresh kernel)', async () => {
    const a = py('frame = 1', { tags: ['step:make'] })
    const b = py('print(frame)', { tags: ['step:use'] })
    const result = await compile(notebook(a, b))
    expect(result.problems.map((p) => [p.code, p.step])).toEqual([['variable_across_steps', 'use']])
  })
})

describe('scanPython (best effort)', () => {
  it('tells tables of different connections apart: a PostgreSQL orders is not the DuckDB orders', async () => {
    const result = await compile(
      notebook(
        sql('CREATE TABLE orders AS SELECT * FROM range(3) t(id)'),
        sql('CREATE TABLE orders_copy AS SELECT * FROM orders', { connection: 'pg' }),
        sql('CREATE TABLE totals AS SELECT count(*) AS n FROM orders'),
        sql('CREATE TABLE pg_totals AS SELECT * FROM orders_copy', { connection: 'pg' }),
      ),
    )
    expect(result.problems).toEqual([])
    // Only same-connection tables order the steps: the DuckDB writer of orders does not feed the PostgreSQL read.
    expect(stepsOf(result)).toEqual({
      orders: { type: 'sql', deps: [] },
      orders_copy: { type: 'sql', deps: [] },
      totals: { type: 'sql', deps: ['orders'] },
      pg_totals: { type: 'sql', deps: ['orders_copy'] },
    })
    expect(result.steps.find((s) => s.id === 'orders_copy')?.reads).toEqual(['pg:orders'])
  })

  it('describes the pipeline with the notebook it came from, not its own name', async () => {
    const result = await compileNotebookWith(
      notebook(sql('SELECT 1')),
      { name: 'nightly-load', notebookName: 'Sales analysis', notebookId: 'nb-1' },
      parseSql,
    )
    expect(result.spec.metadata).toMatchObject({
      name: 'nightly-load',
      description: 'Compiled from notebook Sales analysis',
    })
  })

  it('finds module-level writes and names read before they are assigned', () => {
    const names = scanPython(
      [
        'import numpy as np, os',
        'from x.y import (a as b, c)',
        "result = df[df['v'] > limit]  # filter",
        'total += 1',
        'text = f\'{hidden}\' + "a = b"',
        'for row in rows:',
        '    acc = row * factor',
        'def helper(p, q=2):',
        '    local = p + q + scale',
        '    return local',
        'squares = [k * k for k in range(3)]',
        "frame.loc[0, 'x'] = 5",
        'with open(path) as fh:',
        '    content = fh.read()',
      ].join('\n'),
    )
    expect(new Set(names.writes)).toEqual(
      new Set([
        'np',
        'os',
        'b',
        'c',
        'result',
        'total',
        'text',
        'row',
        'acc',
        'helper',
        'squares',
        'frame',
        'fh',
        'content',
      ]),
    )
    expect(new Set(names.reads)).toEqual(new Set(['df', 'limit', 'total', 'rows', 'factor', 'scale', 'frame', 'path']))
  })
})
