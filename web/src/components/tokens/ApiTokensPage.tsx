import { type FormEvent, useState } from 'react'
import { api } from '../../core/api/client.ts'
import type { ApiToken } from '../../core/auth/types.ts'
import { useApiData } from '../../hooks/use-api-data.ts'
import { DataTable } from '../ui/DataTable.tsx'
import { ErrorText } from '../ui/ErrorText.tsx'

/** Personal API tokens: create (the secret is shown once), list, revoke. */
export function ApiTokensPage() {
  const tokens = useApiData<{ tokens: ApiToken[] }>('/api/me/tokens')
  const [secret, setSecret] = useState<string>()
  const [error, setError] = useState<unknown>()
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const formElement = event.currentTarget
    const form = new FormData(formElement)
    setError(undefined)
    try {
      const res = await api<{ token: string }>('POST', '/api/me/tokens', {
        name: form.get('name'),
        scope: form.get('scope'),
        expiresInDays: Number(form.get('expiresInDays')),
      })
      setSecret(res.token)
      formElement.reset()
      await tokens.reload()
    } catch (err) {
      setError(err)
    }
  }
  const revoke = async (id: string) => {
    try {
      await api('DELETE', `/api/me/tokens/${id}`)
      await tokens.reload()
    } catch (err) {
      setError(err)
    }
  }
  return (
    <section className="panel" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <form onSubmit={create} className="inline">
        <input name="name" aria-label="Token name" placeholder="Name" required maxLength={100} />
        <select name="scope" aria-label="Scope" defaultValue="read">
          <option value="read">read</option>
          <option value="write">write</option>
        </select>
        <select name="expiresInDays" aria-label="Expires in" defaultValue="90">
          <option value="7">7 days</option>
          <option value="30">30 days</option>
          <option value="90">90 days</option>
          <option value="365">365 days</option>
        </select>
        <button type="submit">Create token</button>
      </form>
      {secret && (
        <p>
          Copy it now, it will not be shown again: <output data-testid="new-token">{secret}</output>
        </p>
      )}
      <ErrorText error={error} />
      {tokens.state.kind === 'loaded' && (
        <DataTable
          testId="tokens"
          rows={tokens.state.data.tokens}
          rowKey={(t) => t.id}
          columns={[
            { header: 'Name', cell: (t) => t.name },
            { header: 'Scope', cell: (t) => t.scope },
            { header: 'Starts with', cell: (t) => <code>{t.prefix}…</code> },
            { header: 'Expires', cell: (t) => new Date(t.expiresAt).toLocaleDateString() },
            { header: 'Last used', cell: (t) => (t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : 'never') },
            {
              header: '',
              label: 'Actions',
              cell: (t) => (
                <>
                  {t.revoked ? (
                    'revoked'
                  ) : (
                    <button type="button" className="link" onClick={() => void revoke(t.id)}>
                      Revoke
                    </button>
                  )}
                </>
              ),
            },
          ]}
        />
      )}
    </section>
  )
}
