import type { YCellType, YNotebook } from '@jupyter/ydoc'
import { useVirtualizer } from '@tanstack/react-virtual'
import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from 'react'
import type { Awareness } from 'y-protocols/awareness'
import { type CellKind, cellKind, insertCell, mergeWithNext, setKind, splitCell } from '../../core/notebook/cells.ts'
import type { Presence } from '../../core/notebook/collab.ts'
import type { ConnectionChoice } from '../../core/notebook/connections.ts'
import { type CellRunState, executionMap } from '../../core/notebook/execution.ts'
import { formatSqlCell } from '../../core/notebook/sql-format.ts'
import { EmptyState } from '../ui/EmptyState.tsx'
import { type CellActions, CellView } from './CellView.tsx'

interface Props {
  notebook: YNotebook
  cells: YCellType[]
  awareness: Awareness
  canEdit: boolean
  canRun: boolean
  connections: ConnectionChoice[]
  /** Queues cells on the kernel, in the given order. */
  runCells: (ids: string[]) => void
  activeId: string | undefined
  onActiveChange: (id: string | undefined) => void
  onToggleHelp: () => void
  /** I, I in command mode (as in Jupyter). */
  onInterrupt?: () => void
  /** 0, 0 in command mode, after a confirmation (as in Jupyter). */
  onRestart?: () => void
}

/** Cells deleted in this tab, most recent last, for Z (undo cell deletion). */
const MAX_UNDO_DELETES = 50
/** Two presses of a key within this time are a double press (D,D  I,I  0,0). */
const DOUBLE_PRESS_MS = 800

/**
 * The cells, virtualised (only visible ones are mounted, so Monaco editors exist only on screen), with
 * Jupyter's command and edit modes.
 */
