import { describe, expect, it } from 'vitest'
import { FIRST_CHUNK_BYTES, nextChunkBytes } from './chunking.ts'

const MiB = 1024 * 1024

describe('upload chunk sizes', () => {
  it('grows chunks on a fast link, at most fourfold a step, up to 32 MiB', () => {
    expect(nextChunkBytes(FIRST_CHUNK_BYTES, 40)).toBe(16 * MiB)
    expect(nextChunkBytes(16 * MiB, 100)).toBe(32 * MiB)
  })

  it('keeps about a second per chunk, and shrinks chunks on a slow link down to 1 MiB', () => {
    expect(nextChunkBytes(4 * MiB, 1000)).toBe(4 * MiB)
    expect(nextChunkBytes(4 * MiB, 2000)).toBe(2 * MiB)
    expect(nextChunkBytes(4 * MiB, 60_000)).toBe(1 * MiB)
  })

  it('handles a chunk that seemed to take no time', () => {
    expect(nextChunkBytes(1 * MiB, 0)).toBe(4 * MiB)
  })
})
