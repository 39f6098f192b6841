import { type FormEvent, useEffect, useState } from 'react'
import { api } from '../../core/api/client.ts'
import type { User, Workspace } from '../../core/auth/types.ts'
import { landingWorkspace } from '../../core/routing/last-workspace.ts'
import { navigate, redirect } from '../../core/routing/routes.ts'
import { ErrorText } from '../ui/ErrorText.tsx'
import { Skeleton } from '../ui/Skeleton.tsx'

/**
 * `#/`, where sign-in lands: with workspaces, the home of the one used last (or the first); without, what to do
 * to get one (create it, or open the invitation link a colleague sent).
 */
export function HomePage({
  user,
  workspaces,
  onCreated,
}: {
  user: User
  /** Undefined while loading. */
  workspaces: Workspace[] | undefined
  onCreated: () => Promise<void>
}) {
  const landing = workspaces ? landingWorkspace(workspaces) : undefined
  useEffect(() => {
    if (landing) redirect({ page: 'workspace', workspaceId: landing.id })
  }, [landing?.id])
  if (!workspaces || landing) return <Skeleton lines={3} label="Opening your workspace" />
  return <NoWorkspace user={user} onCreated={onCreated} />
}

function NoWorkspace({ user, onCreated }: { user: User; onCreated: () => Promise<void> }) {
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const name = new FormData(event.currentTarget).get('name')
    setBusy(true)
    setError(undefined)
    try {
      const ws = await api<Workspace>('POST', '/api/workspaces', { name })
      await onCreated()
      navigate({ page: 'workspace', workspaceId: ws.id })
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <section className="panel" aria-labelledby="welcome-heading" data-testid="no-workspace">
      <h2 id="welcome-heading">Welcome, {user.name}</h2>
      <p>
        Everything here lives in a <strong>workspace</strong>: its notebooks, data, connections and pipelines, shared
        with its members. You are not in one yet.
      </p>
      <ol className="next-steps">
        <li>
          <form onSubmit={create} className="inline" aria-label="Create your workspace">
            <input
              name="name"
              aria-label="Your workspace name"
              defaultValue={defaultWorkspaceName(user)}
              required
              maxLength={100}
            />
            <button type="submit" disabled={busy}>
              Create my workspace
            </button>
          </form>
        </li>
        <li>Or open the invitation link a colleague sent you to join theirs.</li>
      </ol>
      <ErrorText error={error} />
    </section>
  )
}

/** "Ada's workspace": what a first workspace is called unless the user types something else. */
export function defaultWorkspaceName(user: Pick<User, 'name' | 'email'>): string {
  const first = user.name.trim().split(/\s+/)[0] || user.email.split('@')[0] || 'My'
  return `${first.slice(0, 80)}'s workspace`
}
