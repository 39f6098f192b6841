/** One hunk of a line diff, like a unified diff's `@@ -oldStart,oldLines +newStart,newLines @@`. */
export interface LineHunk {
  /** 1-based first line in the old text (0 when the hunk only adds to an empty text). */
  oldStart: number
  oldLines: number
  newStart: number
  newLines: number
  /** Lines prefixed with ' ' (context), '-' (removed) or '+' (added). */
  lines: string[]
}

/** Past this many line pairs the diff is not aligned any more: the texts are shown as replaced whole. */
const MAX_CELLS = 4_000_000

/**
 * Line hunks turning `before` into `after` (longest common subsequence, `context` unchanged lines
 * around each change). Empty when the texts are equal.
 */
export function diffLines(before: string, after: string, context = 3): LineHunk[] {
  if (before === after) return []
  const a = splitLines(before)
  const b = splitLines(after)
  const ops = a.length * b.length > MAX_CELLS ? replaceAll(a, b) : alignLines(a, b)
  return toHunks(ops, context)
}

type Op = { kind: ' ' | '-' | '+'; line: string; oldNo: number; newNo: number }

function splitLines(text: string): string[] {
  if (text === '') return []
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines
}

function replaceAll(a: string[], b: string[]): Op[] {
  return [
    ...a.map((line, i) => ({ kind: '-' as const, line, oldNo: i + 1, newNo: 0 })),
    ...b.map((line, j) => ({ kind: '+' as const, line, oldNo: a.length, newNo: j + 1 })),
  ]
}

function alignLines(a: string[], b: string[]): Op[] {
  // Common prefix and suffix first: most edits touch a few lines of a long cell.
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  const n = endA - start
  const m = endB - start
  // lcs[i][j] = length of the LCS of a[start+i..endA) and b[start+j..endB).
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as Uint32Array
    const below = lcs[i + 1] as Uint32Array
    for (let j = m - 1; j >= 0; j--) {
      row[j] =
        a[start + i] === b[start + j]
          ? (below[j + 1] as number) + 1
          : Math.max(below[j] as number, row[j + 1] as number)
    }
  }
  const ops: Op[] = []
  for (let k = 0; k < start; k++) ops.push({ kind: ' ', line: a[k] as string, oldNo: k + 1, newNo: k + 1 })
  let i = 0
  let j = 0
  while (i < n || j < m) {
    const ai = start + i
    const bj = start + j
    if (i < n && j < m && a[ai] === b[bj]) {
      ops.push({ kind: ' ', line: a[ai] as string, oldNo: ai + 1, newNo: bj + 1 })
      i++
      j++
    } else if (i < n && (j === m || (lcs[i + 1]?.[j] as number) >= (lcs[i]?.[j + 1] as number))) {
      // Removals before additions, as unified diffs show them.
      ops.push({ kind: '-', line: a[ai] as string, oldNo: ai + 1, newNo: bj })
      i++
    } else {
      ops.push({ kind: '+', line: b[bj] as string, oldNo: ai, newNo: bj + 1 })
      j++
    }
  }
  for (let k = 0; k < a.length - endA; k++)
    ops.push({ kind: ' ', line: a[endA + k] as string, oldNo: endA + k + 1, newNo: endB + k + 1 })
  return ops
}

function toHunks(ops: Op[], context: number): LineHunk[] {
  const hunks: LineHunk[] = []
  let current: { from: number; to: number } | undefined
  const ranges: { from: number; to: number }[] = []
  ops.forEach((op, index) => {
    if (op.kind === ' ') return
    const from = Math.max(0, index - context)
    const to = Math.min(ops.length - 1, index + context)
    if (current && from <= current.to + 1) current.to = to
    else {
      current = { from, to }
      ranges.push(current)
    }
  })
  for (const range of ranges) {
    const slice = ops.slice(range.from, range.to + 1)
    const first = slice[0] as Op
    const oldLines = slice.filter((op) => op.kind !== '+').length
    const newLines = slice.filter((op) => op.kind !== '-').length
    hunks.push({
      oldStart: oldLines === 0 ? first.oldNo : (slice.find((op) => op.kind !== '+') as Op).oldNo,
      oldLines,
      newStart: newLines === 0 ? first.newNo : (slice.find((op) => op.kind !== '-') as Op).newNo,
      newLines,
      lines: slice.map((op) => `${op.kind}${op.line}`),
    })
  }
  return hunks
}
