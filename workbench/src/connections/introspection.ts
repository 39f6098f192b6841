/**
 * What a source looks like is the catalog's own type; connections produce it. Tables are
 * streamed so 10,000 of them never sit in memory at once; a table that fails yields `{ schema, name, error }`.
 */
import type { IntrospectedColumn, IntrospectedTable, IntrospectionItem } from '@workbench/catalog'

export type { IntrospectedColumn, IntrospectedTable, IntrospectionItem }

/** Tables per round trip: bounded memory, few queries. */
export const INTROSPECTION_PAGE = 500

/**
 * Walks a source's tables page by page (keyset on schema, name) and attaches their columns, so each
 * backend only writes two queries: one page of tables after a key, and the columns of those tables.
 */
export async function* pagedIntrospection<T extends { schema: string; name: string }>(
  tablesAfter: (after: { schema: string; name: string } | undefined, limit: number) => Promise<T[]>,
  columnsOf: (tables: T[]) => Promise<Map<string, IntrospectedColumn[]>>,
  toTable: (table: T, columns: IntrospectedColumn[]) => IntrospectedTable,
): AsyncGenerator<IntrospectionItem> {
  let after: { schema: string; name: string } | undefined
  for (;;) {
    const page = await tablesAfter(after, INTROSPECTION_PAGE)
    if (page.length === 0) return
    let columns: Map<string, IntrospectedColumn[]> | undefined
    let failure: string | undefined
    try {
      columns = await columnsOf(page)
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err)
    }
    for (const table of page) {
      if (failure) yield { schema: table.schema, name: table.name, error: failure }
      else yield toTable(table, columns?.get(tableKey(table)) ?? [])
    }
    if (page.length < INTROSPECTION_PAGE) return
    const last = page[page.length - 1] as T
    after = { schema: last.schema, name: last.name }
  }
}

/** The key `columnsOf` maps columns under. */
export function tableKey(t: { schema: string; name: string }): string {
  return `${t.schema}\u0000${t.name}`
}
