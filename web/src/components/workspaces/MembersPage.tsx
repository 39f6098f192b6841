import { type FormEvent, useState } from 'react'
import { api } from '../../core/api/client.ts'
import { type Invitation, type Member, ROLES, type Role, roleAtLeast, type Workspace } from '../../core/auth/types.ts'
import { useApiData } from '../../hooks/use-api-data.ts'
import { DataTable } from '../ui/DataTable.tsx'
import { ErrorText } from '../ui/ErrorText.tsx'

/** A workspace's members; admins also rename, change roles and invite. Controls a role may not use are not shown. */
export function MembersPage({ workspace, onChanged }: { workspace: Workspace; onChanged: () => Promise<void> }) {
  const canAdmin = roleAtLeast(workspace.role, 'admin')
  const members = useApiData<{ members: Member[] }>(`/api/workspaces/${workspace.id}/members`)
  const invitations = useApiData<{ invitations: Invitation[] }>(
    canAdmin ? `/api/workspaces/${workspace.id}/invitations` : undefined,
  )
  const [error, setError] = useState<unknown>()
  const [link, setLink] = useState<string>()

  const run = async (action: () => Promise<unknown>) => {
    setError(undefined)
    try {
      await action()
    } catch (err) {
      setError(err)
    }
  }
  const rename = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const name = new FormData(event.currentTarget).get('name')
    void run(async () => {
      await api('PATCH', `/api/workspaces/${workspace.id}`, { name })
      await onChanged()
    })
  }
  const invite = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const formElement = event.currentTarget
    const form = new FormData(formElement)
    void run(async () => {
      const res = await api<{ link: string; emailSent: boolean }>(
        'POST',
        `/api/workspaces/${workspace.id}/invitations`,
        {
          email: form.get('email'),
          role: form.get('role'),
        },
      )
      setLink(res.link)
      formElement.reset()
      await invitations.reload()
    })
  }
  const changeRole = (userId: string, role: Role) =>
    run(async () => {
      await api('PATCH', `/api/workspaces/${workspace.id}/members/${userId}`, { role })
      await members.reload()
    })

  return (
    <section className="stack">
      <section className="panel" aria-labelledby="members-heading">
        <h2 id="members-heading">
          {workspace.name} <small>your role: {workspace.role}</small>
        </h2>
        {canAdmin && (
          <form onSubmit={rename} className="inline" aria-label="Rename workspace">
            <input name="name" aria-label="Workspace name" defaultValue={workspace.name} required maxLength={100} />
            <button type="submit">Rename</button>
          </form>
        )}
        <h3>Members</h3>
        {members.state.kind === 'error' && <ErrorText error={members.state.error} />}
        {members.state.kind === 'loaded' && (
          <DataTable
            testId="members"
            rows={members.state.data.members}
            rowKey={(m) => m.userId}
            rowProps={(m) => ({ 'data-email': m.email })}
            columns={[
              { header: 'Name', cell: (m) => m.name },
              { header: 'Email', cell: (m) => m.email },
              {
                header: 'Role',
                cell: (m) => (
                  <>
                    {canAdmin ? (
                      <select
                        aria-label={`Role of ${m.email}`}
                        value={m.role}
                        onChange={(e) => {
                          const role = ROLES.find((r) => r === e.target.value)
                          if (role) void changeRole(m.userId, role)
                        }}
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    ) : (
                      m.role
                    )}
                  </>
                ),
              },
            ]}
          />
        )}
        <ErrorText error={error} />
      </section>
      {canAdmin && (
        <section className="panel" aria-labelledby="invite-heading">
          <h3 id="invite-heading">Invite someone</h3>
          <form onSubmit={invite} className="inline">
            <input name="email" type="email" aria-label="Email to invite" placeholder="email@example.com" required />
            <select name="role" aria-label="Role to grant" defaultValue="viewer">
              <option value="viewer">viewer</option>
              <option value="editor">editor</option>
              <option value="admin">admin</option>
            </select>
            <button type="submit">Invite</button>
          </form>
          {link && (
            <p>
              Share this link (shown once): <output data-testid="invitation-link">{link}</output>
            </p>
          )}
          {invitations.state.kind === 'loaded' && (
            <ul className="plain">
              {invitations.state.data.invitations.map((i) => (
                <li key={i.id}>
                  {i.email} as {i.role}: {i.status}
                  {i.status === 'pending' && (
                    <button
                      type="button"
                      className="link"
                      onClick={() =>
                        void run(async () => {
                          await api('DELETE', `/api/workspaces/${workspace.id}/invitations/${i.id}`)
                          await invitations.reload()
                        })
                      }
                    >
                      revoke
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </section>
  )
}
