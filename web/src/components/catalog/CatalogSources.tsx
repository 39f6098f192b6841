import { useEffect, useState } from 'react'
import { api } from '../../core/api/client.ts'
import type { CatalogSource } from '../../core/catalog/types.ts'
import type { Connection } from '../../core/connections/types.ts'
import { hrefFor } from '../../core/routing/routes.ts'
import { useApiData } from '../../hooks/use-api-data.ts'
import { ErrorText } from '../ui/ErrorText.tsx'

/**
 * Every source the catalog could read: the workspace DuckDB and every connection, catalogued or not. Admins add a
 * connection in one click; its discovery starts at once (`onChanged` is called when it is done).
 */
export function CatalogSources({
  workspaceId,
  canAdd,
  version,
  onChanged,
}: {
  workspaceId: string
  canAdd: boolean
  version: number
  onChanged: () => void
}) {
  const base = `/api/workspaces/${workspaceId}`
  const sources = useApiData<CatalogSource[]>(`${base}/catalog/sources`)
  const connections = useApiData<{ connections: Connection[] }>(`${base}/connections`)
  const [adding, setAdding] = useState<string | undefined>()
  const [error, setError] = useState<unknown>()
  const reloadSources = sources.reload
  // A discovery started from the page (the button) changes the runs shown here.
  useEffect(() => {
    if (version > 0) void reloadSources()
  }, [version, reloadSources])
  if (sources.state.kind !== 'loaded') return null
  const catalogued = sources.state.data
  const others =
    connections.state.kind === 'loaded'
      ? connections.state.data.connections.filter((c) => !catalogued.some((s) => s.connectionId === c.id))
      : []

  const add = async (connection: Connection) => {
    setAdding(connection.id)
    setError(undefined)
    try {
      const { runId } = await api<{ runId: string | null }>('POST', `${base}/catalog/sources`, {
        name: connection.name,
        connectionId: connection.id,
      })
      await sources.reload()
      for (; runId; ) {
        const run = await api<{ status: string }>('GET', `${base}/catalog/runs/${runId}`)
        if (run.status !== 'running') break
        await new Promise((r) => setTimeout(r, 500))
      }
      await sources.reload()
      onChanged()
    } catch (err) {
      setError(err)
    } finally {
      setAdding(undefined)
    }
  }

  return (
    <section aria-label="Catalog sources" className="catalog-sources">
      <h3>Sources</h3>
      <ul>
        {catalogued.map((s) => (
          <li key={s.id}>
            {s.name}{' '}
            <span className="muted">
              {s.lastRun === null
                ? 'not discovered yet'
                : s.lastRun.status === 'running'
                  ? 'discovering…'
                  : `${s.lastRun.status}: ${s.lastRun.seen} table(s)`}
            </span>
          </li>
        ))}
        {others.map((c) => (
          <li key={c.id}>
            {c.name} <span className="muted">connection, not in the catalog</span>{' '}
            {canAdd && (
              <button type="button" disabled={adding !== undefined} onClick={() => void add(c)}>
                {adding === c.id ? 'Adding…' : 'Add to catalog'}
              </button>
            )}
          </li>
        ))}
      </ul>
      {canAdd && (
        <a href={hrefFor({ page: 'connections', workspaceId })} className="muted">
          New connection…
        </a>
      )}
      <ErrorText error={error} />
    </section>
  )
}
