/**
 * The first `k` items of `items` in `compare` order, sorted. A bounded heap keeps this O(n log k): a broad query
 * on a large catalog matches tens of thousands of assets, but a page needs only the best few.
 */
export function topK(items: readonly number[], k: number, compare: (a: number, b: number) => number): number[] {
  if (k <= 0) return []
  if (items.length <= 2 * k || items.length <= 1_000) return [...items].sort(compare).slice(0, k)
  // Max-heap on `compare`: the root is the worst of the best k so far.
  const heap: number[] = []
  const worse = (i: number, j: number) => compare(heap[i] as number, heap[j] as number) > 0
  const swap = (i: number, j: number) => {
    const t = heap[i] as number
    heap[i] = heap[j] as number
    heap[j] = t
  }
  const down = (start: number) => {
    let i = start
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let top = i
      if (l < heap.length && worse(l, top)) top = l
      if (r < heap.length && worse(r, top)) top = r
      if (top === i) return
      swap(i, top)
      i = top
    }
  }
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item)
      let i = heap.length - 1
      while (i > 0) {
        const parent = (i - 1) >>> 1
        if (!worse(i, parent)) break
        swap(i, parent)
        i = parent
      }
    } else if (compare(item, heap[0] as number) < 0) {
      heap[0] = item
      down(0)
    }
  }
  return heap.sort(compare)
}
