import { type FormEvent, useState } from 'react'
import { api } from '../../core/api/client.ts'
import { hrefFor } from '../../core/routing/routes.ts'
import { ErrorText } from '../ui/ErrorText.tsx'

export function LoginPage({ onSignedIn, registrationOpen }: { onSignedIn: () => void; registrationOpen: boolean }) {
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    setBusy(true)
    setError(undefined)
    try {
      await api('POST', '/api/auth/login', { email: form.get('email'), password: form.get('password') })
      onSignedIn()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <section className="panel" aria-labelledby="login-heading">
      <h2 id="login-heading">Sign in</h2>
      <form onSubmit={submit} className="stack">
        <label>
          Email
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <ErrorText error={error} />
      </form>
      {registrationOpen && (
        <p>
          No account yet? <a href={hrefFor({ page: 'register' })}>Create one</a>
        </p>
      )}
    </section>
  )
}
