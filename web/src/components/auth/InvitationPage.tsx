import { useEffect, useState } from 'react'
import { api } from '../../core/api/client.ts'
import type { Role, User } from '../../core/auth/types.ts'
import { navigate } from '../../core/routing/routes.ts'
import { ErrorText } from '../ui/ErrorText.tsx'
import { LoginPage } from './LoginPage.tsx'
import { RegisterPage } from './RegisterPage.tsx'

interface InvitationSummary {
  workspaceName: string
  email: string
  role: Role
  status: 'pending' | 'accepted' | 'revoked' | 'expired'
}

/** Where an invitation link lands: shows what it is for, then accept (signed in) or register / sign in. */
export function InvitationPage({ token, user, onSignedIn }: { token: string; user?: User; onSignedIn: () => void }) {
  const [invitation, setInvitation] = useState<InvitationSummary>()
  const [error, setError] = useState<unknown>()
  const [mode, setMode] = useState<'register' | 'login'>('register')
  useEffect(() => {
    api<InvitationSummary>('POST', '/api/invitations/lookup', { token }).then(setInvitation, setError)
  }, [token])

  const accept = async () => {
    try {
      const { workspaceId } = await api<{ workspaceId: string }>('POST', '/api/invitations/accept', { token })
      onSignedIn()
      navigate({ page: 'workspace', workspaceId })
    } catch (err) {
      setError(err)
    }
  }

  if (error && !invitation) return <ErrorText error={error} />
  if (!invitation) return <p aria-busy="true">Loading the invitation…</p>
  return (
    <section className="stack">
      <section className="panel" aria-labelledby="invite-heading">
        <h2 id="invite-heading">Join {invitation.workspaceName}</h2>
        <p>
          Invitation for <strong>{invitation.email}</strong> as <strong>{invitation.role}</strong>.
        </p>
        {invitation.status !== 'pending' && <p className="status-down">This invitation is {invitation.status}.</p>}
        {invitation.status === 'pending' && user && (
          <button type="button" onClick={accept}>
            Accept invitation
          </button>
        )}
        <ErrorText error={error} />
      </section>
      {invitation.status === 'pending' && !user && (
        <>
          <p>
            <button type="button" className="link" onClick={() => setMode(mode === 'register' ? 'login' : 'register')}>
              {mode === 'register' ? 'I already have an account' : 'I need an account'}
            </button>
          </p>
          {mode === 'register' ? (
            <RegisterPage
              onSignedIn={() => {
                // Registering with the token already joined the workspace.
                onSignedIn()
                navigate({ page: 'home' })
              }}
              invitationToken={token}
              email={invitation.email}
            />
          ) : (
            <LoginPage onSignedIn={onSignedIn} registrationOpen={false} />
          )}
        </>
      )}
    </section>
  )
}
