import { maskedColumns, maskingTag, maskRow, maskValue, type TaggedColumn } from '@workbench/catalog'
import { type Output, type TableData, tableOf, tableOutput } from '@workbench/kernels'

/**
 * Plans which columns of a SQL cell's results are masked (the catalog's accepted PII tags followed through column
 * lineage); undefined when the cell's source is not catalogued or nothing it can read is tagged.
 */
export type PlanResultMasking = (input: {
  workspaceId: string
  /** 'duckdb' (the workspace database) or a connection id. */
  connection: string
  sql: string
}) => Promise<{ tagsFor(columns: readonly string[]): string[][]; mentionsTagged?: boolean } | undefined>

/** Kept results per session remember their masks, newest last; older entries go (results are dropped too). */
const MAX_MASKS_PER_SESSION = 500

/**
 * Masks of a session's kept results, by result id: what the paging and export API must mask for users without
 * the unmask capability. Only results whose output was written into the shared document get one.
 */
export class ResultMasks {
  readonly #masks = new Map<string, TaggedColumn[]>()

  set(resultId: string, columns: TaggedColumn[]): void {
    this.#masks.delete(resultId)
    this.#masks.set(resultId, columns)
    for (const oldest of this.#masks.keys()) {
      if (this.#masks.size <= MAX_MASKS_PER_SESSION) break
      this.#masks.delete(oldest)
    }
  }

  /** The tagged columns of a result, if any of them is masked. */
  get(resultId: string): TaggedColumn[] | undefined {
    return this.#masks.get(resultId)
  }

  /** After a restart the kernels reuse result ids: old masks must not stick to new results. */
  clear(): void {
    this.#masks.clear()
  }
}

/** The masked output metadata key: names of the columns whose values are masked in the shared copy. */
export const MASKED_METADATA_KEY = 'masked'

/**
 * Masks a SQL result output for the shared document: tagged columns' values in the first page, their min/max
 * stats and the `text/plain` rendering, and lists them in `metadata.masked`. Other outputs pass through.
 */
export function maskOutput(
  output: Output,
  tagsFor: (columns: readonly string[]) => string[][],
): { output: Output; columns?: TaggedColumn[] } {
  const table = tableOf(output)
  if (!table || (output.output_type !== 'execute_result' && output.output_type !== 'display_data')) return { output }
  const tags = tagsFor(table.columns.map((c) => c.name))
  const columns = table.columns.map((c, i) => ({ name: c.name, tags: tags[i] ?? [] }))
  const masked = maskedColumns(columns)
  if (masked.length === 0) return { output }
  const data = maskTable(table, columns)
  const rebuilt = tableOutput(data, output.output_type === 'execute_result' ? output.execution_count : undefined)
  return {
    // Only our table and its plain text: any other rendering of the same rows would carry clear values.
    output: { ...rebuilt, metadata: { ...output.metadata, masked } },
    columns,
  }
}

/** A page (or first page) with the tagged columns masked: rows and min/max stats, matched by column name. */
export function maskTable(table: TableData, tagged: readonly TaggedColumn[]): TableData {
  const byName = new Map(tagged.map((c) => [c.name, c.tags]))
  const columns = table.columns.map((c) => ({ name: c.name, tags: byName.get(c.name) ?? [] }))
  const tagOf = (name: string) => maskingTag(byName.get(name) ?? [])
  return {
    ...table,
    rows: table.rows.map((r) => maskRow(columns, r)),
    stats: table.stats?.map((s) => {
      const tag = tagOf(s.name)
      return tag ? { ...s, min: maskValue(s.min, tag), max: maskValue(s.max, tag) } : s
    }),
  }
}

/** One CSV line (RFC 4180 quoting; structured values as JSON, null as empty). */
export function csvLine(values: readonly unknown[]): string {
  return `${values
    .map((v) => {
      if (v === null || v === undefined) return ''
      const text = typeof v === 'string' ? v : JSON.stringify(v)
      return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
    })
    .join(',')}\r\n`
}

/**
 * An error of a cell that reads tagged tables, with its quoted literals masked: engines quote offending values
 * (`Could not convert string 'jane@example.com' to INT32`), and errors go into the shared document too.
 */
export function maskErrorOutput(output: Output): Output {
  if (output.output_type !== 'error') return output
  const mask = (text: string) => text.replace(/'(?:[^']|'')*'/g, "'***'")
  return { ...output, evalue: mask(output.evalue), traceback: output.traceback.map(mask) }
}
