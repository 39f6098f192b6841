import type { ICell, INotebookContent, IOutput } from '@jupyterlab/nbformat'
import { diffLines, type LineHunk } from './line-diff.ts'

/** How one cell differs between two states of a notebook (matched by cell id). */
export interface CellChange {
  cellId: string
  status: 'added' | 'removed' | 'modified' | 'unchanged'
  /** Moved relative to the other cells (it is not on the longest run of cells kept in order). */
  moved: boolean
  cellType: string
  /** Positions in the old and new notebook (null when absent there). */
  oldIndex: number | null
  newIndex: number | null
  /** Line hunks of the source (empty when it did not change). */
  sourceHunks: LineHunk[]
  typeChanged: boolean
  metadataChanged: boolean
  outputs: { changed: boolean; summary: string }
}

export interface NotebookDiff {
  cells: CellChange[]
  summary: {
    added: number
    removed: number
    modified: number
    moved: number
    outputsChanged: number
    unchanged: number
    notebookMetadataChanged: boolean
  }
}

/**
 * Cell-level diff from `before` to `after`: cells matched by id; added, removed, moved and modified
 * (source as line hunks, metadata, outputs with a one-line summary). Cells are listed in the new
 * order, removed cells after the cell that preceded them.
 */
export function diffNotebooks(before: INotebookContent, after: INotebookContent): NotebookDiff {
  const oldCells = new Map(before.cells.map((cell, index) => [cellKey(cell, index), { cell, index }]))
  const newCells = new Map(after.cells.map((cell, index) => [cellKey(cell, index), { cell, index }]))
  const keptOld = [...oldCells.keys()].filter((id) => newCells.has(id))
  const keptNew = [...newCells.keys()].filter((id) => oldCells.has(id))
  const inOrder = longestCommonSubsequence(keptOld, keptNew)

  const changes: CellChange[] = []
  const removedAfter = new Map<number, CellChange[]>()
  for (const [id, { cell, index }] of oldCells) {
    if (newCells.has(id)) continue
    // Place a removed cell after the nearest earlier cell that still exists.
    let anchor = -1
    for (let k = index - 1; k >= 0; k--) {
      const key = cellKey(before.cells[k] as ICell, k)
      if (newCells.has(key)) {
        anchor = newCells.get(key)?.index ?? -1
        break
      }
    }
    const list = removedAfter.get(anchor) ?? []
    list.push(cellChange(id, 'removed', false, cell, undefined, index, null))
    removedAfter.set(anchor, list)
  }
  changes.push(...(removedAfter.get(-1) ?? []))
  after.cells.forEach((cell, index) => {
    const id = cellKey(cell, index)
    const old = oldCells.get(id)
    if (!old) changes.push(cellChange(id, 'added', false, undefined, cell, null, index))
    else changes.push(cellChange(id, 'modified', !inOrder.has(id), old.cell, cell, old.index, index))
    changes.push(...(removedAfter.get(index) ?? []))
  })
  const count = (status: CellChange['status']) => changes.filter((c) => c.status === status).length
  return {
    cells: changes,
    summary: {
      added: count('added'),
      removed: count('removed'),
      modified: count('modified'),
      moved: changes.filter((c) => c.moved).length,
      outputsChanged: changes.filter((c) => c.status !== 'added' && c.status !== 'removed' && c.outputs.changed).length,
      unchanged: count('unchanged'),
      notebookMetadataChanged: stableJson(before.metadata) !== stableJson(after.metadata),
    },
  }
}

function cellChange(
  cellId: string,
  status: CellChange['status'],
  moved: boolean,
  before: ICell | undefined,
  after: ICell | undefined,
  oldIndex: number | null,
  newIndex: number | null,
): CellChange {
  const oldOutputs = outputsOf(before)
  const newOutputs = outputsOf(after)
  const outputsChanged = stableJson(oldOutputs) !== stableJson(newOutputs)
  const sourceHunks = diffLines(sourceOf(before), sourceOf(after))
  const typeChanged = !!before && !!after && before.cell_type !== after.cell_type
  const metadataChanged = !!before && !!after && stableJson(before.metadata) !== stableJson(after.metadata)
  let finalStatus = status
  if (status === 'modified' && sourceHunks.length === 0 && !typeChanged && !metadataChanged && !outputsChanged)
    finalStatus = 'unchanged'
  return {
    cellId,
    status: finalStatus,
    moved,
    cellType: (after ?? before)?.cell_type ?? 'code',
    oldIndex,
    newIndex,
    sourceHunks,
    typeChanged,
    metadataChanged,
    outputs: { changed: outputsChanged, summary: outputsChanged ? summarize(oldOutputs, newOutputs) : 'unchanged' },
  }
}

function cellKey(cell: ICell, index: number): string {
  return typeof cell.id === 'string' && cell.id !== '' ? cell.id : `#${index}`
}

function sourceOf(cell: ICell | undefined): string {
  if (!cell) return ''
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source
}

function outputsOf(cell: ICell | undefined): IOutput[] {
  return cell?.cell_type === 'code' && Array.isArray(cell.outputs) ? (cell.outputs as IOutput[]) : []
}

/** E.g. "2 outputs → 3 outputs (stream, display_data: image/png)". */
function summarize(before: IOutput[], after: IOutput[]): string {
  const describe = (outputs: IOutput[]) => {
    const kinds = outputs.map((o) => {
      const data = (o as { data?: Record<string, unknown> }).data
      const mimes = data ? Object.keys(data).filter((m) => m !== 'text/plain') : []
      return mimes.length > 0 ? `${o.output_type}: ${mimes.join('+')}` : o.output_type
    })
    const plural = outputs.length === 1 ? 'output' : 'outputs'
    return `${outputs.length} ${plural}${kinds.length > 0 ? ` (${[...new Set(kinds)].join(', ')})` : ''}`
  }
  if (before.length === 0) return `added ${describe(after)}`
  if (after.length === 0) return `cleared ${describe(before)}`
  return `${describe(before)} → ${describe(after)}`
}

/** JSON with sorted keys, so equal values compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  )
}

function longestCommonSubsequence(a: string[], b: string[]): Set<string> {
  const n = a.length
  const m = b.length
  if (n * m > 4_000_000) return new Set(a.filter((id, i) => b[i] === id))
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1))
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      (table[i] as Uint32Array)[j] =
        a[i] === b[j]
          ? ((table[i + 1] as Uint32Array)[j + 1] as number) + 1
          : Math.max((table[i + 1] as Uint32Array)[j] as number, (table[i] as Uint32Array)[j + 1] as number)
  const kept = new Set<string>()
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      kept.add(a[i] as string)
      i++
      j++
    } else if (((table[i + 1] as Uint32Array)[j] as number) >= ((table[i] as Uint32Array)[j + 1] as number)) i++
    else j++
  }
  return kept
}
