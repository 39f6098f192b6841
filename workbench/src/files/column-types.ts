/**
 * The column types a user may give an imported column, and when converting a value to one of them would change
 * it. DuckDB's casts are lenient: `'1.5'` becomes the integer 2, `'2012-01-01T06:47:38+02:00'` becomes the
 * TIMESTAMP 06:47:38 (offset dropped), a timestamp becomes its date. An import must never do that silently, so
 * every conversion a user chooses is checked with {@link inexactSql}.
 */

/** Types offered for a column, in DuckDB's own spelling (what `DESCRIBE` and `sniff_csv` answer). */
export const COLUMN_TYPES = [
  'VARCHAR',
  'BOOLEAN',
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
  'FLOAT',
  'DOUBLE',
  'DECIMAL(18,3)',
  'DECIMAL(38,10)',
  'DATE',
  'TIME',
  'TIME WITH TIME ZONE',
  'TIMESTAMP',
  'TIMESTAMP WITH TIME ZONE',
  'TIMESTAMP_S',
  'TIMESTAMP_MS',
  'TIMESTAMP_NS',
  'INTERVAL',
  'UUID',
  'BLOB',
  'JSON',
] as const

/** Other spellings DuckDB accepts for the offered types. */
const ALIASES: Record<string, string> = {
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
  TIMETZ: 'TIME WITH TIME ZONE',
  INT: 'INTEGER',
  INT4: 'INTEGER',
  INT8: 'BIGINT',
  LONG: 'BIGINT',
  INT2: 'SMALLINT',
  INT1: 'TINYINT',
  REAL: 'FLOAT',
  FLOAT4: 'FLOAT',
  FLOAT8: 'DOUBLE',
  BOOL: 'BOOLEAN',
  TEXT: 'VARCHAR',
  STRING: 'VARCHAR',
  DATETIME: 'TIMESTAMP',
}

const OFFERED = new Set<string>(COLUMN_TYPES)
const DECIMAL = /^(?:DECIMAL|NUMERIC)\s*\(\s*(\d{1,2})\s*(?:,\s*(\d{1,2})\s*)?\)$/

/**
 * The canonical spelling of an offered type (`timestamptz` → `TIMESTAMP WITH TIME ZONE`, any
 * `DECIMAL(p,s)` with 1 ≤ p ≤ 38), or undefined for anything else. Only these, or a type DuckDB itself
 * detected in the file, ever reach SQL.
 */
export function offeredType(type: string): string | undefined {
  const upper = type.trim().toUpperCase().replace(/\s+/g, ' ')
  if (OFFERED.has(upper)) return upper
  const alias = ALIASES[upper]
  if (alias) return alias
  const decimal = DECIMAL.exec(upper)
  if (decimal) {
    const precision = Number(decimal[1])
    const scale = Number(decimal[2] ?? 0)
    if (precision >= 1 && precision <= 38 && scale <= precision) return `DECIMAL(${precision},${scale})`
  }
  return undefined
}

/** Two spellings of one type (case, spacing and aliases aside). */
export function sameType(a: string, b: string): boolean {
  const norm = (t: string) => offeredType(t) ?? t.trim().toUpperCase().replace(/\s+/g, ' ')
  return norm(a) === norm(b)
}

const INTEGER = /^U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?$/
/** A clock time followed by a zone: `Z`, `UTC`, `+02`, `+0200`, `-05:00`. */
const WITH_OFFSET = `(?i)[0-9]:[0-9]{2}(:[0-9]{2}([.][0-9]*)?)?\\s*(z|utc|gmt|[+-][0-9]{1,2}(:?[0-9]{2})?)$`
/** A time of day after a date that is not midnight. */
const TIME_OF_DAY = `[0-9][T ]([0-9]{1,2}):([0-9]{2})(:([0-9]{2})([.]([0-9]*))?)?`

