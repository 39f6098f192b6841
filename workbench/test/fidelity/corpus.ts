import { writeFileSync } from 'node:fs'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import iconv from 'iconv-lite'

/**
 * One generated file of the differential corpus: its bytes on disk, the read options a user would set in the
 * preview (none for most), and DuckDB's own reader of the original file, which is the reference.
 */
export interface CorpusFile {
  name: string
  path: string
  /** What the user changes in the preview before importing (as the Files page sends it). */
  options?: Record<string, unknown>
  /** `read_csv(...)`, `read_json(...)` or `read_parquet(...)` of the file: what the import must equal. */
  reference: string
}

/** Scalar columns of DuckDB's `test_all_types()` that text (CSV) can carry. */
const CSV_SCALARS = [
  'bool',
  'tinyint',
  'smallint',
  'int',
  'bigint',
  'hugeint',
  'uhugeint',
  'utinyint',
  'usmallint',
  'uint',
  'ubigint',
  'date',
  'time',
  'timestamp',
  'timestamp_s',
  'timestamp_ms',
  'timestamp_ns',
  'time_tz',
  'timestamp_tz',
  'float',
  'double',
  'dec_4_1',
  'dec_9_4',
  'dec_18_6',
  'dec38_10',
  'uuid',
  'interval',
  'varchar',
]

/** Nested columns (LIST, STRUCT, MAP, fixed arrays) of `test_all_types()`, for JSON and Parquet. */
const NESTED = [
  'int_array',
  'double_array',
  'date_array',
  'timestamp_array',
  'timestamptz_array',
  'varchar_array',
  'nested_int_array',
  'struct',
  'struct_of_arrays',
  'array_of_structs',
  'map',
  'fixed_int_array',
  'fixed_varchar_array',
  'fixed_nested_int_array',
  'fixed_struct_array',
]

const q = (s: string) => `'${s.replaceAll("'", "''")}'`
const cols = (names: string[]) => names.map((n) => `"${n}"`).join(', ')

