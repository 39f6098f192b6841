import type { NumberStyle } from './xlsx-workbook.ts'

/**
 * What a cell holds, decided from its type attribute and style, never from how its text looks: a string
 * `"00123"` stays text and a number formatted as a date becomes a date.
 */
export type CellKind = 'string' | 'int' | 'float' | 'bool' | 'date' | 'datetime' | 'time' | 'duration' | 'error'

/**
 * One non-empty cell. `text` is the exact value in the form DuckDB casts without loss: numbers as the digits
 * the file stores, dates as ISO 8601, booleans as `true`/`false`. For `error` it is what the cell shows
 * (`#N/A`, `#DIV/0!`) or why its value cannot be represented.
 */
export interface Cell {
  column: number
  kind: CellKind
  text: string
}

const INTEGER = /^-?\d+$/
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/
const INT64_MAX = 9223372036854775807n
const DAY_MS = 86_400_000
/** Serial day 0 of each date system (the 1900 system's is 1899-12-31, shifted a day by its phantom 29 Feb). */
const EPOCH_1900 = Date.UTC(1899, 11, 30)
const EPOCH_1904 = Date.UTC(1904, 0, 1)

/** A `<v>` of a number cell, typed by its style. */
export function numberCell(column: number, value: string, style: NumberStyle, date1904: boolean): Cell {
  if (!NUMBER.test(value)) return { column, kind: 'error', text: `${JSON.stringify(value)} is not a number` }
  if (style === 'number') {
    if (INTEGER.test(value) && (value.length < 19 || absBig(value) <= INT64_MAX))
      return { column, kind: 'int', text: value }
    return { column, kind: 'float', text: value }
  }
  const serial = Number(value)
  if (style === 'duration') return durationCell(column, serial)
  return serialDateCell(column, serial, style, date1904)
}

function absBig(digits: string): bigint {
  return BigInt(digits.startsWith('-') ? digits.slice(1) : digits)
}

/**
 * A date-formatted serial number as openpyxl (and so pandas) reads it: fractions rounded to the millisecond,
 * values in [0, 1) are times of day. Serial 60 of the 1900 system is 29 Feb 1900, a day that never was
 * (Lotus' leap-year bug, kept by Excel): refused rather than moved to another day.
 */
function serialDateCell(column: number, serial: number, style: NumberStyle, date1904: boolean): Cell {
  let days = Math.floor(serial)
  let ms = Math.round((serial - days) * DAY_MS)
  if (ms === DAY_MS) {
    days += 1
    ms = 0
  }
  if (serial >= 0 && serial < 1) return { column, kind: 'time', text: timeText(ms) }
  if (!date1904 && days === 60)
    return { column, kind: 'error', text: '29 Feb 1900 does not exist (the 1900 date system counts it anyway)' }
  // Serials before 1 (Excel shows them as ####) count back from the epoch, as openpyxl writes and reads them.
  if (!date1904 && days > 0 && days < 60) days += 1
  const at = new Date((date1904 ? EPOCH_1904 : EPOCH_1900) + days * DAY_MS + ms)
  if (at.getUTCFullYear() > 9999) return { column, kind: 'error', text: `serial ${serial} is after year 9999` }
  const day = at.toISOString().slice(0, 10)
  if (style === 'date' && ms === 0) return { column, kind: 'date', text: day }
  return { column, kind: 'datetime', text: `${day} ${timeText(ms)}` }
}

function durationCell(column: number, serial: number): Cell {
  const total = Math.round(serial * DAY_MS)
  const sign = total < 0 ? '-' : ''
  const abs = Math.abs(total)
  const hours = Math.floor(abs / 3_600_000)
  return { column, kind: 'duration', text: `${sign}${hours}:${timeText(abs % 3_600_000).slice(3)}` }
}

/** `HH:MM:SS`, with `.mmm` when there are milliseconds. */
function timeText(ms: number): string {
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = Math.floor((ms % 60_000) / 1000)
  const rest = ms % 1000
  const base = `${pad(h)}:${pad(m)}:${pad(s)}`
  return rest === 0 ? base : `${base}.${String(rest).padStart(3, '0')}`
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/
const ISO_TIME = /^(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/

/** A `t="d"` cell: an ISO 8601 date, date-time or time written as text (strict OOXML writers). */
export function isoDateCell(column: number, value: string): Cell {
  const date = ISO_DATE.exec(value)
  if (date) {
    const [, day, time, zone] = date
    if (zone && zone !== 'Z' && !/^[+-]00:?00$/.test(zone))
      return { column, kind: 'error', text: `${value} has a time zone offset, which a TIMESTAMP cannot keep` }
    if (!time) return { column, kind: 'date', text: day ?? '' }
    return { column, kind: 'datetime', text: `${day} ${time.length === 5 ? `${time}:00` : time}` }
  }
  const time = ISO_TIME.exec(value)
  if (time) return { column, kind: 'time', text: value.length === 5 ? `${value}:00` : value }
  return { column, kind: 'error', text: `${JSON.stringify(value)} is not an ISO 8601 date` }
}

/** A `t="b"` cell. */
export function boolCell(column: number, value: string): Cell {
  if (value === '1' || value === 'true') return { column, kind: 'bool', text: 'true' }
  if (value === '0' || value === 'false') return { column, kind: 'bool', text: 'false' }
  return { column, kind: 'error', text: `${JSON.stringify(value)} is not a boolean` }
}
