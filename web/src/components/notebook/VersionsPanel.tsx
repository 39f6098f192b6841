import { type FormEvent, useCallback, useEffect, useState } from 'react'
import { type NotebookDiff, type NotebookVersion, versionsApi } from '../../core/notebook/history-api.ts'
import { errorMessage, toast } from '../../core/ui/toasts.ts'
import { EmptyState } from '../ui/EmptyState.tsx'
import { Skeleton } from '../ui/Skeleton.tsx'

/** History of the notebook: named and automatic versions, a cell-level diff against now, restore. */
export function VersionsPanel({
  workspaceId,
  notebookId,
  canEdit,
  onMissing,
}: {
  workspaceId: string
  notebookId: string
  canEdit: boolean
  onMissing: () => void
}) {
  const api = versionsApi(workspaceId, notebookId)
  const [versions, setVersions] = useState<NotebookVersion[]>()
  const [diff, setDiff] = useState<{ id: string; diff: NotebookDiff }>()
  const load = useCallback(async () => {
    try {
      const page = await api.list()
      if (!page) return onMissing()
      setVersions(page.items)
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }, [workspaceId, notebookId])
  useEffect(() => {
    void load()
  }, [load])
  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const form = e.currentTarget
    const label = String(new FormData(form).get('label') ?? '').trim()
    if (!label) return
    try {
      await api.create(label)
      form.reset()
      toast(`Saved version "${label}"`, 'success')
      await load()
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }
  const showDiff = async (id: string) => {
    try {
      setDiff({ id, diff: await api.diff(id) })
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }
  const restore = async (v: NotebookVersion) => {
    try {
      await api.restore(v.id)
      toast(`Restored ${v.label ?? new Date(v.createdAt).toLocaleString()}`, 'success')
      await load()
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }
  return (
    <aside className="side-panel" aria-labelledby="versions-heading" data-testid="versions-panel">
      <h3 id="versions-heading">Versions</h3>
      {canEdit && (
        <form className="inline" onSubmit={create}>
          <input name="label" aria-label="Version name" placeholder="Name this version" maxLength={200} />
          <button type="submit">Save version</button>
        </form>
      )}
      {!versions ? (
        <Skeleton lines={3} label="Loading versions" />
      ) : versions.length === 0 ? (
        <EmptyState title="No versions yet." />
      ) : (
        <ul className="plain versions">
          {versions.map((v) => (
            <li key={v.id}>
              <strong>{v.label ?? v.kind}</strong> <small>{new Date(v.createdAt).toLocaleString()}</small>
              <span className="inline">
                <button type="button" className="link" onClick={() => void showDiff(v.id)}>
                  Compare with now
                </button>
                {canEdit && (
                  <button type="button" className="link" onClick={() => void restore(v)}>
                    Restore
                  </button>
                )}
              </span>
              {diff?.id === v.id && <DiffView diff={diff.diff} />}
            </li>
          ))}
        </ul>
      )}
    </aside>
  )
}

function DiffView({ diff }: { diff: NotebookDiff }) {
  const changed = diff.cells.filter((c) => c.status !== 'unchanged' || c.moved || c.outputs.changed)
  const s = diff.summary
  return (
    <div className="diff" data-testid="version-diff">
      <p>
        {s.added} added · {s.removed} removed · {s.modified} modified · {s.moved} moved · {s.outputsChanged} outputs
        changed
      </p>
      {changed.map((c) => (
        <div key={c.cellId} className={`diff-cell diff-${c.status}`}>
          <small>
            {c.status}
            {c.moved ? ', moved' : ''} {c.cellType} cell {c.newIndex ?? c.oldIndex}
            {c.outputs.changed ? ` · outputs: ${c.outputs.summary}` : ''}
          </small>
          {c.sourceHunks.map((h) => (
            <pre key={`${h.oldStart}-${h.newStart}`}>
              {h.lines.map((line, i) => (
                <span key={i} className={line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : undefined}>
                  {line}
                  {'\n'}
                </span>
              ))}
            </pre>
          ))}
        </div>
      ))}
    </div>
  )
}
