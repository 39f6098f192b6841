import type { YCodeCell, YNotebook } from '@jupyter/ydoc'
import {
  ArrowDownToLine,
  ArrowUpToLine,
  ChevronLeft,
  CircleStop,
  Download,
  History,
  Keyboard,
  ListTree,
  MessageSquare,
  PlayCircle,
  RotateCcw,
} from 'lucide-react'
import { useCallback, useEffect, useState } from 'react'
import { roleAtLeast, type User, type Workspace } from '../../core/auth/types.ts'
import { trackPresenceStyles } from '../../core/monaco/presence-styles.ts'
import { setPythonKernelSource } from '../../core/monaco/python-language.ts'
import { setSchemaSource } from '../../core/monaco/sql-language.ts'
import { cellKind, sqlSettings } from '../../core/notebook/cells.ts'
import {
  type ConnectionState,
  type NotebookSession,
  openNotebookSession,
  type Presence,
} from '../../core/notebook/collab.ts'
import { type ConnectionChoice, DUCKDB_CHOICE, loadConnections } from '../../core/notebook/connections.ts'
import {
  type ExecutionInfo,
  executionApi,
  executionMap,
  type KernelStatus,
  kernelMap,
  TABLE_MIME_TYPE,
  type TableData,
} from '../../core/notebook/execution.ts'
import { commentsApi, versionsApi } from '../../core/notebook/history-api.ts'
import type { SchemaTable } from '../../core/notebook/sql-support.ts'
import { loadWorkspaceSchema } from '../../core/notebook/workspace-schema.ts'
import { notebooksApi } from '../../core/notebooks/notebooks-api.ts'
import type { NotebookFile } from '../../core/notebooks/types.ts'
import { hrefFor } from '../../core/routing/routes.ts'
import { errorMessage, toast } from '../../core/ui/toasts.ts'
import { IconButton } from '../ui/IconButton.tsx'
import { Skeleton } from '../ui/Skeleton.tsx'
import { Tip } from '../ui/Tip.tsx'
import { CommentsPanel } from './CommentsPanel.tsx'
import { useCells, useYMapKey } from './hooks.ts'
import { NotebookCells } from './NotebookCells.tsx'
import { NotebookEnvContext } from './notebook-context.ts'
import { OutlinePanel } from './OutlinePanel.tsx'
import { ShortcutHelp } from './ShortcutHelp.tsx'
import { VersionsPanel } from './VersionsPanel.tsx'

type Panel = 'versions' | 'comments' | 'help' | 'outline' | undefined

