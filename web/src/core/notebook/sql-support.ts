/** DuckDB words for autocomplete (keywords, then functions); the tokeniser is Monaco's generic SQL one. */
export const DUCKDB_KEYWORDS =
  `SELECT FROM WHERE GROUP BY ORDER HAVING LIMIT OFFSET QUALIFY WINDOW WITH RECURSIVE AS ON USING JOIN INNER LEFT RIGHT FULL OUTER CROSS
NATURAL POSITIONAL ASOF ANTI SEMI LATERAL UNION ALL EXCEPT INTERSECT DISTINCT CASE WHEN THEN ELSE END AND OR NOT IN IS NULL TRUE FALSE LIKE ILIKE
SIMILAR GLOB BETWEEN EXISTS ANY SOME CAST TRY_CAST INSERT INTO VALUES UPDATE SET DELETE CREATE OR REPLACE TABLE VIEW TEMP TEMPORARY SCHEMA
SEQUENCE MACRO FUNCTION INDEX DROP ALTER ADD COLUMN RENAME TO PRIMARY KEY FOREIGN REFERENCES UNIQUE CHECK DEFAULT COPY EXPORT IMPORT DATABASE
ATTACH DETACH PRAGMA DESCRIBE SUMMARIZE PIVOT UNPIVOT EXPLAIN ANALYZE INSTALL LOAD ASC DESC NULLS FIRST LAST OVER PARTITION ROWS RANGE GROUPS
PRECEDING FOLLOWING UNBOUNDED CURRENT ROW FILTER TABLESAMPLE SAMPLE COLUMNS EXCLUDE REPLACE STRUCT LIST MAP INTEGER BIGINT HUGEINT SMALLINT
TINYINT DOUBLE FLOAT REAL DECIMAL NUMERIC VARCHAR TEXT BOOLEAN DATE TIME TIMESTAMP TIMESTAMPTZ INTERVAL BLOB UUID JSON`
    .split(/\s+/)
    .filter(Boolean)

export const DUCKDB_FUNCTIONS =
  `count sum avg min max median mode quantile_cont quantile_disc stddev stddev_pop stddev_samp variance var_pop var_samp
corr covar_pop approx_count_distinct approx_quantile arg_max arg_min any_value first last list string_agg group_concat bool_and bool_or
histogram entropy kurtosis skewness product row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
abs ceil ceiling floor round sqrt pow power exp ln log log2 log10 sign greatest least random setseed pi degrees radians sin cos tan
length lower upper trim ltrim rtrim lpad rpad concat concat_ws substring substr left right replace reverse repeat position strpos instr
starts_with ends_with contains split_part string_split regexp_matches regexp_replace regexp_extract regexp_split_to_array format printf
md5 sha256 hash levenshtein jaro_winkler_similarity coalesce ifnull nullif typeof try_cast date_trunc date_part datepart date_diff datediff
date_add date_sub strftime strptime epoch epoch_ms make_date make_timestamp current_date current_timestamp now today age extract year month
day hour minute second dayofweek dayofyear week quarter last_day list_value list_extract list_contains list_distinct list_sort unnest
generate_series range array_agg array_length struct_pack struct_extract map_keys map_values to_json json_extract json_extract_string
read_csv read_csv_auto read_parquet read_json read_json_auto parquet_scan glob duckdb_tables duckdb_columns duckdb_views duckdb_functions`
    .split(/\s+/)
    .filter(Boolean)

/** Where a SQL error points, in the cell's editor (1-based line and column). */
export interface ErrorPosition {
  line: number
  column: number
  message: string
}

/**
 * Finds the position a kernel's SQL error names. DuckDB prints `LINE n: <text>` followed by a caret line;
 * other engines say `line n, column m` or `at character c` (PostgreSQL, 1-based over the whole statement).
 * `magicLines` shifts engine excerpts (`LINE n`, `at character c`) past the `%%sql` line the engine never saw.
 */
export function sqlErrorPosition(evalue: string, sql: string, magicLines: number): ErrorPosition | undefined {
  const message = evalue.split('\n')[0] ?? evalue
  const duck = /LINE (\d+): (.*)\n( *)\^/.exec(evalue)
  if (duck) {
    const prefix = `LINE ${duck[1]}: `.length
    const col = Math.max(1, (duck[3]?.length ?? 0) - prefix + 1)
    // DuckDB's excerpt may be trimmed around the error: locate it in the real line when it is.
    const line = Number(duck[1])
    const excerpt = (duck[2] ?? '').replace(/^\.\.\./, '')
    const real = sql.split('\n')[line - 1] ?? ''
    const shift = excerpt && real.includes(excerpt) && duck[2]?.startsWith('...') ? real.indexOf(excerpt) - 3 : 0
    return { line: line + magicLines, column: col + Math.max(0, shift), message }
  }
  // The workbench's kernels say `(line N, column M)` in lines of the cell as shown: the server blanks the
  // magic line instead of removing it, so no shift here (shifting put markers past the end of the cell).
  const lineCol = /line (\d+),? column (\d+)/i.exec(evalue)
  if (lineCol) return { line: Number(lineCol[1]), column: Number(lineCol[2]), message }
  const charAt = /(?:at character|position:?) (\d+)/i.exec(evalue)
  if (charAt) {
    const offset = Number(charAt[1]) - 1
    const before = sql.slice(0, offset).split('\n')
    return { line: before.length + magicLines, column: (before.at(-1)?.length ?? 0) + 1, message }
  }
  return undefined
}

/** Tables and columns offered by autocomplete, gathered from whatever source is available. */
export interface SchemaTable {
  name: string
  columns: { name: string; type: string }[]
}

/**
 * Names the workbench creates for itself (kept results `__workbench_result_…`, hand-over objects `__wb_…`):
 * never offered to the user, though they show up in DuckDB's catalog and the kernel's globals.
 */
export function isInternalName(name: string): boolean {
  const last = name.split('.').pop() ?? name
  return /^__(workbench|wb)_/i.test(last)
}

/** A cell magic line (`%%sql df <<`): its words are bindings, never completed. */
export function isMagicLine(line: string): boolean {
  return /^\s*%%/.test(line)
}
