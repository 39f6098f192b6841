import { type FormEvent, useState } from 'react'
import { api } from '../../core/api/client.ts'
import type { Workspace } from '../../core/auth/types.ts'
import { navigate, type Route } from '../../core/routing/hash-route.ts'
import { ErrorText } from '../ui/ErrorText.tsx'

/** Picks the current workspace, or creates one. */
export function WorkspaceSwitcher({
  workspaces,
  currentId,
  route,
  onCreated,
}: {
  workspaces: Workspace[]
  currentId: string | undefined
  /** The current page: switching keeps its section (notebooks stay notebooks). */
  route?: Route
  onCreated: () => Promise<void>
}) {
  const [error, setError] = useState<unknown>()
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const formElement = event.currentTarget
    const name = new FormData(formElement).get('name')
    setError(undefined)
    try {
      const ws = await api<Workspace>('POST', '/api/workspaces', { name })
      formElement.reset()
      await onCreated()
      navigate({ page: 'workspace', workspaceId: ws.id })
    } catch (err) {
      setError(err)
    }
  }
  return (
    <div className="switcher">
      <label>
        Workspace
        <select
          aria-label="Workspace"
          value={currentId ?? ''}
          onChange={(e) => e.target.value && navigate(sameSection(route, e.target.value))}
        >
          <option value="">Choose…</option>
          {workspaces.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name} ({w.role})
            </option>
          ))}
        </select>
      </label>
      <form onSubmit={create} className="inline">
        <input name="name" aria-label="New workspace name" placeholder="New workspace" required maxLength={100} />
        <button type="submit">Create workspace</button>
      </form>
      <ErrorText error={error} />
    </div>
  )
}

/** The page of workspace `workspaceId` matching the current one's section (its home by default). */
function sameSection(route: Route | undefined, workspaceId: string): Route {
  switch (route?.page) {
    case 'notebooks':
    case 'notebook':
      return { page: 'notebooks', workspaceId }
    case 'catalog':
      return { page: 'catalog', workspaceId }
    case 'pipelines':
    case 'audit':
      return { page: route.page, workspaceId }
    case 'members':
      return { page: 'members', workspaceId }
    default:
      return { page: 'workspace', workspaceId }
  }
}
