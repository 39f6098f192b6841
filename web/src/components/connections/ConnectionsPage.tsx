import { useState } from 'react'
import { api } from '../../core/api/client.ts'
import { roleAtLeast, type Workspace } from '../../core/auth/types.ts'
import type { Connection, ConnectionTypeInfo } from '../../core/connections/types.ts'
import { useApiData } from '../../hooks/use-api-data.ts'
import { ErrorText } from '../ui/ErrorText.tsx'
import { ConnectionForm } from './ConnectionForm.tsx'

type Editing = { kind: 'none' } | { kind: 'new'; typeId: string } | { kind: 'edit'; connection: Connection }

/**
 * A workspace's connections: list, create (per type), test, edit (secrets as set/unset), delete.
 * Workspace admins manage connections; editors and viewers see the list and use them.
 */
export function ConnectionsPage({ workspace }: { workspace: Workspace }) {
  const connections = useApiData<{ connections: Connection[] }>(`/api/workspaces/${workspace.id}/connections`)
  const types = useApiData<{ types: ConnectionTypeInfo[] }>('/api/connection-types')
  const [editing, setEditing] = useState<Editing>({ kind: 'none' })
  const [error, setError] = useState<unknown>()
  const canManage = roleAtLeast(workspace.role, 'admin')
  const typeList = types.state.kind === 'loaded' ? types.state.data.types : []
  const typeOf = (id: string) => typeList.find((t) => t.id === id)

  const remove = async (c: Connection) => {
    if (!window.confirm(`Delete the connection ${c.name}?`)) return
    try {
      await api('DELETE', `/api/workspaces/${workspace.id}/connections/${c.id}`)
      await connections.reload()
    } catch (err) {
      setError(err)
    }
  }
  const done = () => {
    setEditing({ kind: 'none' })
    void connections.reload()
  }
  const formType =
    editing.kind === 'new'
      ? typeOf(editing.typeId)
      : editing.kind === 'edit'
        ? typeOf(editing.connection.type)
        : undefined

  return (
    <section className="panel" aria-labelledby="connections-heading">
      <h2 id="connections-heading">Connections</h2>
      {!canManage && <p className="muted">Workspace admins add and change connections.</p>}
      {canManage && editing.kind === 'none' && (
        <div className="inline">
          {typeList.map((t) => (
            <button key={t.id} type="button" onClick={() => setEditing({ kind: 'new', typeId: t.id })}>
              New {t.label} connection
            </button>
          ))}
        </div>
      )}
      {formType && editing.kind !== 'none' && (
        <ConnectionForm
          key={editing.kind === 'edit' ? editing.connection.id : editing.typeId}
          workspaceId={workspace.id}
          type={formType}
          existing={editing.kind === 'edit' ? editing.connection : undefined}
          canMakeWritable={canManage}
          onSaved={done}
          onCancel={() => setEditing({ kind: 'none' })}
        />
      )}
      <ErrorText error={error} />
      {connections.state.kind === 'error' && <ErrorText error={connections.state.error} />}
      {connections.state.kind === 'loaded' && connections.state.data.connections.length === 0 && (
        <p className="muted">No connections yet.</p>
      )}
      {connections.state.kind === 'loaded' && connections.state.data.connections.length > 0 && (
        <table className="table" data-testid="connections">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Target</th>
              <th>Access</th>
              <th>Last test</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {connections.state.data.connections.map((c) => (
              <tr key={c.id}>
                <td>{c.name}</td>
                <td>{typeOf(c.type)?.label ?? c.type}</td>
                <td>
                  <code>
                    {String(c.params.user ?? '')}@{String(c.params.host ?? '')}:{String(c.params.port ?? '')}/
                    {String(c.params.database ?? '')}
                  </code>
                </td>
                <td>{c.writable ? 'writable' : 'read-only'}</td>
                <td>{c.lastTest ? (c.lastTest.ok ? 'ok' : lastTestProblem(c.lastTest.error)) : '—'}</td>
                <td>
                  {canManage && (
                    <>
                      <button
                        type="button"
                        className="link"
                        onClick={() => setEditing({ kind: 'edit', connection: c })}
                      >
                        Edit
                      </button>
                      <button type="button" className="link" onClick={() => void remove(c)}>
                        Delete
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** What a failed test's stable code means, in words. */
const PROBLEM_LABELS: Record<string, string> = {
  dns_not_found: 'host name not found',
  connection_refused: 'connection refused',
  timeout: 'timed out',
  tls_failed: 'TLS failed',
  authentication_failed: 'wrong user or password',
  database_not_found: 'database not found',
  destination_not_allowed: 'address not allowed by the instance',
  unreachable: 'server unreachable',
  connection_failed: 'connection failed',
}

function lastTestProblem(code: string | null): string {
  if (!code) return 'failed'
  return PROBLEM_LABELS[code] ?? code
}
