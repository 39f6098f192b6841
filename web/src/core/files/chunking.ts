/** Bytes of the first PUT of an upload. */
export const FIRST_CHUNK_BYTES = 4 * 1024 * 1024
const MIN_CHUNK_BYTES = 1024 * 1024
const MAX_CHUNK_BYTES = 32 * 1024 * 1024
/** About one progress update a second, whatever the link. */
const TARGET_MS = 1000

/**
 * The size of the next chunk from how long the last one took: chunks grow on a fast link (fewer requests, each
 * paying authorization and bookkeeping) and shrink on a slow one (progress keeps moving, and a broken chunk costs
 * little to resend), at most four times larger or smaller per step, between 1 and 32 MiB.
 *
 * @example
 * nextChunkBytes(4 * 1024 * 1024, 50) // 16 MiB: that chunk took 50 ms
 */
export function nextChunkBytes(previousBytes: number, elapsedMs: number): number {
  const ideal = (previousBytes * TARGET_MS) / Math.max(elapsedMs, 1)
  const bounded = Math.min(previousBytes * 4, Math.max(previousBytes / 4, ideal))
  return Math.round(Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, bounded)))
}
