import { readFileSync } from 'node:fs'
import { type DuckDBType, DuckDBTypeId } from '@duckdb/node-api'
import { quoteIdentifier, quoteLiteral } from '../duckdb/database.ts'

/**
 * How one column (or nested value) travels from DuckDB to pandas: what the Python loader
 * (`hand-over-loader.py`) builds from it. `k` is the kind; the rest depends on it.
 */
export type HandOverSpec =
  | { k: 'int' | 'float'; dtype: string }
  | { k: 'decimal'; exact: boolean }
  | { k: 'timestamp'; unit: 's' | 'ms' | 'us' | 'ns' }
  | { k: 'enum'; categories: string[] }
  | { k: 'list'; child: HandOverSpec }
  | { k: 'struct'; fields: [string, HandOverSpec][] }
  | { k: 'map'; key: HandOverSpec; value: HandOverSpec }
  | { k: 'union'; members: [string, HandOverSpec][] }
  | {
      k:
        | 'bool'
        | 'str'
        | 'json'
        | 'bit'
        | 'blob'
        | 'date'
        | 'time'
        | 'timetz'
        | 'timestamptz'
        | 'interval'
        | 'hugeint'
        | 'uuid'
        | 'null'
        | 'other'
    }

/**
 * DECIMALs wider than this do not fit a float64 without rounding (15 significant digits always round-trip):
 * they arrive as exact `decimal.Decimal` objects instead of duckdb's float64.
 */
const MAX_FLOAT_DECIMAL_WIDTH = 15

const INT_DTYPES: Partial<Record<DuckDBTypeId, string>> = {
  [DuckDBTypeId.TINYINT]: 'int8',
  [DuckDBTypeId.SMALLINT]: 'int16',
  [DuckDBTypeId.INTEGER]: 'int32',
  [DuckDBTypeId.BIGINT]: 'int64',
  [DuckDBTypeId.UTINYINT]: 'uint8',
  [DuckDBTypeId.USMALLINT]: 'uint16',
  [DuckDBTypeId.UINTEGER]: 'uint32',
  [DuckDBTypeId.UBIGINT]: 'uint64',
}

/** The spec of a DuckDB type (see {@link HandOverSpec}). */
export function handOverSpec(type: DuckDBType): HandOverSpec {
  if (type.alias === 'JSON') return { k: 'json' }
  const int = INT_DTYPES[type.typeId]
  if (int) return { k: 'int', dtype: int }
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return { k: 'bool' }
    case DuckDBTypeId.FLOAT:
      return { k: 'float', dtype: 'float32' }
    case DuckDBTypeId.DOUBLE:
      return { k: 'float', dtype: 'float64' }
    case DuckDBTypeId.DECIMAL:
      return { k: 'decimal', exact: type.width > MAX_FLOAT_DECIMAL_WIDTH }
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return { k: 'hugeint' }
    case DuckDBTypeId.VARCHAR:
      return { k: 'str' }
    case DuckDBTypeId.BLOB:
      return { k: 'blob' }
    case DuckDBTypeId.BIT:
      return { k: 'bit' }
    case DuckDBTypeId.UUID:
      return { k: 'uuid' }
    case DuckDBTypeId.DATE:
      return { k: 'date' }
    case DuckDBTypeId.TIME:
      return { k: 'time' }
    case DuckDBTypeId.TIME_TZ:
      return { k: 'timetz' }
    case DuckDBTypeId.TIMESTAMP:
      return { k: 'timestamp', unit: 'us' }
    case DuckDBTypeId.TIMESTAMP_S:
      return { k: 'timestamp', unit: 's' }
    case DuckDBTypeId.TIMESTAMP_MS:
      return { k: 'timestamp', unit: 'ms' }
    case DuckDBTypeId.TIMESTAMP_NS:
      return { k: 'timestamp', unit: 'ns' }
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { k: 'timestamptz' }
    case DuckDBTypeId.INTERVAL:
      return { k: 'interval' }
    case DuckDBTypeId.ENUM:
      return { k: 'enum', categories: [...type.values] }
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return { k: 'list', child: handOverSpec(type.valueType) }
    case DuckDBTypeId.STRUCT:
      return { k: 'struct', fields: type.entryNames.map((n, i) => [n, handOverSpec(type.entryTypes[i] as DuckDBType)]) }
    case DuckDBTypeId.MAP:
      return { k: 'map', key: handOverSpec(type.keyType), value: handOverSpec(type.valueType) }
    case DuckDBTypeId.UNION:
      return {
        k: 'union',
        members: type.memberTags.map((n, i) => [n, handOverSpec(type.memberTypes[i] as DuckDBType)]),
      }
    case DuckDBTypeId.SQLNULL:
      return { k: 'null' }
    default:
      return { k: 'other' }
  }
}

