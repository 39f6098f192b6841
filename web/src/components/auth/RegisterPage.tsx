import { type FormEvent, useState } from 'react'
import { api } from '../../core/api/client.ts'
import type { Workspace } from '../../core/auth/types.ts'
import { hrefFor, redirect } from '../../core/routing/routes.ts'
import { defaultWorkspaceName } from '../shell/HomePage.tsx'
import { ErrorText } from '../ui/ErrorText.tsx'

/** Registration; with `invitationToken`, also joins the workspace the invitation is for. */
export function RegisterPage({
  onSignedIn,
  invitationToken,
  email,
  firstUser,
}: {
  onSignedIn: () => void
  invitationToken?: string
  email?: string
  firstUser?: boolean
}) {
  const [error, setError] = useState<unknown>()
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    setError(undefined)
    try {
      const { user } = await api<{ user: { name: string; email: string } }>('POST', '/api/auth/register', {
        email: form.get('email'),
        name: form.get('name'),
        password: form.get('password'),
        ...(invitationToken ? { invitationToken } : {}),
      })
      // The instance's first user gets a workspace to start in, and lands on its home.
      if (firstUser && !invitationToken) {
        const ws = await api<Workspace>('POST', '/api/workspaces', { name: defaultWorkspaceName(user) })
        redirect({ page: 'workspace', workspaceId: ws.id })
      }
      onSignedIn()
    } catch (err) {
      setError(err)
    }
  }
  return (
    <section className="panel" aria-labelledby="register-heading">
      <h2 id="register-heading">Create an account</h2>
      {firstUser && <p>This is a new instance: the first account becomes its administrator.</p>}
      <form onSubmit={submit} className="stack">
        <label>
          Name
          <input name="name" autoComplete="name" required maxLength={100} />
        </label>
        <label>
          Email
          <input
            name="email"
            type="email"
            autoComplete="username"
            required
            defaultValue={email}
            readOnly={Boolean(email)}
          />
        </label>
        <label>
          Password (at least 12 characters)
          <input name="password" type="password" autoComplete="new-password" required minLength={12} maxLength={256} />
        </label>
        <button type="submit">Create account</button>
        <ErrorText error={error} />
      </form>
      {!invitationToken && (
        <p>
          Have an account? <a href={hrefFor({ page: 'login' })}>Sign in</a>
        </p>
      )}
    </section>
  )
}
