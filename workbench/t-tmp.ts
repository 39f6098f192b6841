import { DuckDBInstance } from '@duckdb/node-api'
const inst = await DuckDBInstance.create(':memory:')
const con = await inst.connect()
await con.run(`CREATE TABLE s AS SELECT * FROM read_csv('/tmp/ing/data.csv', all_varchar=true) LIMIT 80000`)
const cols = ['id','day','category','amount','customer','active']
const old = cols.flatMap((name, i) => { const c = `"${name}"`; return [
      `count(${c}) AS n${i}`,
      `count(*) FILTER (regexp_full_match(trim(${c}), '[-+]?[0-9]+') AND TRY_CAST(${c} AS BIGINT) IS NOT NULL) AS bigint${i}`,
      `count(TRY_CAST(${c} AS DOUBLE)) AS double${i}`,
      `count(*) FILTER (regexp_full_match(trim(${c}), '[0-9]{4}-[0-9]{2}-[0-9]{2}') AND TRY_CAST(${c} AS DATE) IS NOT NULL) AS date${i}`,
      `count(TRY_CAST(${c} AS TIMESTAMP)) AS timestamp${i}`,
      `count(*) FILTER (lower(trim(${c})) IN ('true', 'false')) AS boolean${i}`]})
const neu = cols.flatMap((name, i) => { const c = `"${name}"`; return [
      `count(${c}) AS n${i}`,
      `count(*) FILTER (regexp_full_match(${c}, '\\s*[-+]?[0-9]{1,18}\\s*')) AS bigint${i}`,
      `count(*) FILTER (regexp_full_match(${c}, '\\s*[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?\\s*')) AS double${i}`,
      `count(*) FILTER (regexp_full_match(${c}, '\\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\\s*') AND TRY_CAST(${c} AS DATE) IS NOT NULL) AS date${i}`,
      `count(*) FILTER (regexp_matches(${c}, '^\\s*[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]') AND TRY_CAST(${c} AS TIMESTAMP) IS NOT NULL) AS timestamp${i}`,
      `count(*) FILTER (lower(trim(${c})) IN ('true', 'false')) AS boolean${i}`]})
for (const [n, parts] of [['old', old], ['new', neu], ['old', old], ['new', neu]] as const) {
  const t = performance.now()
  const r = await con.runAndReadAll(`SELECT ${parts.join(', ')} FROM s`)
  console.log(n, Math.round(performance.now() - t), JSON.stringify(r.getRowsJson()[0]))
}
const t = performance.now()
const r = await con.runAndReadAll(`SELECT Columns FROM sniff_csv('/tmp/ing/data.csv', delim=',', quote='"', header=true)`)
console.log('sniff', Math.round(performance.now() - t), JSON.stringify(r.getRowsJson()[0]))
