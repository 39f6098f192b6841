import { describe, expect, it } from 'vitest'
import { detectHeaderRow } from './xlsx.ts'
import { boolCell, isoDateCell, numberCell } from './xlsx-cells.ts'
import { formatKind } from './xlsx-workbook.ts'
import { columnIndex, columnLetters, decodeXml, stringItemText, unescapeOoxml } from './xlsx-xml.ts'

const text = (value: string, style: Parameters<typeof numberCell>[2], date1904 = false) =>
  numberCell(0, value, style, date1904)

describe('workbook cells', () => {
  it('keeps the digits of numbers: whole numbers up to int64 are ints, the rest floats', () => {
    expect(text('42', 'number')).toEqual({ column: 0, kind: 'int', text: '42' })
    expect(text('9223372036854775807', 'number').kind).toBe('int')
    expect(text('9223372036854775808', 'number').kind).toBe('float')
    expect(text('0.1', 'number')).toEqual({ column: 0, kind: 'float', text: '0.1' })
    expect(text('1E+19', 'number').kind).toBe('float')
    expect(text('abc', 'number').kind).toBe('error')
  })

  it('reads serial dates in both date systems, as openpyxl does', () => {
    expect(text('1', 'date').text).toBe('1900-01-01')
    expect(text('59', 'date').text).toBe('1900-02-28')
    expect(text('61', 'date').text).toBe('1900-03-01')
    expect(text('45351', 'date').text).toBe('2024-02-29')
    expect(text('1', 'date', true).text).toBe('1904-01-02')
    expect(text('43890', 'date', true).text).toBe('2024-03-01')
    // 29 Feb 1900 never was: refused, not moved to a neighbouring day.
    expect(text('60', 'date')).toMatchObject({ kind: 'error', text: expect.stringContaining('29 Feb 1900') })
  })

  it('types date-times, times and durations to the millisecond', () => {
    expect(text('45322.5732653125', 'datetime')).toMatchObject({ kind: 'datetime', text: '2024-01-31 13:45:30.123' })
    expect(text('45322', 'datetime')).toMatchObject({ kind: 'datetime', text: '2024-01-31 00:00:00' })
    expect(text('45322.5', 'date')).toMatchObject({ kind: 'datetime', text: '2024-01-31 12:00:00' })
    expect(text('0.999994212962963', 'datetime')).toMatchObject({ kind: 'time', text: '23:59:59.500' })
    expect(text('1.5', 'duration')).toMatchObject({ kind: 'duration', text: '36:00:00' })
  })

  it('reads booleans and ISO dates (t="b", t="d")', () => {
    expect(boolCell(0, '1').text).toBe('true')
    expect(boolCell(0, '0').text).toBe('false')
    expect(boolCell(0, 'yes').kind).toBe('error')
    expect(isoDateCell(0, '2024-01-31')).toMatchObject({ kind: 'date', text: '2024-01-31' })
    expect(isoDateCell(0, '2024-01-31T10:20:30.5Z')).toMatchObject({ kind: 'datetime', text: '2024-01-31 10:20:30.5' })
    expect(isoDateCell(0, '2024-01-31T10:20:30+02:00').kind).toBe('error')
  })

  it('tells date, date-time and duration formats from number formats', () => {
    expect(formatKind('yyyy-mm-dd')).toBe('date')
    expect(formatKind('mm-dd-yy')).toBe('date')
    expect(formatKind('yyyy-mm-dd hh:mm:ss.000')).toBe('datetime')
    expect(formatKind('[h]:mm:ss')).toBe('duration')
    expect(formatKind('0.00')).toBe('number')
    expect(formatKind('"Day "0')).toBe('number')
    expect(formatKind('[Red]0.00')).toBe('number')
    expect(formatKind(undefined)).toBe('number')
  })
})

describe('workbook XML', () => {
  it('decodes entities and OOXML escapes, joins rich text runs, drops phonetic guides', () => {
    expect(decodeXml('a &amp; b &lt;c&gt; &#233; &#x4E2D;')).toBe('a & b <c> é 中')
    expect(unescapeOoxml('one_x000D_two')).toBe('one\rtwo')
    expect(
      stringItemText(
        '<r><rPr><b/></rPr><t>bold</t></r><r><t xml:space="preserve"> and </t></r><rPh sb="0" eb="1"><t>ふ</t></rPh>',
      ),
    ).toBe('bold and ')
    expect(stringItemText('<t/>')).toBe('')
  })

  it('converts column letters both ways', () => {
    expect(columnIndex('A1')).toBe(0)
    expect(columnIndex('AA10')).toBe(26)
    expect(columnIndex('XFD1')).toBe(16383)
    expect(columnLetters(0)).toBe('A')
    expect(columnLetters(26)).toBe('AA')
    expect(columnLetters(16383)).toBe('XFD')
  })

  it('finds the header below title, note and blank rows', () => {
    expect(detectHeaderRow([])).toBe(0)
    expect(
      detectHeaderRow([
        { row: 1, filled: 1 },
        { row: 2, filled: 2 },
        { row: 4, filled: 5 },
        { row: 5, filled: 5 },
      ]),
    ).toBe(4)
    expect(
      detectHeaderRow([
        { row: 1, filled: 3 },
        { row: 2, filled: 3 },
      ]),
    ).toBe(1)
  })
})