/**
 * The SQL expression that carries `expr` (of `type`) through Parquet and pyarrow without loss: values either
 * cannot hold (INTERVAL is millisecond-precision and unsigned there, HUGEINT becomes a double, UNION/TIMETZ/BIT
 * have no Parquet type, ENUM loses its labels' order) travel as text or microseconds, and the loader rebuilds them.
 */
export function carrierExpression(expr: string, type: DuckDBType, depth = 0): string {
  if (type.alias === 'JSON') return `CAST(${expr} AS VARCHAR)`
  switch (type.typeId) {
    case DuckDBTypeId.INTERVAL:
      // Months count 30 days and days 24 hours: what duckdb's .df() makes of an INTERVAL (timedelta64).
      return `epoch_us(${expr})`
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.BIT:
    case DuckDBTypeId.TIME_TZ:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.TIME_NS:
    case DuckDBTypeId.GEOMETRY:
    case DuckDBTypeId.VARIANT:
      return `CAST(${expr} AS VARCHAR)`
    case DuckDBTypeId.DECIMAL:
      // Parquet keeps DECIMAL exact; pyarrow reads it as decimal128. Nothing to do.
      return expr
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const x = `__wb_x${depth}`
      const inner = carrierExpression(x, type.valueType, depth + 1)
      // A fixed-size ARRAY always goes as a LIST: pyarrow misreads DuckDB's Parquet of one with NULL rows.
      return inner === x && type.typeId === DuckDBTypeId.LIST ? expr : `list_transform(${expr}, ${x} -> ${inner})`
    }
    case DuckDBTypeId.STRUCT: {
      const fields = type.entryNames.map((name, i) => {
        const field = `struct_extract(${expr}, ${quoteLiteral(name)})`
        return { name, field, carried: carrierExpression(field, type.entryTypes[i] as DuckDBType, depth + 1) }
      })
      if (fields.every((f) => f.carried === f.field)) return expr
      const packed = fields.map((f) => `${quoteIdentifier(f.name)} := ${f.carried}`).join(', ')
      // struct_pack of NULL fields is a struct, not NULL: keep NULL structs NULL.
      return `CASE WHEN ${expr} IS NULL THEN NULL ELSE struct_pack(${packed}) END`
    }
    case DuckDBTypeId.MAP: {
      const x = `__wb_x${depth}`
      const key = carrierExpression(`${x}.key`, type.keyType, depth + 1)
      const value = carrierExpression(`${x}.value`, type.valueType, depth + 1)
      if (key === `${x}.key` && value === `${x}.value`) return expr
      return `map_from_entries(list_transform(map_entries(${expr}), ${x} -> struct_pack(key := ${key}, value := ${value})))`
    }
    case DuckDBTypeId.UNION: {
      // A struct of the tag and every member; the loader picks the tagged one.
      const members = type.memberTags.map((tag, i) => {
        const member = carrierExpression(
          `union_extract(${expr}, ${quoteLiteral(tag)})`,
          type.memberTypes[i] as DuckDBType,
          depth + 1,
        )
        return `${quoteIdentifier(tag)} := ${member}`
      })
      return `CASE WHEN ${expr} IS NULL THEN NULL ELSE struct_pack(tag := CAST(union_tag(${expr}) AS VARCHAR), ${members.join(', ')}) END`
    }
    default:
      return expr
  }
}

/**
 * The query writing a kept result for the hand-over: every column carried (see {@link carrierExpression}) under a
 * positional name (the loader names them), in result order (a plain scan of the kept table keeps it).
 */
export function carrierQuery(source: { table: string; stored: string[]; types: DuckDBType[] }): string {
  const select = source.types.map(
    (type, i) =>
      `${carrierExpression(quoteIdentifier(source.stored[i] as string), type)} AS ${quoteIdentifier(`c${i}`)}`,
  )
  return `SELECT ${select.length ? select.join(', ') : '*'} FROM ${quoteIdentifier(source.table)}`
}

const LOADER = readFileSync(new URL('./hand-over-loader.py', import.meta.url), 'utf8')

/** Python that binds `name` to the DataFrame in `file` (written by {@link carrierQuery}) and cleans up after itself. */
export function handOverCode(
  name: string,
  file: string,
  columns: { name: string; spec: HandOverSpec }[],
  timeZone: string | undefined,
): string {
  const specs = JSON.stringify(columns.map((c) => [c.name, c.spec]))
  return [
    LOADER,
    `${name} = __wb_hand_over(${JSON.stringify(file)}, __import__("json").loads(${JSON.stringify(specs)}), ${timeZone ? JSON.stringify(timeZone) : 'None'})`,
    'del __wb_hand_over, _date_text, _zone',
  ].join('\n')
}
