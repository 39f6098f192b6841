import type { YCellType, YCodeCell } from '@jupyter/ydoc'
import { ArrowDown, ArrowUp, Play, Trash2, WandSparkles } from 'lucide-react'
import { memo, useMemo } from 'react'
import type { Awareness } from 'y-protocols/awareness'
import {
  type CellKind,
  cellKind,
  isIdentifier,
  setChart,
  setConnection,
  setSqlOutput,
  sqlSettings,
} from '../../core/notebook/cells.ts'
import { chartChoiceOf } from '../../core/notebook/chart-spec.ts'
import type { ConnectionChoice } from '../../core/notebook/connections.ts'
import { type CellRunState, formatDuration } from '../../core/notebook/execution.ts'
import { renderMarkdown } from '../../core/notebook/render-safe.ts'
import { formatSqlCell } from '../../core/notebook/sql-format.ts'
import { sqlErrorPosition } from '../../core/notebook/sql-support.ts'
import { IconButton } from '../ui/IconButton.tsx'
import { CellEditor, type EditorKeys } from './CellEditor.tsx'
import { useCellVersion, useTicker } from './hooks.ts'
import { type CellOutput, Outputs } from './outputs/Outputs.tsx'

/** Notebook-level actions a cell's controls call (by cell id, so they stay valid across moves). */
export interface CellActions {
  select: (id: string, mode: 'command' | 'edit') => void
  run: (id: string, advance: 'stay' | 'next' | 'insert') => void
  setKind: (id: string, kind: CellKind) => void
  remove: (id: string) => void
  move: (id: string, delta: number) => void
  moveTo: (fromId: string, toId: string) => void
  split: (id: string, offset: number) => void
  focusNeighbour: (id: string, delta: number) => void
  toCommandMode: () => void
}

interface Props {
  cell: YCellType
  index: number
  active: boolean
  editing: boolean
  canEdit: boolean
  awareness: Awareness
  runState: CellRunState | undefined
  connections: ConnectionChoice[]
  presence: { name: string; color: string }[]
  actions: CellActions
  canRun: boolean
}

