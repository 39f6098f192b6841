import { YNotebook } from '@jupyter/ydoc'
import { describe, expect, it } from 'vitest'
import {
  cellKind,
  insertCell,
  mergeWithNext,
  setChart,
  setKind,
  setSqlOutput,
  splitCell,
  sqlSettings,
} from '../src/core/notebook/cells.ts'
import { chartChoiceOf, chartCoverage, chartSpec, localChartData } from '../src/core/notebook/chart-spec.ts'
import { formatSqlCell } from '../src/core/notebook/sql-format.ts'
import { isInternalName, isMagicLine, sqlErrorPosition } from '../src/core/notebook/sql-support.ts'
import type { TableData } from '../src/core/notebook/table-types.ts'
import { applyLocally, isSpecialFloat, pageRequest, toDelimited } from '../src/core/notebook/table-view.ts'

const sources = (nb: YNotebook) => nb.cells.map((c) => c.ysource.toString())

describe('cell operations on the shared document', () => {
  it('splits at the cursor and merges back, keeping the SQL magic on the first part only', () => {
    const nb = new YNotebook({})
    insertCell(nb, 0, 'sql', 'SELECT 1\nFROM t')
    const text = nb.cells[0]?.ysource.toString() ?? ''
    expect(text).toBe('%%sql\nSELECT 1\nFROM t')
    splitCell(nb, 0, text.indexOf('FROM'))
    expect(sources(nb)).toEqual(['%%sql\nSELECT 1', '%%sql\nFROM t'])
    expect(nb.cells.map(cellKind)).toEqual(['sql', 'sql'])
    mergeWithNext(nb, 0)
    expect(sources(nb)).toEqual(['%%sql\nSELECT 1\nFROM t'])
  })

  it('changes a cell kind in place, keeping its id and text', () => {
    const nb = new YNotebook({})
    insertCell(nb, 0, 'python', 'x = 1')
    const id = nb.cells[0]?.id
    setKind(nb, 0, 'sql')
    expect(nb.cells[0]?.id).toBe(id)
    expect(sources(nb)).toEqual(['%%sql\nx = 1'])
    expect(sqlSettings(nb.cells[0] as never)).toEqual({ type: 'sql', connection: 'duckdb', output: undefined })
    setKind(nb, 0, 'markdown')
    expect(sources(nb)).toEqual(['x = 1'])
    expect(nb.cells[0]?.cell_type).toBe('markdown')
  })

  it('binds a SQL result to a name in both the metadata and the magic line', () => {
    const nb = new YNotebook({})
    insertCell(nb, 0, 'sql', 'SELECT 1')
    const cell = nb.cells[0] as never
    setSqlOutput(cell, 'df')
    expect(sources(nb)).toEqual(['%%sql df <<\nSELECT 1'])
    expect(sqlSettings(cell)).toEqual({ type: 'sql', connection: 'duckdb', output: 'df' })
    setSqlOutput(cell, '')
    expect(sources(nb)).toEqual(['%%sql\nSELECT 1'])
  })
})

describe('SQL error positions', () => {
  it('reads DuckDB caret lines, shifted past the magic line', () => {
    const evalue = `Parser Error: syntax error at or near "FORM"\n\nLINE 1: SELECT * FORM t\n${' '.repeat(17)}^`
    expect(sqlErrorPosition(evalue, 'SELECT * FORM t', 1)).toEqual({
      line: 2,
      column: 10,
      message: 'Parser Error: syntax error at or near "FORM"',
    })
  })

  it('reads PostgreSQL character positions over multi-line statements', () => {
    expect(
      sqlErrorPosition('column "nope" does not exist at character 17', 'SELECT 1,\n  nope FROM t', 1),
    ).toMatchObject({
      line: 3,
      column: 7,
    })
  })

  it("takes the kernel's (line N, column M) as lines of the cell, magic line included", () => {
    // The server blanks the %%sql line, so line 3 is the third line of `%%sql\nSELECT\n  nope FROM t`.
    const evalue = 'Referenced column "nope" not found in FROM clause! (line 3, column 3)'
    expect(sqlErrorPosition(evalue, 'SELECT\n  nope FROM t', 1)).toMatchObject({ line: 3, column: 3 })
  })

  it('leaves internal names and magic lines out of completion', () => {
    expect(isInternalName('__workbench_result_r1')).toBe(true)
    expect(isInternalName('temp.main.__wb_obj')).toBe(true)
    expect(isInternalName('orders')).toBe(false)
    expect(isMagicLine('%%sql ')).toBe(true)
    expect(isMagicLine('SELECT 1 %% 2')).toBe(false)
  })

  it('gives no position when the error names none', () => {
    expect(sqlErrorPosition('Catalog Error: Table x does not exist', 'SELECT * FROM x', 1)).toBeUndefined()
  })
})

