import { type FormEvent, useEffect, useState } from 'react'
import { api } from '../../core/api/client.ts'
import { toast } from '../../core/ui/toasts.ts'
import { useApiData } from '../../hooks/use-api-data.ts'
import { ErrorText } from '../ui/ErrorText.tsx'

const ENDPOINT = '/api/admin/connections/allowed-networks'

/**
 * The instance admins' allow-list: private, loopback or link-local networks that connections may reach despite
 * the SSRF guard (for example an internal database subnet). One IP address or CIDR range per line; the server
 * names every entry it refuses and saves nothing then.
 */
export function AllowedNetworksPanel() {
  const networks = useApiData<{ networks: string[] }>(ENDPOINT)
  const [text, setText] = useState('')
  const [error, setError] = useState<unknown>()
  const [saving, setSaving] = useState(false)
  const saved = networks.state.kind === 'loaded' ? networks.state.data.networks.join('\n') : undefined

  useEffect(() => {
    if (saved !== undefined) setText(saved)
  }, [saved])

  async function save(event: FormEvent) {
    event.preventDefault()
    setSaving(true)
    setError(undefined)
    try {
      const entries = text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.length > 0)
      await api('PUT', ENDPOINT, { networks: entries })
      await networks.reload()
      toast('Allowed networks saved', 'success')
    } catch (err) {
      setError(err)
    } finally {
      setSaving(false)
    }
  }

  return (
    <section className="panel" aria-labelledby="allowed-networks-heading">
      <h2 id="allowed-networks-heading">Allowed networks for connections</h2>
      <p>
        Connections may not reach private, loopback, link-local or cloud metadata addresses unless the address is in one
        of these networks. One IP address or CIDR range per line, for example <code>10.20.0.0/16</code>.
      </p>
      {networks.state.kind === 'error' && <ErrorText error={networks.state.error} />}
      <form onSubmit={save} aria-label="Allowed networks">
        <label htmlFor="allowed-networks">Networks (one per line)</label>
        <textarea
          id="allowed-networks"
          rows={5}
          value={text}
          spellCheck={false}
          onChange={(e) => setText(e.target.value)}
          disabled={networks.state.kind !== 'loaded'}
        />
        <ErrorText error={error} />
        <button type="submit" disabled={saving || networks.state.kind !== 'loaded' || text === saved}>
          {saving ? 'Saving…' : 'Save networks'}
        </button>
      </form>
    </section>
  )
}
