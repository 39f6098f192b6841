import {
  type DuckDBDateValue,
  type DuckDBResultReader,
  type DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  type DuckDBValueConverter,
  type Json,
  JsonDuckDBValueConverter,
} from '@duckdb/node-api'

/**
 * DuckDB values as JSON, spelled as DuckDB itself renders them (`CAST(v AS VARCHAR)`, what its CLI shows) wherever
 * the driver's own JSON conversion says something else:
 * - DATE ±infinity is `infinity` / `-infinity` (the driver prints the sentinel day, `5881580-07-11`);
 * - TIMESTAMPTZ is shown in the session's `TimeZone` with its offset (the driver uses the server process's zone);
 * - FLOAT is the shortest decimal that reads back as the same 32-bit float (`1.1`, not `1.100000023841858`);
 * - FLOAT/DOUBLE values JSON has no number for are strings as DuckDB spells them: `nan`, `inf`, `-inf`, `-0.0`.
 *   In a FLOAT/DOUBLE column (or list, struct field…) a string is always one of these four; see {@link SPECIAL_FLOATS}.
 * Everything else keeps the driver's convention: BIGINT/HUGEINT/DECIMAL as strings, INTERVAL as
 * `{months, days, micros}`, LIST/ARRAY as arrays, STRUCT as objects, MAP as `[{key, value}]`, UNION as `{tag, value}`.
 */
export const SPECIAL_FLOATS = ['nan', 'inf', '-inf', '-0.0'] as const

const DATE_INFINITY = 2_147_483_647
const DATE_NEG_INFINITY = -2_147_483_647

/** A JSON converter for one session time zone. */
export function jsonConverter(timeZone: string | undefined): DuckDBValueConverter<Json> {
  const offsets = timeZone ? zoneOffsets(timeZone) : undefined
  const own: Partial<Record<DuckDBTypeId, (value: DuckDBValue) => Json>> = {
    [DuckDBTypeId.DOUBLE]: (value) => floatJson(Number(value), (n) => n),
    [DuckDBTypeId.FLOAT]: (value) => floatJson(Number(value), shortestFloat32),
    [DuckDBTypeId.DATE]: (value) => {
      const days = (value as DuckDBDateValue).days
      if (days === DATE_INFINITY) return 'infinity'
      if (days === DATE_NEG_INFINITY) return '-infinity'
      return String(value)
    },
    [DuckDBTypeId.TIMESTAMP_TZ]: (value) => {
      const timestamp = value as DuckDBTimestampTZValue
      if (!offsets || !timestamp.isFinite) return String(value)
      return timestampTzText(timestamp.micros, offsets)
    },
  }
  // Nested values come back through `converter`, so list items and struct fields get the same treatment.
  const convert: DuckDBValueConverter<Json> = (value, type, converter) => {
    if (value === null || value === undefined) return null
    const special = own[type.typeId]
    return special ? special(value) : JsonDuckDBValueConverter(value, type, converter)
  }
  return convert
}

/** Rows of a reader as JSON values (see {@link jsonConverter}). */
export function rowsJson(reader: DuckDBResultReader, timeZone: string | undefined): unknown[][] {
  return reader.convertRows(jsonConverter(timeZone)) as unknown[][]
}

/**
 * A column type as DuckDB names it, aliases included (`JSON`, `JSON[]`, `STRUCT(a JSON)`): the driver's own
 * `toString` drops them, so a JSON column would claim to be VARCHAR.
 */
export function typeName(type: DuckDBType): string {
  if (type.alias) return type.alias
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
      return `${typeName(type.valueType)}[]`
    case DuckDBTypeId.ARRAY:
      return `${typeName(type.valueType)}[${type.length}]`
    case DuckDBTypeId.STRUCT:
      return `STRUCT(${type.entryNames.map((n, i) => `${quoteName(n)} ${typeName(type.entryTypes[i] as DuckDBType)}`).join(', ')})`
    case DuckDBTypeId.MAP:
      return `MAP(${typeName(type.keyType)}, ${typeName(type.valueType)})`
    case DuckDBTypeId.UNION:
      return `UNION(${type.memberTags.map((n, i) => `${quoteName(n)} ${typeName(type.memberTypes[i] as DuckDBType)}`).join(', ')})`
    default:
      return String(type)
  }
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

function floatJson(n: number, shortest: (n: number) => number): Json {
  if (Number.isNaN(n)) return 'nan'
  if (n === Number.POSITIVE_INFINITY) return 'inf'
  if (n === Number.NEGATIVE_INFINITY) return '-inf'
  if (Object.is(n, -0)) return '-0.0'
  return shortest(n)
}

/** The number with the fewest digits that is the same 32-bit float as `n` (what DuckDB prints for a FLOAT). */
export function shortestFloat32(n: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(n.toPrecision(digits))
    if (Math.fround(candidate) === n) return candidate
  }
  return n
}

interface ZoneOffsets {
  /** Offset east of UTC in seconds at an instant (ms since the epoch). */
  at(ms: number): number
}

const MAX_JS_DATE_MS = 8_640_000_000_000_000

function zoneOffsets(timeZone: string): ZoneOffsets | undefined {
  let format: Intl.DateTimeFormat
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
  } catch {
    return undefined
  }
  return {
    at(ms) {
      const clamped = Math.max(-MAX_JS_DATE_MS, Math.min(MAX_JS_DATE_MS, ms))
      const name = format.formatToParts(new Date(clamped)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT'
      const match = /^GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(name)
      if (!match) return 0
      const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0)
      return match[1] === '-' ? -seconds : seconds
    },
  }
}

/** `2024-01-01 22:04:05.5-05`, as DuckDB renders a TIMESTAMPTZ in a zone (offset to the minute, like DuckDB). */
function timestampTzText(micros: bigint, offsets: ZoneOffsets): string {
  const offset = offsets.at(Number(micros / 1000n))
  const local = new DuckDBTimestampValue(micros + BigInt(offset) * 1_000_000n)
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.abs(offset)
  const hours = String(Math.floor(abs / 3600)).padStart(2, '0')
  const minutes = Math.floor((abs % 3600) / 60)
  return `${local}${sign}${hours}${minutes ? `:${String(minutes).padStart(2, '0')}` : ''}`
}