export function NotebookCells(props: Props) {
  const { notebook, cells, awareness, canEdit, canRun, connections, runCells, activeId, onActiveChange, onToggleHelp } =
    props
  const { onInterrupt, onRestart } = props
  const deleted = useRef<{ index: number; cell: ReturnType<YCellType['toJSON']> }[]>([])
  const [mode, setMode] = useState<'command' | 'edit'>('command')
  const container = useRef<HTMLElement>(null)
  const lastKey = useRef<{ key: string; at: number }>({ key: '', at: 0 })
  const runStates = useRunStates(notebook)
  const presence = usePresence(awareness)

  const indexOf = (id: string | undefined) => cells.findIndex((c) => c.id === id)
  const virtualizer = useVirtualizer({
    count: cells.length,
    getScrollElement: () => container.current,
    estimateSize: (i) => 40 + 19 * Math.min(30, (cells[i]?.ysource.length ?? 0) / 40 + 1),
    overscan: 3,
    getItemKey: (i) => cells[i]?.id ?? i,
  })

  useEffect(() => {
    awareness.setLocalStateField('cell', activeId ?? null)
  }, [awareness, activeId])

  const select = (id: string | undefined, nextMode: 'command' | 'edit' = 'command') => {
    onActiveChange(id)
    setMode(nextMode)
    const i = indexOf(id)
    if (i >= 0) virtualizer.scrollToIndex(i, { align: 'auto' })
    // At once (not after the render): a key pressed right after Esc must reach command mode, not the editor.
    if (nextMode === 'command') container.current?.focus({ preventScroll: true })
  }

  const actions: CellActions = useMemo(() => {
    const idx = (id: string) => notebook.cells.findIndex((c) => c.id === id)
    return {
      select: (id, m) => select(id, m),
      run: (id, advance) => {
        const i = idx(id)
        const cell = notebook.cells[i]
        if (!cell) return
        if (cellKind(cell) !== 'markdown' && canRun) runCells([id])
        if (advance === 'insert' || (advance === 'next' && i === notebook.cells.length - 1 && canEdit)) {
          const kind = cellKind(cell) === 'markdown' ? 'python' : cellKind(cell)
          select(insertCell(notebook, i + 1, kind), 'edit')
        } else if (advance === 'next') select(notebook.cells[i + 1]?.id, 'command')
        else select(id, 'command')
      },
      setKind: (id, kind) => setKind(notebook, idx(id), kind),
      remove: (id) => {
        const i = idx(id)
        const cell = notebook.cells[i]
        if (!cell) return
        deleted.current = [...deleted.current.slice(1 - MAX_UNDO_DELETES), { index: i, cell: cell.toJSON() }]
        notebook.deleteCell(i)
        select(notebook.cells[Math.min(i, notebook.cells.length - 1)]?.id)
      },
      move: (id, delta) => {
        const i = idx(id)
        const to = i + delta
        if (i < 0 || to < 0 || to >= notebook.cells.length) return
        notebook.moveCell(i, to)
        select(id)
      },
      moveTo: (fromId, toId) => {
        const from = idx(fromId)
        const to = idx(toId)
        if (from >= 0 && to >= 0) notebook.moveCell(from, to)
      },
      split: (id, offset) => {
        const created = splitCell(notebook, idx(id), offset)
        if (created) select(created, 'edit')
      },
      focusNeighbour: (id, delta) => {
        const next = notebook.cells[idx(id) + delta]
        if (next) select(next.id, 'edit')
      },
      toCommandMode: () => select(activeIdRef.current, 'command'),
    }
  }, [notebook, canEdit, canRun, runCells])
  const activeIdRef = useRef(activeId)
  activeIdRef.current = activeId

  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (mode === 'edit' || (e.target as HTMLElement).closest('.cell-editor, input, select, textarea, button, a')) return
    const i = indexOf(activeId)
    const cell = cells[i]
    const key = e.key
    const handled = () => e.preventDefault()
    const act = (fn: () => void) => {
      e.preventDefault()
      fn()
    }
    if (key === 'Enter' && e.shiftKey && cell) return act(() => actions.run(cell.id, 'next'))
    if (key === 'Enter' && (e.ctrlKey || e.metaKey) && cell) return act(() => actions.run(cell.id, 'stay'))
    if (key === 'Enter' && e.altKey && cell) return act(() => actions.run(cell.id, 'insert'))
    if (key === 'Enter' && cell) return act(() => select(cell.id, 'edit'))
    if (key === 'ArrowUp' && e.altKey && cell) return act(() => actions.move(cell.id, -1))
    if (key === 'ArrowDown' && e.altKey && cell) return act(() => actions.move(cell.id, 1))
    if (key === 'ArrowUp' || key === 'k') return act(() => select(cells[Math.max(0, i - 1)]?.id))
    if (key === 'ArrowDown' || key === 'j') return act(() => select(cells[Math.min(cells.length - 1, i + 1)]?.id))
    if (key === 'h' || key === '?') return act(() => onToggleHelp())
    const pressedTwice = () => {
      const now = Date.now()
      const twice = lastKey.current.key === key && now - lastKey.current.at < DOUBLE_PRESS_MS
      lastKey.current = twice ? { key: '', at: 0 } : { key, at: now }
      return twice
    }
    if (key === 'i' && canRun && onInterrupt && !e.ctrlKey && !e.metaKey && !e.altKey) {
      handled()
      if (pressedTwice()) onInterrupt()
      return
    }
    if (key === '0' && canRun && onRestart && !e.ctrlKey && !e.metaKey && !e.altKey) {
      handled()
      if (pressedTwice() && window.confirm('Restart the kernel? Its variables are lost.')) onRestart()
      return
    }
    if (!canEdit || e.ctrlKey || e.metaKey || e.altKey) return
    const kindKeys: Record<string, CellKind> = { m: 'markdown', y: 'python', q: 'sql' }
    if (key === 'a' || key === 'b') {
      handled()
      const at = key === 'a' ? Math.max(0, i) : i + 1
      const kind = cell && cellKind(cell) !== 'markdown' ? cellKind(cell) : 'python'
      return select(insertCell(notebook, at, kind), 'command')
    }
    if (key === 'd' && cell) {
      handled()
      if (pressedTwice()) actions.remove(cell.id)
      return
    }
    if (key === 'z') {
      handled()
      const last = deleted.current.pop()
      if (!last) return
      const at = Math.min(last.index, notebook.cells.length)
      // A collaborator may have added a cell with that id meanwhile: then the restored one gets a new id.
      const { id, ...rest } = last.cell
      const restored = notebook.cells.some((c) => c.id === id) ? rest : last.cell
      return select(notebook.insertCell(at, restored).id, 'command')
    }
    const toKind = kindKeys[key]
    if (toKind && cell) return act(() => actions.setKind(cell.id, toKind))
    if (key === 'M' && e.shiftKey) return act(() => mergeWithNext(notebook, i))
    if (key === 'F' && e.shiftKey && cell && cellKind(cell) === 'sql') {
      handled()
      const text = cell.ysource.toString()
      try {
        const formatted = formatSqlCell(text)
        if (formatted !== text) cell.setSource(formatted)
      } catch {
        /* unparseable SQL stays as typed */
      }
    }
  }

  if (cells.length === 0)
    return (
      <EmptyState title="This notebook has no cells yet.">
        {canEdit && (
          <p className="inline">
            {(['sql', 'python', 'markdown'] as const).map((k) => (
              <button key={k} type="button" onClick={() => select(insertCell(notebook, 0, k), 'edit')}>
                Add a {k === 'sql' ? 'SQL' : k === 'python' ? 'Python' : 'Markdown'} cell
              </button>
            ))}
          </p>
        )}
      </EmptyState>
    )

  return (
    <section
      ref={container}
      className="cells-scroll"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: command mode needs keyboard focus on the notebook
      tabIndex={0}
      aria-label="Cells (command mode: Enter to edit, H for shortcuts)"
      data-testid="cells"
      data-mode={mode}
      onKeyDown={onKeyDown}
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const cell = cells[item.index]
          if (!cell) return null
          return (
            <div
              key={item.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              className="cell-slot"
              style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)` }}
            >
              <CellView
                cell={cell}
                index={item.index}
                active={cell.id === activeId}
                editing={cell.id === activeId && mode === 'edit'}
                canEdit={canEdit}
                canRun={canRun}
                awareness={awareness}
                runState={runStates.get(cell.id)}
                connections={connections}
                presence={presence.get(cell.id) ?? NO_PRESENCE}
                actions={actions}
              />
              {canEdit && (
                <div className="add-between inline">
                  {(['sql', 'python', 'markdown'] as const).map((k) => (
                    <button
                      key={k}
                      type="button"
                      className="link"
                      onClick={() => select(insertCell(notebook, item.index + 1, k), 'edit')}
                    >
                      + {k === 'sql' ? 'SQL' : k === 'python' ? 'Python' : 'Markdown'}
                    </button>
                  ))}
                </div>
              )}
            </div>
          )
        })}
      </div>
    </section>
  )
}

const NO_PRESENCE: { name: string; color: string }[] = []

/** Every cell's run state from the shared `execution` map, live. */
function useRunStates(notebook: YNotebook): Map<string, CellRunState> {
  const map = executionMap(notebook.ydoc)
  const [states, setStates] = useState(() => new Map(map.entries()))
  useEffect(() => {
    const update = () => setStates(new Map(map.entries()))
    update()
    map.observe(update)
    return () => map.unobserve(update)
  }, [map])
  return states
}

/** Which collaborators are on which cell (their awareness `cell` field). */
function usePresence(awareness: Awareness): Map<string, { name: string; color: string }[]> {
  const [byCell, setByCell] = useState(new Map<string, { name: string; color: string }[]>())
  useEffect(() => {
    const update = () => {
      const next = new Map<string, { name: string; color: string }[]>()
      awareness.getStates().forEach((state, clientId) => {
        const s = state as { user?: Presence; cell?: string | null }
        if (clientId === awareness.clientID || !s.user || !s.cell) return
        next.set(s.cell, [...(next.get(s.cell) ?? []), { name: s.user.name, color: s.user.color }])
      })
      setByCell(next)
    }
    update()
    awareness.on('change', update)
    return () => awareness.off('change', update)
  }, [awareness])
  return byCell
}
