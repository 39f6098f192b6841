import { describe, expect, it } from 'vitest'
import { headerPageRequest, inRange, rangeText } from './grid-model.ts'

const columns = [{ name: 'id' }, { name: 'name' }, { name: 'a.b' }]

describe('header sort and filters -> page request', () => {
  it('names columns by index, keeps sort order and maps every filter option the server answers', () => {
    expect(
      headerPageRequest(
        columns,
        200,
        400,
        [
          { colId: '2', sort: 'desc' },
          { colId: '0', sort: 'asc' },
        ],
        {
          0: { filterType: 'number', type: 'greaterThanOrEqual', filter: 10 },
          1: { filterType: 'text', type: 'contains', filter: 'ann' },
          2: { filterType: 'text', type: 'blank' },
        },
      ),
    ).toEqual({
      offset: 200,
      limit: 200,
      sort: [
        { column: 'a.b', descending: true },
        { column: 'id', descending: false },
      ],
      filter: [
        { column: 'id', op: '>=', value: 10 },
        { column: 'name', op: 'contains', value: 'ann' },
        { column: 'a.b', op: 'is_null' },
      ],
    })
  })

  it('drops empty conditions, unknown options and unknown columns instead of sending them', () => {
    expect(
      headerPageRequest(columns, 0, 100, [{ colId: '9', sort: 'asc' }], {
        0: { type: 'equals', filter: '' },
        1: { type: 'startsWith', filter: 'x' },
        7: { type: 'equals', filter: 1 },
      }),
    ).toEqual({ offset: 0, limit: 100 })
  })
})

describe('copy ranges', () => {
  it('copies one cell as its value, and a block with its header line, NULL shown as the grid shows it', () => {
    const rows = [
      [1, 'a\tb', null],
      [2, 'line\nbreak', 'x'],
    ]
    expect(rangeText(columns, rows.slice(0, 1), 1, 1)).toBe('a b')
    expect(rangeText(columns, rows, 1, 2)).toBe('name\ta.b\na b\tNULL\nline break\tx')
  })

  it('knows which cells a range covers, whichever corner it started from', () => {
    const range = { anchor: { row: 5, col: 2 }, focus: { row: 3, col: 0 } }
    expect(inRange(range, 4, 1)).toBe(true)
    expect(inRange(range, 6, 1)).toBe(false)
    expect(inRange(undefined, 0, 0)).toBe(false)
  })
})
