import { format } from 'sql-formatter'

/** Formats SQL (DuckDB dialect), keeping a leading `%%sql` magic line as it is. */
export function formatSqlCell(source: string): string {
  const magicEnd = source.startsWith('%%sql') ? source.indexOf('\n') : -1
  const magic = magicEnd === -1 ? (source.startsWith('%%sql') ? source : '') : source.slice(0, magicEnd)
  const body = magic ? (magicEnd === -1 ? '' : source.slice(magicEnd + 1)) : source
  if (!body.trim()) return source
  const formatted = format(body, { language: 'duckdb', keywordCase: 'upper' })
  return magic ? `${magic}\n${formatted}` : formatted
}