describe('result grid helpers', () => {
  const data: TableData = {
    columns: [
      { name: 'region', type: 'VARCHAR' },
      { name: 'amount', type: 'BIGINT' },
    ],
    rows: [
      ['north', '10'],
      ['south', '2'],
      ['north', null],
    ],
    offset: 0,
    totalRows: 3,
  }

  it('sorts numerically (BIGINT travels as strings), nulls last, and filters', () => {
    expect(applyLocally(data, { sort: { column: 'amount', descending: false } })).toEqual([
      ['south', '2'],
      ['north', '10'],
      ['north', null],
    ])
    expect(applyLocally(data, { filter: { column: 'region', op: '=', value: 'north' } })).toHaveLength(2)
    expect(applyLocally(data, { filter: { column: 'amount', op: 'is_null', value: '' } })).toEqual([['north', null]])
  })

  it('builds the page request the server pages with', () => {
    expect(
      pageRequest(
        { sort: { column: 'amount', descending: true }, filter: { column: 'amount', op: '>', value: '5' } },
        100,
        100,
      ),
    ).toEqual({
      offset: 100,
      limit: 100,
      sort: [{ column: 'amount', descending: true }],
      filter: [{ column: 'amount', op: '>', value: 5 }],
    })
  })

  it('tells special floats (as DuckDB spells them) from text, only in float columns', () => {
    expect(['nan', 'inf', '-inf', '-0.0'].map((v) => isSpecialFloat('DOUBLE', v))).toEqual([true, true, true, true])
    expect(isSpecialFloat('FLOAT', 'nan')).toBe(true)
    expect(isSpecialFloat('VARCHAR', 'nan')).toBe(false)
    expect(isSpecialFloat('DOUBLE', 1.5)).toBe(false)
  })

  it('quotes CSV fields that need it', () => {
    expect(toDelimited(['a', 'b'], [['x,y', 'say "hi"']], ',')).toBe('a,b\n"x,y","say ""hi"""')
  })

  it('draws a chart from computed values, small integer ranges as bands, dates on a UTC time axis', () => {
    const columns = [
      { name: 'bucket', type: 'BIGINT' },
      { name: 'n', type: 'BIGINT' },
    ]
    const rows = Array.from({ length: 70 }, (_, i) => [String(i % 7), String(i)])
    const histogram = localChartData({ kind: 'histogram', x: 'bucket' }, columns, rows, 70)
    expect(histogram.x.type).toBe('ordinal')
    expect(histogram.values).toHaveLength(7)
    expect(histogram.values.reduce((a, v) => a + Number(v.y), 0)).toBe(70)
    const spec = chartSpec(histogram) as { data: { values: unknown[] }; encoding: { x: { type: string } } }
    expect(spec.encoding.x.type).toBe('ordinal')
    expect(spec.data.values).toHaveLength(7)
    // Wide numeric ranges are binned with nice edges, as the server does.
    const wide = localChartData({ kind: 'histogram', x: 'n' }, columns, rows, 70)
    expect(wide.binned).toBe(true)
    expect(wide.values[0]).toMatchObject({ x: 0, x2: 5 })
    const dates = localChartData(
      { kind: 'bar', x: 'day', y: 'amount' },
      [
        { name: 'day', type: 'DATE' },
        { name: 'amount', type: 'INTEGER' },
      ],
      [
        ['2024-01-02', 3],
        ['2024-01-01', 1],
        ['2024-01-01', 2],
      ],
      3,
    )
    expect(dates.values).toEqual([
      { x: Date.UTC(2024, 0, 1), y: 3 },
      { x: Date.UTC(2024, 0, 2), y: 3 },
    ])
    const dateSpec = chartSpec(dates) as { encoding: { x: { timeUnit: string; scale: { type: string } } } }
    expect(dateSpec.encoding.x).toMatchObject({ timeUnit: 'utcyearmonthdate', scale: { type: 'utc' } })
    const pie = chartSpec(localChartData({ kind: 'pie', x: 'region', y: 'amount' }, data.columns, data.rows, 3)) as {
      mark: { type: string }
    }
    expect(pie.mark.type).toBe('arc')
  })

  it('says what a chart covers: every row, a sample, the largest groups, or only the rows at hand', () => {
    const base = {
      kind: 'bar' as const,
      values: [],
      x: { title: 'x', type: 'nominal' as const },
      y: { title: 'count' },
    }
    expect(chartCoverage({ ...base, totalRows: 5000 })).toBe('Computed over all 5,000 rows')
    expect(chartCoverage({ ...base, totalRows: 9000, sample: { shown: 5000, of: 9000, what: 'rows' } })).toBe(
      'A random sample of 5,000 of 9,000 rows',
    )
    expect(chartCoverage({ ...base, totalRows: 5000 }, { rows: 1000 })).toMatch(/^Drawn from the first 1,000 of 5,000/)
  })

  it('keeps the chart in the cell metadata when the SQL settings change, and reads only valid choices', () => {
    const nb = new YNotebook({})
    insertCell(nb, 0, 'sql', 'SELECT 1 AS a')
    const cell = nb.cells[0] as never
    setChart(cell, { kind: 'bar', x: 'a' })
    setSqlOutput(cell, 'df')
    const wb = (nb.cells[0]?.getMetadata('workbench') ?? {}) as { chart?: unknown; output?: string }
    expect(wb.output).toBe('df')
    expect(chartChoiceOf(wb.chart)).toEqual({ kind: 'bar', x: 'a', y: undefined, color: undefined })
    expect(chartChoiceOf({ kind: 'donut', x: 'a' })).toBeUndefined()
    setChart(cell, undefined)
    expect((nb.cells[0]?.getMetadata('workbench') ?? {}) as { chart?: unknown }).not.toHaveProperty('chart')
  })
})

describe('SQL formatting', () => {
  it('formats the statement and keeps the magic line as it is', () => {
    expect(formatSqlCell('%%sql df <<\nselect a,b from t where a>1')).toBe(
      '%%sql df <<\nSELECT\n  a,\n  b\nFROM\n  t\nWHERE\n  a > 1',
    )
  })
})