/** A notebook open for editing: live document, kernel controls, side panels. */
export default function NotebookPage({
  workspace,
  notebookId,
  user,
  cellId,
}: {
  workspace: Workspace
  notebookId: string
  user: User
  /** A deep link to one cell (`?cell=`): selected and scrolled to once the document has synced. */
  cellId?: string
}) {
  const canEdit = roleAtLeast(workspace.role, 'editor')
  const [file, setFile] = useState<NotebookFile>()
  const [session, setSession] = useState<NotebookSession>()
  const [connection, setConnection] = useState<{ state: ConnectionState; reason?: string }>({ state: 'connecting' })
  const [synced, setSynced] = useState(false)
  const [execution, setExecution] = useState<ExecutionInfo | 'unavailable'>()
  const [connections, setConnections] = useState<ConnectionChoice[]>([DUCKDB_CHOICE])
  const [panel, setPanel] = useState<Panel>()
  const [missing, setMissing] = useState<{ versions?: boolean; comments?: boolean }>({})
  const [activeId, setActiveId] = useState<string>()
  const [collaborators, setCollaborators] = useState<Presence[]>([])
  const files = notebooksApi(workspace.id)
  const exec = executionApi(workspace.id, notebookId)

  useEffect(() => {
    files.get(notebookId).then(setFile, (err: unknown) => toast(errorMessage(err), 'error'))
    exec.status().then(setExecution, () => setExecution('unavailable'))
    loadConnections(workspace.id).then(setConnections)
    // Versions and comments come from another part of the server: hide their panels where it is absent.
    const absent = (key: 'versions' | 'comments') => (page: unknown) =>
      page === undefined && setMissing((m) => ({ ...m, [key]: true }))
    versionsApi(workspace.id, notebookId)
      .list()
      .then(absent('versions'), () => {})
    commentsApi(workspace.id, notebookId)
      .list()
      .then(absent('comments'), () => {})
    const s = openNotebookSession(workspace.id, notebookId, user)
    setSession(s)
    const offState = s.onState((state, reason) => setConnection({ state, reason }))
    const offSync = s.onSync(() => setSynced(true))
    const offStyles = trackPresenceStyles(s.provider.awareness)
    const who = () => {
      const list: Presence[] = []
      s.provider.awareness.getStates().forEach((st, id) => {
        const u = (st as { user?: Presence }).user
        if (u && id !== s.provider.awareness.clientID && !list.some((p) => p.id === u.id && p.name === u.name))
          list.push(u)
      })
      setCollaborators(list)
    }
    s.provider.awareness.on('change', who)
    return () => {
      s.provider.awareness.off('change', who)
      offStyles()
      offState()
      offSync()
      s.destroy()
    }
  }, [workspace.id, notebookId, user.id])

  const notebook = session?.notebook
  const cells = useCells(notebook)
  const linkedCellPresent = Boolean(cellId && synced && cells.some((c) => c.id === cellId))
  useEffect(() => {
    if (!cellId || !linkedCellPresent) return
    setActiveId(cellId)
    const element = document.querySelector(`[data-cell-id="${CSS.escape(cellId)}"]`)
    element?.scrollIntoView({ block: 'center' })
  }, [cellId, linkedCellPresent])
  const kernelStatus = useYMapKey(notebook ? (kernelMap(notebook.ydoc) as never) : undefined, 'status') as
    | KernelStatus
    | undefined
  const commentsRevision = useYMapKey(notebook ? notebook.ydoc.getMap('comments-rev') : undefined, 'rev')
  const canRun = canEdit && execution !== undefined && execution !== 'unavailable'
  // The session (and with it result paging) appears with the first run: re-read it as the kernel changes.
  useEffect(() => {
    if (kernelStatus && execution !== 'unavailable') exec.status().then(setExecution, () => {})
  }, [kernelStatus])

  // SQL autocomplete: the workspace DuckDB's tables (when the session can be asked) and the results bound
  // to names in this notebook (their columns are known from their outputs).
  const [workspaceTables, setWorkspaceTables] = useState<SchemaTable[]>([])
  const sessionId = execution && execution !== 'unavailable' ? execution.sessionId : null
  useEffect(() => {
    // Read at once, and again when the session appears or changes (runs may have created tables).
    void sessionId
    loadWorkspaceSchema(workspace.id).then(setWorkspaceTables)
  }, [workspace.id, sessionId])
  useEffect(() => {
    setSchemaSource((): SchemaTable[] => [
      ...workspaceTables,
      ...cells.flatMap((c) => {
        const out = sqlSettings(c)?.output
        if (!out || c.cell_type !== 'code') return []
        const table = (c as YCodeCell).outputs
          .map((o) => (o as { data?: Record<string, unknown> }).data?.[TABLE_MIME_TYPE] as TableData | undefined)
          .find(Boolean)
        return [{ name: out, columns: table?.columns ?? [] }]
      }),
    ])
  }, [cells, workspaceTables])

  // Python completion and Shift-Tab help come from this notebook's kernel (editors only, as running).
  useEffect(() => {
    if (!canRun) return
    setPythonKernelSource({ complete: exec.complete, inspect: exec.inspect })
    return () => setPythonKernelSource(undefined)
  }, [canRun, workspace.id, notebookId])

  const runCells = useCallback(
    (ids: string[]) => {
      if (ids.length === 0) return
      exec
        .run(ids)
        .then(() => exec.status())
        .then(setExecution, (err: unknown) => toast(`Could not run: ${errorMessage(err)}`, 'error'))
    },
    [workspace.id, notebookId],
  )
  const runnable = (from: number, to: number) =>
    cells
      .slice(from, to)
      .filter((c) => cellKind(c) !== 'markdown' && cellKind(c) !== 'raw')
      .map((c) => c.id)
  const activeIndex = cells.findIndex((c) => c.id === activeId)
  const interrupt = () => exec.interrupt().catch((err: unknown) => toast(errorMessage(err), 'error'))
  const restart = () =>
    exec.restart().then(
      () => toast('Kernel restarted'),
      (err: unknown) => toast(errorMessage(err), 'error'),
    )

  const rename = async (name: string) => {
    if (!file || !name.trim() || name === file.name) return
    try {
      setFile(await files.update(file.id, { name: name.trim() }))
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }

  const status = kernelStatus ?? (execution && execution !== 'unavailable' ? execution.kernel : undefined)
  return (
    <NotebookEnvContext.Provider
      value={{
        workspaceId: workspace.id,
        notebookId,
        sessionId: execution && execution !== 'unavailable' ? execution.sessionId : null,
        canEdit,
        canUnmask: roleAtLeast(workspace.role, 'admin'),
      }}
    >
      <div className="notebook-page">
        <header className="notebook-header">
          <Tip label="All notebooks">
            <a
              className="icon-link"
              aria-label="Notebooks"
              href={hrefFor({ page: 'notebooks', workspaceId: workspace.id, folder: file?.folder || undefined })}
            >
              <ChevronLeft size={16} aria-hidden="true" />
            </a>
          </Tip>
          {file ? (
            <input
              className="notebook-title"
              aria-label="Notebook name"
              defaultValue={file.name}
              key={file.name}
              readOnly={!canEdit}
              onBlur={(e) => void rename(e.target.value)}
              onKeyDown={(e) => e.key === 'Enter' && e.currentTarget.blur()}
            />
          ) : (
            <span className="notebook-title">…</span>
          )}
          <span
            className={`sync-state sync-${connection.state}`}
            data-testid="sync-state"
            data-state={connection.state}
          >
            {connection.state === 'connected' ? (synced ? 'Saved' : 'Syncing…') : connection.state}
          </span>
          <span className="spacer" />
          {canRun && (
            <span className="toolbar" role="toolbar" aria-label="Run">
              <IconButton label="Run all" icon={PlayCircle} onClick={() => runCells(runnable(0, cells.length))} />
              <IconButton
                label="Run above"
                icon={ArrowUpToLine}
                disabled={activeIndex < 0}
                onClick={() => runCells(runnable(0, activeIndex))}
              />
              <IconButton
                label="Run below"
                icon={ArrowDownToLine}
                disabled={activeIndex < 0}
                onClick={() => runCells(runnable(activeIndex, cells.length))}
              />
              <IconButton label="Interrupt" icon={CircleStop} hint="I, I" onClick={interrupt} />
              <IconButton label="Restart" icon={RotateCcw} hint="0, 0" onClick={restart} />
            </span>
          )}
          <RunProgress notebook={notebook} />
          {execution === 'unavailable' && !kernelStatus ? (
            <span
              className="kernel-status"
              data-testid="kernel-status"
              data-status="unavailable"
              title="This server cannot run notebooks yet"
            >
              Execution unavailable
            </span>
          ) : (
            <span
              className={`kernel-status kernel-${status ?? 'none'}`}
              data-testid="kernel-status"
              data-status={status ?? 'none'}
            >
              <span className="kernel-dot" aria-hidden="true" />
              Kernel: {status ?? '…'}
            </span>
          )}
          <span className="collaborators" data-testid="collaborators">
            {collaborators.map((p) => (
              <span key={p.id + p.name} className="avatar" style={{ background: p.color }} title={p.name}>
                {p.name.slice(0, 1).toUpperCase()}
              </span>
            ))}
          </span>
          <span className="toolbar panel-toggles" role="toolbar" aria-label="Panels">
            <IconButton
              label="Outline"
              icon={ListTree}
              aria-pressed={panel === 'outline'}
              onClick={() => setPanel(panel === 'outline' ? undefined : 'outline')}
            />
            {!missing.versions && (
              <IconButton
                label="Versions"
                icon={History}
                aria-pressed={panel === 'versions'}
                onClick={() => setPanel(panel === 'versions' ? undefined : 'versions')}
              />
            )}
            {!missing.comments && (
              <IconButton
                label="Comments"
                icon={MessageSquare}
                aria-pressed={panel === 'comments'}
                onClick={() => setPanel(panel === 'comments' ? undefined : 'comments')}
              />
            )}
            <IconButton
              label="Shortcuts"
              icon={Keyboard}
              aria-pressed={panel === 'help'}
              onClick={() => setPanel(panel === 'help' ? undefined : 'help')}
            />
            <Tip label="Export as .ipynb">
              <a
                className="icon-link"
                aria-label="Export .ipynb"
                href={files.exportUrl(notebookId)}
                download={`${file?.name ?? 'notebook'}.ipynb`}
              >
                <Download size={16} aria-hidden="true" />
              </a>
            </Tip>
          </span>
        </header>
        {(connection.state === 'offline' || connection.state === 'closed') && (
          <div className="offline-banner" role="alert" data-testid="offline-banner">
            {connection.state === 'closed'
              ? `Disconnected: ${connection.reason ?? 'this notebook is no longer available'}.`
              : 'Offline: the server cannot be reached. Your edits are kept here and will be synced when the connection is back.'}
          </div>
        )}
        <div className="notebook-body">
          <div className="notebook-main">
            {!notebook || !synced ? (
              <Skeleton lines={8} label="Loading notebook" />
            ) : (
              <NotebookCells
                notebook={notebook}
                cells={cells}
                awareness={session.provider.awareness}
                canEdit={canEdit}
                canRun={canRun}
                connections={connections}
                runCells={runCells}
                onInterrupt={interrupt}
                onRestart={restart}
                activeId={activeId}
                onActiveChange={setActiveId}
                onToggleHelp={() => setPanel((p) => (p === 'help' ? undefined : 'help'))}
              />
            )}
          </div>
          {panel === 'versions' && (
            <VersionsPanel
              workspaceId={workspace.id}
              notebookId={notebookId}
              canEdit={canEdit}
              onMissing={() => {
                setMissing((m) => ({ ...m, versions: true }))
                setPanel(undefined)
              }}
            />
          )}
          {panel === 'comments' && (
            <CommentsPanel
              workspaceId={workspace.id}
              notebookId={notebookId}
              activeCellId={activeId}
              cellLabel={(id) => `cell ${cells.findIndex((c) => c.id === id) + 1}`}
              revision={commentsRevision}
              onMissing={() => {
                setMissing((m) => ({ ...m, comments: true }))
                setPanel(undefined)
              }}
            />
          )}
          {panel === 'help' && <ShortcutHelp onClose={() => setPanel(undefined)} />}
          {panel === 'outline' && (
            <OutlinePanel
              cells={cells}
              onSelect={(id) => {
                setActiveId(id)
                document.querySelector(`[data-cell-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'start' })
              }}
            />
          )}
        </div>
      </div>
    </NotebookEnvContext.Provider>
  )
}

/** "Running 2 of 5": cells queued or running (the shared `execution` map), the same for every collaborator. */
function RunProgress({ notebook }: { notebook: YNotebook | undefined }) {
  const [counts, setCounts] = useState({ pending: 0, total: 0 })
  useEffect(() => {
    if (!notebook) return
    const map = executionMap(notebook.ydoc)
    const update = () => {
      const states = [...map.values()]
      const pending = states.filter((s) => s.state === 'queued' || s.state === 'running').length
      // The batch is what is pending plus what finished since the first of them was queued.
      const since = Math.min(
        ...states.filter((s) => s.state === 'queued' || s.state === 'running').map((s) => s.queuedAt),
      )
      const total = states.filter((s) => s.queuedAt >= since).length
      setCounts({ pending, total: pending ? total : 0 })
    }
    update()
    map.observe(update)
    return () => map.unobserve(update)
  }, [notebook])
  if (!counts.pending) return null
  return (
    <span className="run-progress" data-testid="run-progress" role="status">
      Running {counts.total - counts.pending + 1} of {counts.total}
    </span>
  )
}
