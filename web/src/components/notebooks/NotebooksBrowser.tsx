import { type FormEvent, useCallback, useEffect, useState } from 'react'
import { roleAtLeast, type Workspace } from '../../core/auth/types.ts'
import { childFolders, notebooksApi } from '../../core/notebooks/notebooks-api.ts'
import type { NotebookFile, NotebookTemplate } from '../../core/notebooks/types.ts'
import { hrefFor, navigate } from '../../core/routing/routes.ts'
import { errorMessage, toast } from '../../core/ui/toasts.ts'
import { DataTable } from '../ui/DataTable.tsx'
import { EmptyState } from '../ui/EmptyState.tsx'
import { Pager } from '../ui/Pager.tsx'
import { Skeleton } from '../ui/Skeleton.tsx'
import { ImportDropZone } from './ImportDropZone.tsx'

const LIMIT = 50

/** The notebooks of a workspace: folders, search, create/import, and per-notebook actions; a trash to restore. */
export function NotebooksBrowser({ workspace, folder = '' }: { workspace: Workspace; folder?: string }) {
  const api = notebooksApi(workspace.id)
  const canEdit = roleAtLeast(workspace.role, 'editor')
  const [query, setQuery] = useState('')
  const [trash, setTrash] = useState(false)
  const [offset, setOffset] = useState(0)
  const [page, setPage] = useState<{ items: NotebookFile[]; total: number }>()
  const [folders, setFolders] = useState<string[]>([])
  const [templates, setTemplates] = useState<NotebookTemplate[]>([])
  const [editing, setEditing] = useState<{ id: string; field: 'name' | 'folder' }>()

  const load = useCallback(async () => {
    try {
      const [list, all] = await Promise.all([
        api.list({ folder, q: query.trim() || undefined, deleted: trash, limit: LIMIT, offset }),
        api.list({ limit: 200, offset: 0 }),
      ])
      setPage(list)
      setFolders([...new Set(all.items.map((n) => n.folder))])
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }, [workspace.id, folder, query, trash, offset])
  useEffect(() => {
    void load()
  }, [load])
  useEffect(() => {
    api.templates().then(setTemplates, () => setTemplates([]))
  }, [workspace.id])

  const act = async (label: string, action: () => Promise<unknown>) => {
    try {
      await action()
      toast(label, 'success')
      await load()
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }

  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const template = String(form.get('template') ?? '')
    try {
      const created = await api.create({
        name: String(form.get('name') ?? '').trim() || 'Untitled',
        folder,
        template: template || undefined,
      })
      navigate({ page: 'notebook', workspaceId: workspace.id, notebookId: created.id })
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }

  const saveEdit = (n: NotebookFile, value: string) => {
    if (!editing) return
    const field = editing.field
    setEditing(undefined)
    if (value === n[field]) return
    void act(field === 'name' ? 'Renamed' : 'Moved', () => api.update(n.id, { [field]: value }))
  }

  const crumbs = folder ? folder.split('/') : []
  const subfolders = query || trash ? [] : childFolders(folders, folder)

  return (
    <section className="panel stack" aria-labelledby="notebooks-heading">
      <div className="inline spread">
        <h2 id="notebooks-heading">Notebooks</h2>
        <nav aria-label="Folder" className="crumbs">
          <a href={hrefFor({ page: 'notebooks', workspaceId: workspace.id })}>All</a>
          {crumbs.map((c, i) => (
            <span key={c + String(i)}>
              {' / '}
              <a
                href={hrefFor({
                  page: 'notebooks',
                  workspaceId: workspace.id,
                  folder: crumbs.slice(0, i + 1).join('/'),
                })}
              >
                {c}
              </a>
            </span>
          ))}
        </nav>
      </div>
      <div className="inline">
        <input
          type="search"
          aria-label="Search notebooks"
          placeholder="Search by name or content"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value)
            setOffset(0)
          }}
        />
        <label className="row-label">
          <input type="checkbox" checked={trash} onChange={(e) => setTrash(e.target.checked)} /> Recently deleted
        </label>
      </div>
      {canEdit && !trash && (
        <>
          <form className="inline" onSubmit={create} aria-label="New notebook">
            <input name="name" aria-label="New notebook name" placeholder="Untitled" maxLength={200} />
            <select name="template" aria-label="Template" defaultValue="">
              <option value="">Blank</option>
              {templates.map((t) => (
                <option key={t.id} value={t.id} title={t.description}>
                  {t.name}
                </option>
              ))}
            </select>
            <button type="submit">Create notebook</button>
          </form>
          <ImportDropZone workspaceId={workspace.id} folder={folder} onImported={() => void load()} />
        </>
      )}
      {subfolders.length > 0 && (
        <ul className="plain folders" aria-label="Folders">
          {subfolders.map((f) => (
            <li key={f}>
              <a href={hrefFor({ page: 'notebooks', workspaceId: workspace.id, folder: f })}>📁 {f.split('/').pop()}</a>
            </li>
          ))}
        </ul>
      )}
      {!page ? (
        <Skeleton lines={4} label="Loading notebooks" />
      ) : (
        <>
          <DataTable
            testId="notebooks"
            rows={page.items}
            rowKey={(n) => n.id}
            rowProps={(n) => ({ 'data-name': n.name })}
            empty={
              <EmptyState
                title={
                  trash ? 'Nothing was deleted recently.' : query ? 'No notebook matches.' : 'No notebooks here yet.'
                }
              >
                {canEdit && !trash && !query && <p>Create one above, start from a template, or drop an .ipynb file.</p>}
              </EmptyState>
            }
            columns={[
              {
                header: 'Name',
                cell: (n) =>
                  editing?.id === n.id && editing.field === 'name' ? (
                    <InlineInput label="New name" initial={n.name} onDone={(v) => saveEdit(n, v)} />
                  ) : trash ? (
                    n.name
                  ) : (
                    <a href={hrefFor({ page: 'notebook', workspaceId: workspace.id, notebookId: n.id })}>{n.name}</a>
                  ),
              },
              {
                header: 'Folder',
                cell: (n) =>
                  editing?.id === n.id && editing.field === 'folder' ? (
                    <InlineInput label="Move to folder" initial={n.folder} onDone={(v) => saveEdit(n, v)} />
                  ) : (
                    n.folder || '—'
                  ),
              },
              {
                header: trash ? 'Deleted' : 'Updated',
                cell: (n) => new Date(n.deletedAt ?? n.updatedAt).toLocaleString(),
              },
              {
                header: '',
                label: 'Actions',
                cell: (n) =>
                  trash ? (
                    canEdit && (
                      <button
                        type="button"
                        className="link"
                        onClick={() => void act('Restored', () => api.restore(n.id))}
                      >
                        Restore
                      </button>
                    )
                  ) : (
                    <span className="row-actions">
                      <a href={api.exportUrl(n.id)} download={`${n.name}.ipynb`}>
                        Export
                      </a>
                      {canEdit && (
                        <>
                          <button
                            type="button"
                            className="link"
                            onClick={() => setEditing({ id: n.id, field: 'name' })}
                          >
                            Rename
                          </button>
                          <button
                            type="button"
                            className="link"
                            onClick={() => setEditing({ id: n.id, field: 'folder' })}
                          >
                            Move
                          </button>
                          <button
                            type="button"
                            className="link"
                            onClick={() => void act('Duplicated', () => api.duplicate(n.id))}
                          >
                            Duplicate
                          </button>
                          <button
                            type="button"
                            className="link danger"
                            onClick={() =>
                              void act(`Deleted ${n.name} (restorable for 30 days)`, () => api.remove(n.id))
                            }
                          >
                            Delete
                          </button>
                        </>
                      )}
                    </span>
                  ),
              },
            ]}
          />
          <Pager offset={offset} limit={LIMIT} total={page.total} onChange={setOffset} label="Notebook pages" />
        </>
      )}
    </section>
  )
}

/** A text field that saves on Enter or blur and cancels on Escape. */
function InlineInput({ label, initial, onDone }: { label: string; initial: string; onDone: (value: string) => void }) {
  const [value, setValue] = useState(initial)
  return (
    <input
      aria-label={label}
      value={value}
      // biome-ignore lint/a11y/noAutofocus: the user just asked to edit this field
      autoFocus
      onChange={(e) => setValue(e.target.value)}
      onBlur={() => onDone(value.trim())}
      onKeyDown={(e) => {
        if (e.key === 'Enter') onDone(value.trim())
        if (e.key === 'Escape') onDone(initial)
      }}
    />
  )
}
