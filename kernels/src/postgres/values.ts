import pg from 'pg'

/**
 * Type parsers that keep values JSON-safe and lossless, matching what the DuckDB kernel sends: dates,
 * timestamps and intervals stay the server's text (a JS Date would shift zones and drop microseconds),
 * int8 and numeric stay strings, bytea stays `\x..` text. Everything else uses pg's defaults.
 */
const RAW_TEXT = new Set<number>([
  1082, // date
  1083, // time
  1114, // timestamp
  1184, // timestamptz
  1186, // interval
  1266, // timetz
  17, // bytea
  20, // int8
  1700, // numeric
  1182, // date[]
  1115, // timestamp[]
  1185, // timestamptz[]
  1187, // interval[]
  1001, // bytea[]
  1016, // int8[]
  1231, // numeric[]
])

const identity = (value: string) => value

export const jsonSafeTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    RAW_TEXT.has(oid) ? identity : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
}
