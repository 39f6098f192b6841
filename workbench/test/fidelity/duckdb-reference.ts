import { type DuckDBConnection, DuckDBInstance, type DuckDBType, DuckDBTypeId } from '@duckdb/node-api'

/**
 * DuckDB itself, for the differential tests: a plain in-memory instance (no sandbox) in the session's time zone,
 * and how DuckDB renders values (`CAST(v AS VARCHAR)`, leaf by leaf inside nested values).
 */
export async function openReference(timeZone: string): Promise<{ connection: DuckDBConnection; close(): void }> {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  await connection.run(`SET TimeZone = '${timeZone.replaceAll("'", "''")}'`)
  return {
    connection,
    close: () => {
      connection.closeSync()
      instance.closeSync()
    },
  }
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`

/**
 * SQL rendering `expr` as DuckDB shows it: leaves as their VARCHAR text; lists, structs, maps (`[{key, value}]`)
 * and unions (`{tag, value}`) keep their shape, so the JSON of the workbench's values compares leaf by leaf.
 */
export function renderedExpression(expr: string, type: DuckDBType, depth = 0): string {
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const x = `x${depth}`
      return `list_transform(${expr}, ${x} -> ${renderedExpression(x, type.valueType, depth + 1)})`
    }
    case DuckDBTypeId.STRUCT: {
      const fields = type.entryNames.map(
        (name, i) =>
          `${quote(name)} := ${renderedExpression(`struct_extract(${expr}, ${literal(name)})`, type.entryTypes[i] as DuckDBType, depth + 1)}`,
      )
      return `CASE WHEN ${expr} IS NULL THEN NULL ELSE struct_pack(${fields.join(', ')}) END`
    }
    case DuckDBTypeId.MAP: {
      const x = `x${depth}`
      const key = renderedExpression(`${x}.key`, type.keyType, depth + 1)
      const value = renderedExpression(`${x}.value`, type.valueType, depth + 1)
      return `list_transform(map_entries(${expr}), ${x} -> struct_pack("key" := ${key}, "value" := ${value}))`
    }
    case DuckDBTypeId.UNION:
      return `CASE WHEN ${expr} IS NULL THEN NULL ELSE struct_pack(tag := union_tag(${expr})::VARCHAR, "value" := CAST(${expr} AS VARCHAR)) END`
    default:
      return `CAST(${expr} AS VARCHAR)`
  }
}

/** DuckDB's text of an INTERVAL given as the workbench's `{months, days, micros}`. */
export function intervalText(value: { months: number; days: number; micros: string }): string {
  const parts: string[] = []
  const years = Math.trunc(value.months / 12)
  const months = value.months % 12
  const unit = (n: number, name: string) => `${n} ${name}${Math.abs(n) === 1 ? '' : 's'}`
  if (years) parts.push(unit(years, 'year'))
  if (months) parts.push(unit(months, 'month'))
  if (value.days) parts.push(unit(value.days, 'day'))
  const micros = BigInt(value.micros)
  if (micros !== 0n || parts.length === 0) {
    const abs = micros < 0n ? -micros : micros
    const pad = (n: bigint) => String(n).padStart(2, '0')
    const fraction = abs % 1_000_000n
    const time = `${pad(abs / 3_600_000_000n)}:${pad((abs / 60_000_000n) % 60n)}:${pad((abs / 1_000_000n) % 60n)}`
    parts.push(`${micros < 0n ? '-' : ''}${time}${fraction ? `.${String(fraction).padStart(6, '0')}` : ''}`)
  }
  return parts.join(' ')
}

/**
 * Where the workbench's JSON value `ours` differs from DuckDB's rendering `theirs` (from {@link renderedExpression}),
 * or undefined. Numbers must be the very number DuckDB prints (a FLOAT as its shortest form), special floats the
 * strings DuckDB prints (`nan`, `inf`, `-inf`, `-0.0`), everything else the same text.
 */
export function valueMismatch(ours: unknown, theirs: unknown, type: DuckDBType, at: string): string | undefined {
  const fail = () => `${at}: ours ${JSON.stringify(ours)}, DuckDB ${JSON.stringify(theirs)} (${type})`
  if (theirs === null || ours === null) return theirs === ours ? undefined : fail()
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      if (!Array.isArray(ours) || !Array.isArray(theirs) || ours.length !== theirs.length) return fail()
      for (const [i, item] of ours.entries()) {
        const m = valueMismatch(item, theirs[i], type.valueType, `${at}[${i}]`)
        if (m) return m
      }
      return undefined
    }
    case DuckDBTypeId.STRUCT: {
      const o = ours as Record<string, unknown>
      const t = theirs as Record<string, unknown>
      if (typeof o !== 'object' || Object.keys(o).join() !== type.entryNames.join()) return fail()
      for (const [i, name] of type.entryNames.entries()) {
        const m = valueMismatch(o[name], t[name], type.entryTypes[i] as DuckDBType, `${at}.${name}`)
        if (m) return m
      }
      return undefined
    }
    case DuckDBTypeId.MAP: {
      const o = ours as { key: unknown; value: unknown }[]
      const t = theirs as { key: unknown; value: unknown }[]
      if (!Array.isArray(o) || o.length !== t.length) return fail()
      for (const [i, entry] of o.entries()) {
        const m =
          valueMismatch(entry.key, t[i]?.key, type.keyType, `${at}{${i}}.key`) ??
          valueMismatch(entry.value, t[i]?.value, type.valueType, `${at}{${i}}.value`)
        if (m) return m
      }
      return undefined
    }
    case DuckDBTypeId.UNION: {
      const o = ours as { tag: string; value: unknown }
      const t = theirs as { tag: string; value: unknown }
      if (o.tag !== t.tag) return fail()
      return valueMismatch(o.value, t.value, type.memberTypeForTag(o.tag), `${at}<${o.tag}>`)
    }
    case DuckDBTypeId.INTERVAL:
      return intervalText(ours as { months: number; days: number; micros: string }) === theirs ? undefined : fail()
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      if (typeof ours === 'number') return Object.is(ours, Number(theirs)) ? undefined : fail()
      return ours === theirs ? undefined : fail()
    default:
      return String(ours) === theirs ? undefined : fail()
  }
}
