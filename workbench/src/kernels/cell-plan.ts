/** What running a notebook cell means: which kernel, which code, and where a SQL result goes. */
export type CellPlan =
  | { kind: 'skip' }
  | { kind: 'python'; code: string }
  | { kind: 'sql'; code: string; connection: string; output?: string }

const MAGIC = /^%%sql(?:[ \t]+(.*))?$/

/**
 * Plans a cell as ARCHITECTURE.md §4 says: a code cell whose metadata says `workbench.type = 'sql'`, or whose
 * first line is a `%%sql` magic, is SQL (the magic line is not SQL and is stripped); its connection comes from
 * metadata (default the workspace DuckDB) and its output variable from metadata or the jupysql form
 * `%%sql name <<`. Other code cells are Python; markdown and raw cells are not run.
 *
 * @example
 * planCell('code', '%%sql df <<\nSELECT 1', {}) // { kind: 'sql', code: 'SELECT 1', connection: 'duckdb', output: 'df' }
 */
export function planCell(cellType: unknown, source: string, metadata: unknown): CellPlan {
  if (cellType !== 'code') return { kind: 'skip' }
  const workbench = isRecord(metadata) && isRecord(metadata.workbench) ? metadata.workbench : undefined
  const newline = source.indexOf('\n')
  const firstLine = (newline === -1 ? source : source.slice(0, newline)).trimEnd()
  const magic = MAGIC.exec(firstLine)
  if (!magic && workbench?.type !== 'sql') return { kind: 'python', code: source }
  // The magic line is blanked, not removed, so error positions (line N) are lines of the cell as shown.
  const code = magic ? (newline === -1 ? '' : source.slice(newline)) : source
  const connection = typeof workbench?.connection === 'string' && workbench.connection ? workbench.connection : 'duckdb'
  const fromMagic = /^([A-Za-z_][A-Za-z0-9_]*)\s*<<\s*$/.exec(magic?.[1]?.trim() ?? '')?.[1]
  const output = typeof workbench?.output === 'string' && workbench.output ? workbench.output : fromMagic
  return output ? { kind: 'sql', code, connection, output } : { kind: 'sql', code, connection }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
