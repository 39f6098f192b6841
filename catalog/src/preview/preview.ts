import { qualifiedName } from '../discovery/duckdb-source.ts'
import type { DiscoverySource } from '../types.ts'
import type { AssetWithColumns } from './asset-columns.ts'
import { maskedColumns, maskRow } from './masking.ts'

export interface PreviewOptions {
  limit?: number
  /** `first`: the first rows the source returns; `random`: a random sample. */
  mode?: 'first' | 'random'
  /** Return PII values in clear (the caller checked the capability and audits the read). */
  unmask?: boolean
  /**
   * Masking tags of the sampled columns, in order (the workbench passes its lineage-based plan, the rule SQL
   * results follow, so a table derived from a tagged column is masked here too). Default: the asset's own tags.
   */
  tagsFor?: (columns: readonly string[]) => string[][]
}

export interface Preview {
  columns: { name: string; type: string; tags: string[] }[]
  rows: unknown[][]
  mode: 'first' | 'random'
  /** Columns whose values were masked. */
  masked: string[]
  unmasked: boolean
}

/** The SQL that samples `limit` rows of a table in the source's dialect. */
export function sampleSql(
  dialect: DiscoverySource['dialect'],
  schema: string,
  name: string,
  limit: number,
  mode: 'first' | 'random',
): string {
  const table = qualifiedName(dialect, schema, name)
  if (mode === 'first') return `SELECT * FROM ${table} LIMIT ${limit}`
  if (dialect === 'duckdb') return `SELECT * FROM ${table} USING SAMPLE ${limit} ROWS`
  return `SELECT * FROM ${table} ORDER BY ${dialect === 'mysql' ? 'RAND()' : 'random()'} LIMIT ${limit}`
}

/**
 * Reads sample rows of an asset from its source and masks PII-tagged columns unless `unmask` is set.
 * Tags come from the catalog by column name, so a column the catalog does not know is never masked: discovery
 * should run before previews are offered.
 */
export async function previewAsset(
  asset: AssetWithColumns,
  source: DiscoverySource,
  options: PreviewOptions = {},
): Promise<Preview> {
  if (!source.runSql) throw new Error(`the ${source.kind} source cannot be read`)
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 1_000)
  const mode = options.mode ?? 'first'
  const page = await source.runSql(sampleSql(source.dialect, asset.schema, asset.name, limit, mode), { limit })
  const tagsOf = new Map(asset.columns.map((c) => [c.name, c.tags]))
  const planned = options.tagsFor?.(page.columns.map((c) => c.name))
  const columns = page.columns.map((c, i) => ({
    name: c.name,
    type: c.type,
    tags: planned ? (planned[i] ?? []) : (tagsOf.get(c.name) ?? []),
  }))
  const unmasked = options.unmask === true
  return {
    columns,
    rows: unmasked ? page.rows : page.rows.map((r) => maskRow(columns, r)),
    mode,
    masked: unmasked ? [] : maskedColumns(columns),
    unmasked,
  }
}