/** Why a value would change, as SQL text for a reject reason (`value` is the value as text). */
export interface InexactRule {
  /** True when a non-null value converts, but not exactly. */
  sql: string
  /** What happens to such a value, for the message. */
  why: string
}

/**
 * The SQL condition that is true when the value `ref` (of type `sourceType`; VARCHAR for delimited text) would
 * be changed by converting it to `target`, or undefined when that conversion is always exact (or, as for
 * text to DOUBLE, as exact as the type can be). `decimal` is the decimal separator of text values.
 */
export function inexactSql(ref: string, sourceType: string, target: string, decimal = '.'): InexactRule | undefined {
  const t = target.toUpperCase()
  const source = sourceType.toUpperCase()
  if (sameType(source, t) || t === 'VARCHAR') return undefined
  if (source !== 'VARCHAR') {
    // Typed sources (Parquet, JSON): the value must come back unchanged from the round trip.
    return {
      sql: `(TRY_CAST(TRY_CAST(${ref} AS ${t}) AS ${sourceType}) IS DISTINCT FROM ${ref})`,
      why: `is not exactly representable as ${t}`,
    }
  }
  const text = `trim(${ref})`
  if (INTEGER.test(t))
    return {
      // The cheap test first: a value that prints back as itself is exact (a pattern over every value costs
      // more than the conversion).
      sql: `(CAST(TRY_CAST(${ref} AS ${t}) AS VARCHAR) IS DISTINCT FROM ${ref} AND NOT regexp_full_match(${text}, '[-+]?[0-9]+'))`,
      why: `is not a whole number (it would be rounded to fit ${t})`,
    }
  const decimalType = /^DECIMAL\((\d+),(\d+)\)$/.exec(t)
  if (decimalType) {
    const sep = decimal === ',' ? ',' : '[.]'
    return {
      sql: `((strpos(${text}, '${decimal === ',' ? ',' : '.'}') > 0 AND regexp_matches(${text}, '${sep}[0-9]{${decimalType[2]}}[0-9]*[1-9]')) OR strpos(lower(${text}), 'e') > 0)`,
      why: `has more decimals than ${t} keeps (it would be rounded)`,
    }
  }
  if (t === 'DATE')
    return {
      // Both a time of day and an offset have a colon: most dates are passed by that test alone.
      sql: `(strpos(${text}, ':') > 0 AND (regexp_matches(${text}, '${WITH_OFFSET}') OR (regexp_matches(${text}, '${TIME_OF_DAY}') AND NOT regexp_matches(${text}, '[0-9][T ]0?0:00(:00([.]0*)?)?$'))))`,
      why: 'has a time of day or a UTC offset that a DATE would drop',
    }
  if (t === 'TIME' || t === 'TIMESTAMP' || t === 'TIMESTAMP_S' || t === 'TIMESTAMP_MS' || t === 'TIMESTAMP_NS') {
    const precision =
      t === 'TIMESTAMP_S'
        ? ` OR (strpos(${text}, '.') > 0 AND regexp_matches(${text}, ':[0-9]{2}[.][0-9]*[1-9]'))`
        : t === 'TIMESTAMP_MS'
          ? ` OR (strpos(${text}, '.') > 0 AND regexp_matches(${text}, ':[0-9]{2}[.][0-9]{3}[0-9]*[1-9]'))`
          : ''
    // An offset ends the text with a letter (Z, UTC, GMT) or has a + or a - after the clock's first colon:
    // values without one of those are passed without running the pattern.
    const mayHaveOffset = `(NOT (right(${text}, 1) BETWEEN '0' AND '9') OR strpos(${text}, '+') > 0 OR strpos(substr(${text}, strpos(${text}, ':') + 1), '-') > 0)`
    return {
      sql: `((${mayHaveOffset} AND regexp_matches(${text}, '${WITH_OFFSET}'))${precision})`,
      why: `has a UTC offset (or precision) that ${t} would drop: choose TIMESTAMP WITH TIME ZONE`,
    }
  }
  return undefined
}
