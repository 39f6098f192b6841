import { type FormEvent, useState } from 'react'
import { api } from '../../core/api/client.ts'
import type { User } from '../../core/auth/types.ts'
import { useApiData } from '../../hooks/use-api-data.ts'
import { DataTable } from '../ui/DataTable.tsx'
import { ErrorText } from '../ui/ErrorText.tsx'

/** Instance administration: find accounts, disable or re-enable them, reset a password. */
export function AdminUsersPage({ self }: { self: User }) {
  const [query, setQuery] = useState('')
  const users = useApiData<{ users: User[] }>(`/api/admin/users?${new URLSearchParams({ q: query, limit: '200' })}`)
  const [error, setError] = useState<unknown>()
  const [temporary, setTemporary] = useState<{ email: string; password: string }>()

  const search = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setQuery(String(new FormData(event.currentTarget).get('q') ?? ''))
  }
  const run = async (action: () => Promise<unknown>) => {
    setError(undefined)
    try {
      await action()
      await users.reload()
    } catch (err) {
      setError(err)
    }
  }
  return (
    <section className="panel" aria-labelledby="admin-users-heading">
      <h2 id="admin-users-heading">Accounts</h2>
      <form onSubmit={search} className="inline">
        <input name="q" aria-label="Search accounts" placeholder="email or name" />
        <button type="submit">Search</button>
      </form>
      {temporary && (
        <p>
          Temporary password for {temporary.email} (shown once):{' '}
          <output data-testid="temporary-password">{temporary.password}</output>
        </p>
      )}
      <ErrorText error={error} />
      {users.state.kind === 'loaded' && (
        <DataTable
          testId="admin-users"
          rows={users.state.data.users}
          rowKey={(u) => u.id}
          rowProps={(u) => ({ 'data-email': u.email })}
          columns={[
            {
              header: 'Name',
              cell: (u) => (
                <>
                  {u.name} {u.isInstanceAdmin && <small>(admin)</small>}
                </>
              ),
            },
            { header: 'Email', cell: (u) => u.email },
            { header: 'Status', cell: (u) => (u.disabled ? 'disabled' : 'active') },
            {
              header: '',
              label: 'Actions',
              cell: (u) => (
                <>
                  {u.id !== self.id && (
                    <button
                      type="button"
                      className="link"
                      onClick={() =>
                        void run(() => api('PATCH', `/api/admin/users/${u.id}`, { disabled: !u.disabled }))
                      }
                    >
                      {u.disabled ? 'Enable' : 'Disable'}
                    </button>
                  )}
                  <button
                    type="button"
                    className="link"
                    onClick={() =>
                      void run(async () => {
                        const res = await api<{ temporaryPassword: string }>(
                          'POST',
                          `/api/admin/users/${u.id}/reset-password`,
                        )
                        setTemporary({ email: u.email, password: res.temporaryPassword })
                      })
                    }
                  >
                    Reset password
                  </button>
                </>
              ),
            },
          ]}
        />
      )}
    </section>
  )
}
