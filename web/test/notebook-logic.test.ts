import { YNotebook } from '@jupyter/ydoc'
import { describe, expect, it } from 'vitest'
import {
  cellKind,
  insertCell,
  mergeWithNext,
  setKind,
  setSqlOutput,
  splitCell,
  sqlSettings,
} from '../src/core/notebook/cells.ts'
import { chartSpec } from '../src/core/notebook/chart-spec.ts'
import { formatSqlCell } from '../src/core/notebook/sql-format.ts'
import { isInternalName, isMagicLine, sqlErrorPosition } from '../src/core/notebook/sql-support.ts'
import type { TableData } from '../src/core/notebook/table-types.ts'
import { applyLocally, pageRequest, toDelimited } from '../src/core/notebook/table-view.ts'

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

  it('quotes CSV fields that need it', () => {
    expect(toDelimited(['a', 'b'], [['x,y', 'say "hi"']], ',')).toBe('a,b\n"x,y","say ""hi"""')
  })

  it('charts with inline numeric data (no remote loading)', () => {
    const spec = chartSpec({ kind: 'histogram', x: 'amount' }, data.columns, data.rows) as {
      data: { values: Record<string, unknown>[] }
      encoding: { x: { bin: boolean } }
    }
    expect(spec.data.values[0]).toEqual({ region: 'north', amount: 10 })
    expect(spec.encoding.x.bin).toBe(true)
    const pie = chartSpec({ kind: 'pie', x: 'region', y: 'amount' }, data.columns, data.rows) as {
      mark: { type: string }
    }
    expect(pie.mark.type).toBe('arc')
  })
})

describe('SQL formatting', () => {
  it('formats the statement and keeps the magic line as it is', () => {
    expect(formatSqlCell('%%sql df <<\nselect a,b from t where a>1')).toBe(
      '%%sql df <<\nSELECT\n  a,\n  b\nFROM\n  t\nWHERE\n  a > 1',
    )
  })
})
