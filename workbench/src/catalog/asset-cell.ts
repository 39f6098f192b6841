import { randomUUID } from 'node:crypto'
import { YNotebook } from '@jupyter/ydoc'
// Not re-exported by the package index: the cell factory YNotebook.insertCells itself uses.
import { createCell } from '@jupyter/ydoc/lib/ycell.js'
import type * as Y from 'yjs'

/** The SQL dialect of what a cell runs on, for quoting names. */
export type AssetDialect = 'duckdb' | 'postgres' | 'mysql'

/** `SELECT * FROM <schema>.<name> LIMIT 100`, names quoted for the dialect (a name may hold quotes or dots). */
export function assetQuery(asset: { schema: string; name: string }, dialect: AssetDialect): string {
  const q = (s: string) => (dialect === 'mysql' ? `\`${s.replaceAll('`', '``')}\`` : `"${s.replaceAll('"', '""')}"`)
  return `SELECT * FROM ${q(asset.schema)}.${q(asset.name)} LIMIT 100`
}

/** An nbformat SQL cell (ARCHITECTURE.md §4: `%%sql` magic, connection in `metadata.workbench`). */
export function sqlCell(query: string, connection: string) {
  return {
    id: randomUUID(),
    cell_type: 'code' as const,
    source: `%%sql\n${query}`,
    metadata: { workbench: { type: 'sql', connection } },
    outputs: [],
    execution_count: null,
  }
}

/** An nbformat cell to add to a live document: a code cell (SQL or Python) or a markdown cell. */
export type NewCell =
  | {
      id: string
      cell_type: 'code'
      source: string
      metadata: Record<string, unknown>
      outputs: unknown[]
      execution_count: null
    }
  | { id: string; cell_type: 'markdown'; source: string; metadata: Record<string, unknown> }

/**
 * Appends a cell at the end of a live YNotebook document, inside the caller's transaction (a room change), so
 * every connected collaborator receives it like any edit.
 */
export function appendCell(doc: Y.Doc, cell: NewCell): void {
  const cells = doc.getArray<Y.Map<unknown>>('cells')
  // Built bound to a scratch notebook (as YNotebook does before inserting), then inserted into the live array.
  const scratch = new YNotebook({})
  try {
    cells.push([createCell(cell as Parameters<typeof createCell>[0], scratch).ymodel])
  } finally {
    scratch.dispose()
  }
}
