/**
 * Every DuckDB type a SQL cell can return, each with edge values (NULL included), for the results and hand-over
 * differential tests. A case is one column: `values` are SQL literals of `type`.
 */
export interface TypeCase {
  /** Column name (also the Python variable suffix). */
  name: string
  type: string
  values: string[]
  /** The type the values are built in when `type` cannot be a CASE result (a fixed-size ARRAY): cast at the end. */
  via?: string
}

const ENUM = "ENUM('low', 'mid', 'high')"
const UNION = 'UNION(num INTEGER, txt VARCHAR)'

export const TYPE_CASES: TypeCase[] = [
  { name: 'bool', type: 'BOOLEAN', values: ['true', 'false', 'NULL'] },
  { name: 'tinyint', type: 'TINYINT', values: ['-128', '127', '0', 'NULL'] },
  { name: 'smallint', type: 'SMALLINT', values: ['-32768', '32767', 'NULL'] },
  { name: 'integer', type: 'INTEGER', values: ['-2147483648', '2147483647', 'NULL'] },
  {
    name: 'bigint',
    type: 'BIGINT',
    values: ['1234567890123456789', '-9223372036854775808', '9223372036854775807', 'NULL'],
  },
  {
    name: 'hugeint',
    type: 'HUGEINT',
    values: ['170141183460469231731687303715884105727', '-12345678901234567890123', '1', 'NULL'],
  },
  { name: 'utinyint', type: 'UTINYINT', values: ['255', '0', 'NULL'] },
  { name: 'usmallint', type: 'USMALLINT', values: ['65535', 'NULL'] },
  { name: 'uinteger', type: 'UINTEGER', values: ['4294967295', 'NULL'] },
  { name: 'ubigint', type: 'UBIGINT', values: ['18446744073709551615', '0', 'NULL'] },
  { name: 'uhugeint', type: 'UHUGEINT', values: ['340282366920938463463374607431768211455', 'NULL'] },
  {
    name: 'float',
    type: 'FLOAT',
    values: ['1.1', '-0.0', "'nan'", "'inf'", "'-inf'", '3.4028235e38', '1e-45', 'NULL'],
  },
  {
    name: 'double',
    type: 'DOUBLE',
    values: ['0.1', '-0.0', "'nan'", "'inf'", "'-inf'", '1e308', '5e-324', '1e-7', 'NULL'],
  },
  { name: 'dec_small', type: 'DECIMAL(10,2)', values: ['1.25', '-99999999.99', '0.01', 'NULL'] },
  { name: 'dec_18', type: 'DECIMAL(18,6)', values: ['123456789012.123456', '-0.000001', 'NULL'] },
  {
    name: 'dec_38',
    type: 'DECIMAL(38,9)',
    values: ['12345678901234567890123456789.123456789', '-0.000000001', 'NULL'],
  },
  { name: 'varchar', type: 'VARCHAR', values: ["'hello'", "''", "'ünïcødé ✓'", "'tab\tquote\"'", 'NULL'] },
  { name: 'blob', type: 'BLOB', values: ["'\\x00\\xFFab'::BLOB", "''::BLOB", 'NULL'] },
  { name: 'bit', type: 'BIT', values: ["'101'", "'00000000011'", 'NULL'] },
  {
    name: 'uuid',
    type: 'UUID',
    values: ["'00000000-0000-0000-0000-000000000001'", "'ffffffff-ffff-ffff-ffff-ffffffffffff'", 'NULL'],
  },
  { name: 'json', type: 'JSON', values: [`'{"a": [1, 2.5, null], "b": "x"}'`, "'[]'", 'NULL'] },
  { name: 'enum', type: ENUM, values: ["'high'", "'low'", 'NULL'] },
  { name: 'date', type: 'DATE', values: ["'2024-02-29'", "'0001-01-01'", "'1969-12-31'", 'NULL'] },
  { name: 'date_inf', type: 'DATE', values: ["'infinity'", "'-infinity'", "'2024-01-01'", 'NULL'] },
  { name: 'time', type: 'TIME', values: ["'00:00:00'", "'23:59:59.999999'", 'NULL'] },
  { name: 'timetz', type: 'TIMETZ', values: ["'12:34:56+02'", "'00:00:00-05:30'", 'NULL'] },
  { name: 'timestamp', type: 'TIMESTAMP', values: ["'2024-01-02 03:04:05.123456'", "'1900-01-01 00:00:00'", 'NULL'] },
  { name: 'timestamp_inf', type: 'TIMESTAMP', values: ["'infinity'", "'-infinity'", 'NULL'] },
  { name: 'timestamp_s', type: 'TIMESTAMP_S', values: ["'2024-01-02 03:04:05'", 'NULL'] },
  { name: 'timestamp_ms', type: 'TIMESTAMP_MS', values: ["'2024-01-02 03:04:05.123'", 'NULL'] },
  { name: 'timestamp_ns', type: 'TIMESTAMP_NS', values: ["'2024-01-02 03:04:05.123456789'", 'NULL'] },
  {
    name: 'timestamptz',
    type: 'TIMESTAMPTZ',
    values: ["'2024-01-02 03:04:05.5+00'", "'2024-07-01 12:00:00+00'", "'1850-01-01 00:00:00+00'", 'NULL'],
  },
  {
    name: 'interval',
    type: 'INTERVAL',
    values: ["'1 year 2 months 3 days 04:05:06.000007'", "'-1 month 2 days 03:00:00'", "'0 seconds'", 'NULL'],
  },
  { name: 'int_list', type: 'INTEGER[]', values: ['[1, 2, 3]', '[1, NULL]', '[]', 'NULL'] },
  { name: 'varchar_list', type: 'VARCHAR[]', values: ["['a', NULL, 'c']", 'NULL'] },
  { name: 'double_list', type: 'DOUBLE[]', values: ["[1.5, 'nan'::DOUBLE, -0.0]", '[NULL, 2.0]', 'NULL'] },
  { name: 'date_list', type: 'DATE[]', values: ["['2024-01-01', NULL]", "['1999-12-31']", 'NULL'] },
  { name: 'nested_list', type: 'INTEGER[][]', values: ['[[1], [2, NULL], NULL]', 'NULL'] },
  { name: 'int_array', type: 'INTEGER[3]', via: 'INTEGER[]', values: ['[1, 2, 3]', '[NULL, 5, 6]', 'NULL'] },
  {
    name: 'struct',
    type: 'STRUCT(i INTEGER, s VARCHAR, d DATE, iv INTERVAL, h HUGEINT, dec DECIMAL(38,2), l INTEGER[])',
    values: [
      "{'i': 1, 's': 'x', 'd': '2024-01-01', 'iv': '1 day', 'h': 12345678901234567890123, 'dec': 1.25, 'l': [1, NULL]}",
      "{'i': NULL, 's': NULL, 'd': NULL, 'iv': NULL, 'h': NULL, 'dec': NULL, 'l': NULL}",
      'NULL',
    ],
  },
  { name: 'map', type: 'MAP(VARCHAR, INTEGER)', values: ["MAP {'a': 1, 'b': NULL}", 'MAP {}', 'NULL'] },
  { name: 'map_interval', type: 'MAP(INTEGER, INTERVAL)', values: ["MAP {1: INTERVAL '1 hour'}", 'NULL'] },
  {
    name: 'union',
    type: UNION,
    values: [`union_value(num := 42)::${UNION}`, `union_value(txt := 'forty-two')::${UNION}`, 'NULL'],
  },
  { name: 'uuid_list', type: 'UUID[]', values: ["['00000000-0000-0000-0000-00000000000a']", 'NULL'] },
  {
    name: 'enum_struct',
    type: `STRUCT(e ${ENUM}, b BIT, u UUID)`,
    values: ["{'e': 'mid', 'b': '1', 'u': '00000000-0000-0000-0000-00000000000b'}", 'NULL'],
  },
]

/**
 * A query with one row per value of each case: column `i` (the row number) then the case's column. Rows beyond
 * the values repeat them, so `rows` can make a result several pages long.
 */
export function caseQuery(c: TypeCase, rows = c.values.length): string {
  return `SELECT i, ${caseColumn(c)} FROM range(${rows}) t(i) ORDER BY i`
}

/** Every case in one result: the column `i` then one column per case. */
export function wideQuery(cases: TypeCase[], rows: number): string {
  return `SELECT i, ${cases.map(caseColumn).join(', ')} FROM range(${rows}) t(i) ORDER BY i`
}

function caseColumn(c: TypeCase): string {
  const when = c.values.map((v, k) => `WHEN ${k} THEN (${v})::${c.via ?? c.type}`).join(' ')
  return `CAST(CASE i % ${c.values.length} ${when} END AS ${c.type}) AS "${c.name}"`
}