/** Writes the corpus into `dir` (DuckDB writes the typed files; the dialect cases are written by hand). */
export async function generateCorpus(con: DuckDBConnection, dir: string): Promise<CorpusFile[]> {
  const files: CorpusFile[] = []
  const at = (name: string) => path.join(dir, name)
  const copy = async (name: string, select: string, format: string) => {
    await con.run(`COPY (${select}) TO ${q(at(name))} (${format})`)
  }
  const text = (name: string, body: string | Buffer) => {
    writeFileSync(at(name), body)
    return at(name)
  }
  const csv = (name: string, reference = '', options?: Record<string, unknown>) =>
    files.push({ name, path: at(name), options, reference: `read_csv(${q(at(name))}${reference})` })

  // Every scalar type at its minimum, its maximum and NULL, as DuckDB writes them.
  await copy('all-scalars.csv', `SELECT ${cols(CSV_SCALARS)} FROM test_all_types()`, 'FORMAT csv, HEADER')
  csv('all-scalars.csv')
  // Every type (nested and enums included) in Parquet; the nested ones, and the scalars, in JSON. A UNION
  // comes back from Parquet as a struct DuckDB cannot make a table of (its own CREATE TABLE AS fails too).
  await copy('all-types.parquet', 'SELECT * EXCLUDE (geometry, "union") FROM test_all_types()', 'FORMAT parquet')
  files.push({
    name: 'all-types.parquet',
    path: at('all-types.parquet'),
    reference: `read_parquet(${q(at('all-types.parquet'))})`,
  })
  await copy('nested.json', `SELECT ${cols(NESTED)} FROM test_all_types()`, 'FORMAT json, ARRAY true')
  files.push({ name: 'nested.json', path: at('nested.json'), reference: `read_json(${q(at('nested.json'))})` })
  await copy('nested.ndjson', `SELECT ${cols(NESTED)} FROM test_all_types()`, 'FORMAT json')
  files.push({ name: 'nested.ndjson', path: at('nested.ndjson'), reference: `read_json(${q(at('nested.ndjson'))})` })
  await copy('scalars.json', `SELECT ${cols(CSV_SCALARS)} FROM test_all_types()`, 'FORMAT json, ARRAY true')
  files.push({ name: 'scalars.json', path: at('scalars.json'), reference: `read_json(${q(at('scalars.json'))})` })
  // A GeoJSON feature collection: deep STRUCTs and LISTs of LISTs.
  const ring = (i: number) => [
    [i, 0],
    [i + 1, 0.5],
    [i, 1],
    [i, 0],
  ]
  text(
    'features.json',
    JSON.stringify({
      type: 'FeatureCollection',
      features: Array.from({ length: 30 }, (_, i) => ({
        type: 'Feature',
        id: i,
        geometry: { type: 'Polygon', coordinates: [ring(i)] },
        properties: {
          name: `zone ${i}`,
          area: i * 1.25,
          tags: { kind: i % 2 ? 'a' : null, since: `2024-01-0${(i % 9) + 1}` },
        },
      })),
    }),
  )
  files.push({ name: 'features.json', path: at('features.json'), reference: `read_json(${q(at('features.json'))})` })

  // Time zones and offsets, Z, naive timestamps and clock times, in separate columns as real exports have them.
  const zones = ['+02:00', '-05:00', '+05:30', '+00:00', '-09:30', '+14:00']
  text(
    'zones.csv',
    `at_offset,at_utc,naive,clock,day\n${Array.from({ length: 60 }, (_, i) => {
      const day = `20${String(10 + (i % 15)).padStart(2, '0')}-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`
      const clock = `${String(i % 24).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}:${String((i * 13) % 60).padStart(2, '0')}`
      return `${day}T${clock}${zones[i % zones.length]},${day}T${clock}Z,${day} ${clock},${clock},${day}`
    }).join('\n')}\n`,
  )
  csv('zones.csv')

  // Integers at and near the int64 limits, beyond them (HUGEINT), and unsigned ones.
  text(
    'big-integers.csv',
    'signed,near,huge,unsigned\n' +
      '9223372036854775807,9223372036854775806,170141183460469231731687303715884105727,18446744073709551615\n' +
      '-9223372036854775808,-9223372036854775807,-170141183460469231731687303715884105728,0\n' +
      '0,1,99999999999999999999,9223372036854775808\n' +
      ',,,\n',
  )
  csv('big-integers.csv')

  // Special floats: infinities, NaN, the extremes, negative zero, and many digits.
  text('floats.csv', 'x,y\ninf,-inf\nnan,1.7976931348623157e308\n-0.0,5e-324\n0.1,3.141592653589793\n,2.5\n')
  csv('floats.csv')

  // NULLs (empty fields) in every column type DuckDB detects in text.
  text(
    'nulls.csv',
    'b,i,d,t,ts,tz,x,s\n' +
      'true,1,2024-01-01,10:00:00,2024-01-01 10:00:00,2024-01-01T10:00:00+01:00,1.5,a\n' +
      ',,,,,,,\n' +
      'false,2,2024-01-02,11:00:00,2024-01-02 11:00:00,2024-01-02T11:00:00+01:00,2.5,\n' +
      ',3,,12:00:00,,2024-01-03T12:00:00+01:00,,c\n',
  )
  csv('nulls.csv')

  // UTF-8 text: accents, CJK, emoji, and quoted values holding the delimiter, doubled quotes and line breaks.
  text('utf8.csv', 'id,text\n1,Zürich\n2,東京\n3,🦆 duck\n4,"a, b"\n5,"she said ""hi"""\n6,"two\nlines"\n7,\n8,Ωμέγα\n')
  csv('utf8.csv')

  // Latin-1 bytes (accents in 0xA0–0xFF, read the same as Windows-1252, which the app detects).
  text('latin1.csv', iconv.encode('name,city\nJosé,Zürich\nFrançois,Montréal\nÅsa,Malmö\nÿ,ñ\n', 'latin1'))
  csv('latin1.csv', ", encoding = 'latin-1'")

  // Dialects: semicolons with decimal commas, pipes, tabs, single quotes.
  text('decimal-comma.csv', 'name;price;qty\nA;1,5;2\nB;12,25;3\nC;-0,75;4\nD;1000000,125;5\n')
  csv('decimal-comma.csv', ", decimal_separator = ','")
  text('pipes.csv', 'a|b|c\n1|x|2024-01-01\n2|"y|z"|2024-01-02\n3||\n')
  csv('pipes.csv')
  text('tabs.tsv', 'a\tb\tc\n1\tx y\t1.5\n2\t"quoted\ttab"\t2.5\n')
  files.push({ name: 'tabs.tsv', path: at('tabs.tsv'), reference: `read_csv(${q(at('tabs.tsv'))})` })
  text('single-quotes.csv', "id,note\n1,'a, b'\n2,'it''s'\n3,plain\n")
  csv('single-quotes.csv', `, quote = ''''`, { quote: "'" })
  return files
}
