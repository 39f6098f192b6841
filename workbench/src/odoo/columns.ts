import type { OdooField } from './client.ts'

/** How one Odoo field lands in DuckDB: one column, or two for a many2one (`<f>_id`, `<f>_name`). */
export interface OdooColumn {
  /** Column name in DuckDB. */
  name: string
  /** DuckDB type. */
  sqlType: 'INTEGER' | 'DOUBLE' | 'DECIMAL(18,4)' | 'BOOLEAN' | 'VARCHAR' | 'DATE' | 'TIMESTAMP' | 'INTEGER[]'
  /** The Odoo field it comes from. */
  field: string
  /** For many2one: the id or the display name. */
  part: 'value' | 'id' | 'name'
  odooType: string
  /** Catalog description: Odoo's field label, help, selection labels, currency, relation. */
  comment: string
}

/** Field types never extracted by default (file contents; computed one2many lists are asked for by name). */
const SKIPPED = new Set([
  'binary',
  'one2many',
  'properties',
  'properties_definition',
  'json',
  'reference',
  'many2one_reference',
])

const SQL_TYPES: Record<string, OdooColumn['sqlType']> = {
  integer: 'INTEGER',
  float: 'DOUBLE',
  monetary: 'DECIMAL(18,4)',
  boolean: 'BOOLEAN',
  date: 'DATE',
  datetime: 'TIMESTAMP',
  many2many: 'INTEGER[]',
  one2many: 'INTEGER[]',
}

/**
 * The columns of an extracted model: `id` first, then the fields asked for (default: every stored field
 * that is not a file or a one2many), `write_date` always (incremental runs key on it).
 */
export function columnsOf(fields: Record<string, OdooField>, wanted?: string[]): OdooColumn[] {
  const names = wanted?.length
    ? ['id', ...wanted.filter((n) => n !== 'id')]
    : Object.keys(fields).filter((n) => {
        const f = fields[n] as OdooField
        return n === 'id' || (f.store !== false && !SKIPPED.has(f.type))
      })
  if (!names.includes('id')) names.unshift('id')
  if (fields.write_date && !names.includes('write_date')) names.push('write_date')
  const taken = new Set(names)
  const out: OdooColumn[] = []
  for (const name of names) {
    const f = fields[name] ?? (name === 'id' ? { type: 'integer', string: 'ID' } : undefined)
    if (!f) throw new Error(`the model has no field ${name}`)
    const comment = describe(name, f, fields)
    if (f.type === 'many2one') {
      const base = name.endsWith('_id') ? name.slice(0, -3) : name
      const nameColumn = taken.has(`${base}_name`) ? `${name}_display_name` : `${base}_name`
      out.push({ name: `${base}_id`, sqlType: 'INTEGER', field: name, part: 'id', odooType: f.type, comment })
      out.push({
        name: nameColumn,
        sqlType: 'VARCHAR',
        field: name,
        part: 'name',
        odooType: f.type,
        comment: `${f.string} (display name of ${f.relation ?? 'the related record'})`,
      })
    } else {
      out.push({ name, sqlType: SQL_TYPES[f.type] ?? 'VARCHAR', field: name, part: 'value', odooType: f.type, comment })
    }
  }
  return out
}

function describe(name: string, f: OdooField, fields: Record<string, OdooField>): string {
  const parts = [f.string || name]
  if (f.help) parts.push(`— ${f.help}`)
  if (f.type === 'many2one' && f.relation) parts.push(`(id of ${f.relation})`)
  if ((f.type === 'many2many' || f.type === 'one2many') && f.relation) parts.push(`(ids of ${f.relation})`)
  if (f.type === 'selection' && Array.isArray(f.selection))
    parts.push(`Values: ${f.selection.map(([k, label]) => `${k} = ${label}`).join(', ')}`)
  if (f.type === 'monetary' && f.currency_field) {
    const c = fields[f.currency_field]
    parts.push(
      `(amount in the currency of ${f.currency_field}${c?.type === 'many2one' ? `: see ${f.currency_field.replace(/_id$/, '')}_name` : ''})`,
    )
  }
  if (f.type === 'datetime') parts.push('(UTC)')
  return parts.join(' ')
}

/** The DuckDB-ready value of one column from one record as Odoo sent it (`false` is NULL, except for booleans). */
export function cellOf(record: Record<string, unknown>, c: OdooColumn): unknown {
  const v = record[c.field]
  if (c.part === 'id') return Array.isArray(v) ? v[0] : typeof v === 'number' ? v : null
  if (c.part === 'name') return Array.isArray(v) ? String(v[1] ?? '') : null
  if (c.sqlType === 'BOOLEAN') return v === true
  if (v === false || v === null || v === undefined) return c.sqlType === 'INTEGER[]' ? [] : null
  if (c.sqlType === 'VARCHAR' && typeof v !== 'string') return JSON.stringify(v)
  return v
}
