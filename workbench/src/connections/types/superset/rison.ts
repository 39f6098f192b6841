/**
 * Rison, the URL-friendly JSON Superset's list endpoints take in `?q=` (e.g. `(page:0,page_size:100)`). Strings are
 * always quoted (`'…'`, with `!` and `'` escaped as `!!` and `!'`), which every Rison parser accepts.
 *
 * @example
 * encodeRison({ filters: [{ col: 'table_name', opr: 'eq', value: 'orders' }] })
 * // "(filters:!((col:'table_name',opr:'eq',value:'orders')))"
 */
export function encodeRison(value: unknown): string {
  if (value === null || value === undefined) return '!n'
  if (value === true) return '!t'
  if (value === false) return '!f'
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('Rison cannot encode a non-finite number')
    return String(value)
  }
  if (typeof value === 'string') return `'${value.replace(/!/g, '!!').replace(/'/g, "!'")}'`
  if (Array.isArray(value)) return `!(${value.map(encodeRison).join(',')})`
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    return `(${entries.map(([k, v]) => `${encodeRison(k)}:${encodeRison(v)}`).join(',')})`
  }
  throw new TypeError(`Rison cannot encode a ${typeof value}`)
}
