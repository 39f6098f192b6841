import { useEffect, useState } from 'react'
import { api } from '../../core/api/client.ts'
import { navigate } from '../../core/routing/routes.ts'

interface Props {
  workspaceId: string
  assetId: string
  /** Shown errors go to the page's error line. */
  onError: (error: unknown) => void
}

const NEW = ''

/**
 * "Open in notebook": pick one of the workspace's notebooks (or a new one); the server appends a SQL cell querying
 * the asset through the notebook's collaboration room, so whoever has it open sees the cell arrive. Then the
 * notebook opens.
 */
export function OpenInNotebook({ workspaceId, assetId, onError }: Props) {
  const [open, setOpen] = useState(false)
  const [notebooks, setNotebooks] = useState<{ id: string; name: string; folder: string }[] | undefined>()
  const [choice, setChoice] = useState(NEW)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    if (!open || notebooks) return
    api<{ items: { id: string; name: string; folder: string }[] }>(
      'GET',
      `/api/workspaces/${encodeURIComponent(workspaceId)}/notebooks?limit=200`,
    ).then((r) => setNotebooks(r.items), onError)
  }, [open, notebooks, workspaceId, onError])

  const add = async () => {
    setBusy(true)
    try {
      const added = await api<{ notebookId: string }>(
        'POST',
        `/api/workspaces/${encodeURIComponent(workspaceId)}/catalog/assets/${encodeURIComponent(assetId)}/notebook-cell`,
        choice === NEW ? {} : { notebookId: choice },
      )
      navigate({ page: 'notebook', workspaceId, notebookId: added.notebookId })
    } catch (err) {
      onError(err)
    } finally {
      setBusy(false)
    }
  }

  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Open in notebook
      </button>
    )
  return (
    <fieldset className="inline open-in-notebook" aria-label="Open in notebook">
      <select
        aria-label="Add to notebook"
        value={choice}
        onChange={(e) => setChoice(e.target.value)}
        disabled={!notebooks}
      >
        <option value={NEW}>New notebook</option>
        {(notebooks ?? []).map((n) => (
          <option key={n.id} value={n.id}>
            {n.folder ? `${n.folder}/` : ''}
            {n.name}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => void add()} disabled={busy}>
        Add SQL cell
      </button>
      <button type="button" className="link" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </fieldset>
  )
}
