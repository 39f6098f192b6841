import type { Kysely } from 'kysely'
import { proposeTags } from '../assets.ts'
import type { CatalogTables, DiscoverySource } from '../types.ts'
import type { AssetWithColumns } from './asset-columns.ts'
import { classifyColumns, type TagProposal } from './classify.ts'
import { previewAsset } from './preview.ts'

/** Rows sampled per table to classify it. */
export const DETECTION_SAMPLE_ROWS = 200

/**
 * Detects personal data in one asset: samples rows on the server (values never leave it), classifies the
 * columns by name, type and values, and records the findings (`pending` for high confidence, masked at once;
 * `proposed` otherwise). Returns the findings and how many tags were new. `mode`: `random` (default) reads a
 * random sample, a full scan on most engines; `first` reads the first rows only (cheap, for automatic runs).
 */
export async function detectPersonalData(
  db: Kysely<CatalogTables>,
  asset: AssetWithColumns,
  source: DiscoverySource,
  options: { mode?: 'first' | 'random' } = {},
): Promise<{ proposals: TagProposal[]; added: number }> {
  const mode = options.mode ?? 'random'
  const sample = await previewAsset(asset, source, { limit: DETECTION_SAMPLE_ROWS, mode, unmask: true })
  const types = new Map(asset.columns.map((c) => [c.name, c.type]))
  const proposals = classifyColumns(
    sample.columns.map((c) => ({ name: c.name, type: types.get(c.name) ?? c.type })),
    sample.rows,
  )
  const added = await proposeTags(db, asset.id, proposals)
  return { proposals, added }
}