/** One cell: gutter with run state, toolbar, editor (or rendered markdown) and outputs. */
export const CellView = memo(function CellView(props: Props) {
  const { cell, index, active, editing, canEdit, awareness, runState, connections, presence, actions, canRun } = props
  useCellVersion(cell)
  const kind = cellKind(cell)
  const sql = sqlSettings(cell)
  const running = runState?.state === 'running' || runState?.state === 'queued'
  useTicker(running)
  const outputs = cell.cell_type === 'code' ? ((cell as YCodeCell).outputs as unknown as CellOutput[]) : []
  const error = outputs.find((o) => o.output_type === 'error')
  const source = cell.ysource.toString()
  const errorAt = useMemo(() => {
    if (kind !== 'sql' || !error?.evalue) return undefined
    const magic = source.startsWith('%%sql') ? 1 : 0
    const body = magic ? source.slice(source.indexOf('\n') + 1) : source
    return sqlErrorPosition([error.evalue, ...(error.traceback ?? [])].join('\n'), body, magic)
  }, [kind, error, source])
  const keys: EditorKeys = {
    run: () => actions.run(cell.id, 'stay'),
    runAndAdvance: () => actions.run(cell.id, 'next'),
    runAndInsert: () => actions.run(cell.id, 'insert'),
    toCommandMode: actions.toCommandMode,
    split: (offset) => actions.split(cell.id, offset),
    focusPrevious: () => actions.focusNeighbour(cell.id, -1),
    focusNext: () => actions.focusNeighbour(cell.id, 1),
  }
  const showEditor = kind !== 'markdown' || editing || source.trim() === ''
  // The chart is part of the cell (its choice in metadata), so a re-run redraws it from the new result.
  const chart = chartChoiceOf((cell.getMetadata('workbench') as { chart?: unknown } | undefined)?.chart)
  const saveChart = canEdit ? (choice: Parameters<typeof setChart>[1]) => setChart(cell, choice) : undefined

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a click anywhere selects the cell (keyboard: arrows in command mode)
    <div
      className={`cell cell-${kind}${active ? ' active' : ''}${editing ? ' editing' : ''}`}
      data-testid="cell"
      data-cell-id={cell.id}
      data-kind={kind}
      data-run-state={runState?.state ?? ''}
      onMouseDown={() => !active && actions.select(cell.id, 'command')}
      onDragOver={(e) => e.dataTransfer.types.includes('application/x-workbench-cell') && e.preventDefault()}
      onDrop={(e) => {
        const from = e.dataTransfer.getData('application/x-workbench-cell')
        if (from && from !== cell.id) actions.moveTo(from, cell.id)
      }}
    >
      <div className="cell-gutter">
        {canEdit && (
          <span
            className="drag-handle"
            draggable
            title="Drag to move"
            aria-hidden="true"
            onDragStart={(e) => e.dataTransfer.setData('application/x-workbench-cell', cell.id)}
          >
            ⋮⋮
          </span>
        )}
        <span className="exec-count">
          {cell.cell_type === 'code' ? `[${(cell as YCodeCell).execution_count ?? ' '}]` : ''}
        </span>
        <RunBadge state={runState} />
      </div>
      <div className="cell-body">
        {/* Always laid out (hidden when inactive) so selecting a cell never shifts what was clicked. */}
        {
          <div
            className={`cell-toolbar inline${active ? '' : ' inactive'}`}
            role="toolbar"
            aria-label={`Cell ${index + 1} tools`}
          >
            <select
              aria-label="Cell type"
              value={kind}
              disabled={!canEdit}
              onChange={(e) => actions.setKind(cell.id, e.target.value as CellKind)}
            >
              <option value="sql">SQL</option>
              <option value="python">Python</option>
              <option value="markdown">Markdown</option>
              {kind === 'raw' && <option value="raw">Raw</option>}
            </select>
            {sql && (
              <>
                <select
                  aria-label="Connection"
                  value={sql.connection}
                  disabled={!canEdit}
                  onChange={(e) => setConnection(cell, e.target.value)}
                >
                  {[
                    ...connections,
                    ...(connections.some((c) => c.id === sql.connection)
                      ? []
                      : [{ id: sql.connection, name: sql.connection, type: '?' }]),
                  ].map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))}
                </select>
                <input
                  aria-label="Save result as (Python variable)"
                  placeholder="result name"
                  defaultValue={sql.output ?? ''}
                  size={10}
                  disabled={!canEdit}
                  onBlur={(e) => {
                    const name = e.target.value.trim()
                    if (name === (sql.output ?? '')) return
                    if (name && !isIdentifier(name)) return
                    setSqlOutput(cell, name)
                  }}
                />
                {canEdit && (
                  <IconButton
                    label="Format SQL"
                    hint="Shift+F"
                    icon={WandSparkles}
                    onClick={() => {
                      const text = cell.ysource.toString()
                      try {
                        const formatted = formatSqlCell(text)
                        if (formatted !== text) cell.setSource(formatted)
                      } catch {
                        /* unparseable SQL stays as typed */
                      }
                    }}
                  />
                )}
              </>
            )}
            <span className="spacer" />
            {canRun && kind !== 'markdown' && (
              <IconButton label="Run cell" hint="Ctrl+Enter" icon={Play} onClick={() => actions.run(cell.id, 'stay')} />
            )}
            {canEdit && (
              <>
                <IconButton
                  label="Move cell up"
                  hint="Alt+↑"
                  icon={ArrowUp}
                  onClick={() => actions.move(cell.id, -1)}
                />
                <IconButton
                  label="Move cell down"
                  hint="Alt+↓"
                  icon={ArrowDown}
                  onClick={() => actions.move(cell.id, 1)}
                />
                <IconButton
                  label="Delete cell"
                  hint="D, D"
                  icon={Trash2}
                  className="danger-icon"
                  onClick={() => actions.remove(cell.id)}
                />
              </>
            )}
            {presence.length > 0 && (
              <span className="presence" title="Also on this cell">
                {presence.map((p) => (
                  <span key={p.name} className="presence-dot" style={{ background: p.color }} title={p.name} />
                ))}
              </span>
            )}
          </div>
        }
        {!active && presence.length > 0 && (
          <span className="presence floating">
            {presence.map((p) => (
              <span key={p.name} className="presence-dot" style={{ background: p.color }} title={p.name} />
            ))}
          </span>
        )}
        {showEditor ? (
          <CellEditor
            cell={cell}
            language={
              kind === 'sql' ? 'sql' : kind === 'python' ? 'python' : kind === 'markdown' ? 'markdown' : 'plaintext'
            }
            awareness={awareness}
            readOnly={!canEdit}
            focused={editing}
            keys={keys}
            onFocus={() => actions.select(cell.id, 'edit')}
            errorAt={errorAt}
          />
        ) : (
          // biome-ignore lint/a11y/noStaticElementInteractions: double-click edits, as in Jupyter (keyboard: Enter)
          <div
            className="markdown rendered"
            data-testid="markdown-rendered"
            onDoubleClick={() => canEdit && actions.select(cell.id, 'edit')}
            dangerouslySetInnerHTML={{ __html: renderMarkdown(source) }}
          />
        )}
        <Outputs outputs={outputs} chart={chart} onSaveChart={saveChart} />
      </div>
    </div>
  )
})

function RunBadge({ state }: { state: CellRunState | undefined }) {
  if (!state) return null
  const now = Date.now()
  const label =
    state.state === 'queued'
      ? 'queued'
      : state.state === 'running'
        ? `running ${formatDuration(now - (state.startedAt ?? now))}`
        : `${state.state === 'ok' ? '✓' : state.state === 'error' ? '✗' : '■'} ${state.durationMs !== undefined ? formatDuration(state.durationMs) : ''}`
  return (
    <span
      className={`run-badge run-${state.state}`}
      data-testid="run-state"
      title={`${state.state}${state.finishedAt ? ` at ${new Date(state.finishedAt).toLocaleTimeString()}` : ''}`}
    >
      {label}
    </span>
  )
}
