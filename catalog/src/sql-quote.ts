/** Quotes an identifier for DuckDB/PostgreSQL (double quotes) or MySQL (backticks). */
export function quoteIdent(dialect: 'duckdb' | 'postgres' | 'mysql', name: string): string {
  return dialect === 'mysql' ? `\`${name.replaceAll('`', '``')}\`` : `"${name.replaceAll('"', '""')}"`
}

/** Quotes a string literal (standard SQL: single quotes doubled). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}
