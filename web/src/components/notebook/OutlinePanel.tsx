import type { YCellType } from '@jupyter/ydoc'
import { useEffect, useReducer } from 'react'
import { cellKind, sqlSettings } from '../../core/notebook/cells.ts'

interface Entry {
  id: string
  level: number
  text: string
  kind: 'heading' | 'sql' | 'python'
}

/** The outline: markdown headings, and each code cell's result name or first line, in document order. */
export function outlineOf(cells: YCellType[]): Entry[] {
  const entries: Entry[] = []
  for (const cell of cells) {
    const source = cell.ysource.toString()
    const kind = cellKind(cell)
    if (kind === 'markdown') {
      for (const line of source.split('\n')) {
        const m = /^(#{1,4})\s+(.+)$/.exec(line.trim())
        if (m?.[1] && m[2]) entries.push({ id: cell.id, level: m[1].length, text: m[2], kind: 'heading' })
      }
    } else if (kind === 'sql' || kind === 'python') {
      const output = kind === 'sql' ? sqlSettings(cell)?.output : undefined
      const first = source
        .split('\n')
        .find((l) => l.trim() && !l.startsWith('%%'))
        ?.trim()
      entries.push({ id: cell.id, level: 5, text: output ? `${output} =` : (first ?? '(empty)'), kind })
    }
  }
  return entries
}

/** A table of contents of the notebook; clicking an entry selects and scrolls to its cell. */
export function OutlinePanel({ cells, onSelect }: { cells: YCellType[]; onSelect: (cellId: string) => void }) {
  // Headings change as people type: re-read on any text change of any cell.
  const [, bump] = useReducer((n: number) => n + 1, 0)
  useEffect(() => {
    for (const c of cells) c.ysource.observe(bump)
    return () => {
      for (const c of cells) c.ysource.unobserve(bump)
    }
  }, [cells])
  const entries = outlineOf(cells)
  return (
    <aside className="side-panel outline-panel" aria-labelledby="outline-heading" data-testid="outline">
      <h3 id="outline-heading">Outline</h3>
      {entries.length === 0 ? (
        <p className="muted">Add a markdown heading (# Title) to see it here.</p>
      ) : (
        <ul className="plain-list">
          {entries.map((e, i) => (
            <li key={`${e.id}-${i}`} style={{ paddingLeft: `${(Math.min(e.level, 5) - 1) * 0.75}rem` }}>
              <button type="button" className={`link outline-entry outline-${e.kind}`} onClick={() => onSelect(e.id)}>
                {e.kind !== 'heading' && <span className="tag">{e.kind === 'sql' ? 'SQL' : 'Py'}</span>}
                <span className="truncate">{e.text}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </aside>
  )
}
