import type { YCellType, YNotebook } from '@jupyter/ydoc'
import { useEffect, useReducer, useState } from 'react'
import type * as Y from 'yjs'

/** The notebook's cells, re-read whenever cells are added, removed or moved (by anyone). */
export function useCells(notebook: YNotebook | undefined): YCellType[] {
  const [cells, setCells] = useState<YCellType[]>(() => (notebook ? [...notebook.cells] : []))
  useEffect(() => {
    if (!notebook) return
    const handler = (_: YNotebook, change: { cellsChange?: unknown }) => {
      if (change.cellsChange) setCells([...notebook.cells])
    }
    setCells([...notebook.cells])
    notebook.changed.connect(handler)
    return () => {
      notebook.changed.disconnect(handler)
    }
  }, [notebook])
  return cells
}

/** Re-renders when the cell's outputs, metadata or execution count change (and a markdown cell's text). */
export function useCellVersion(cell: YCellType): number {
  const [version, bump] = useReducer((n: number) => n + 1, 0)
  useEffect(() => {
    const handler = (
      _: unknown,
      change: { outputsChange?: unknown; metadataChange?: unknown; executionCountChange?: unknown },
    ) => {
      if (change.outputsChange || change.metadataChange || change.executionCountChange) bump()
    }
    cell.changed.connect(handler)
    // Rendered markdown follows its text as anyone types (code cells: the editor shows the text itself).
    const text = cell.cell_type === 'markdown' ? cell.ysource : undefined
    text?.observe(bump)
    return () => {
      text?.unobserve(bump)
      cell.changed.disconnect(handler)
    }
  }, [cell])
  return version
}

/** One key of a shared Y.Map, live. */
export function useYMapKey<T>(map: Y.Map<T> | undefined, key: string): T | undefined {
  const [value, setValue] = useState<T | undefined>(() => map?.get(key))
  useEffect(() => {
    if (!map) return
    setValue(map.get(key))
    const observer = (event: Y.YMapEvent<T>) => {
      if (event.keysChanged.has(key)) setValue(map.get(key))
    }
    map.observe(observer)
    return () => map.unobserve(observer)
  }, [map, key])
  return value
}

/** Re-renders every `ms` while `active` (running-cell timers). */
export function useTicker(active: boolean, ms = 500): void {
  const [, tick] = useReducer((n: number) => n + 1, 0)
  useEffect(() => {
    if (!active) return
    const id = setInterval(tick, ms)
    return () => clearInterval(id)
  }, [active, ms])
}
