import { useEffect, useLayoutEffect } from 'react'
import { Outlet, useLocation, useNavigate } from 'react-router'
import { api } from '../../core/api/client.ts'
import type { Setup, User, Workspace } from '../../core/auth/types.ts'
import { queryClient } from '../../core/query/query-client.ts'
import { rememberWorkspace } from '../../core/routing/last-workspace.ts'
import { isAppLink, legacyHashUrl, parseRoute, redirect, setNavigator, workspaceOf } from '../../core/routing/routes.ts'
import { followSystemTheme } from '../../core/ui/theme.ts'
import { useApiData } from '../../hooks/use-api-data.ts'
import { useSession } from '../../hooks/use-session.ts'
import { InvitationPage } from '../auth/InvitationPage.tsx'
import { LoginPage } from '../auth/LoginPage.tsx'
import { RegisterPage } from '../auth/RegisterPage.tsx'
import { ServiceStatusPanel } from '../status/ServiceStatusPanel.tsx'
import { Skeleton } from '../ui/Skeleton.tsx'
import { Toasts } from '../ui/Toasts.tsx'
import { AppShell } from './AppShell.tsx'
import { ShellContext } from './shell-context.ts'

/** The root route: wires the router into `navigate`, then shows the signed-out pages or the signed-in shell. */
export function Root() {
  const routerNavigate = useNavigate()
  const location = useLocation()
  useLayoutEffect(() => {
    setNavigator((to, { replace }) => void routerNavigate(to, { replace }))
  }, [routerNavigate])
  // Old `#/…` links (bookmarks, invitation mails) move to their path.
  useLayoutEffect(() => {
    const legacy = legacyHashUrl(location.hash)
    if (legacy) void routerNavigate(legacy, { replace: true })
  }, [location.hash])
  // Plain `<a href>` links to our pages go through the router (no reload), whoever rendered them.
  useEffect(() => {
    const onClick = (event: MouseEvent) => {
      const anchor = event.target instanceof Element ? event.target.closest('a[href]') : null
      if (!(anchor instanceof HTMLAnchorElement) || !isAppLink(anchor, event)) return
      event.preventDefault()
      const url = new URL(anchor.href)
      void routerNavigate(url.pathname + url.search + url.hash)
    }
    document.addEventListener('click', onClick)
    return () => document.removeEventListener('click', onClick)
  }, [routerNavigate])
  useEffect(followSystemTheme, [])

  const { session, reload } = useSession()
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      {session.kind === 'loading' && <Skeleton lines={3} label="Loading" />}
      {session.kind === 'signed-out' && <SignedOut onSignedIn={reload} />}
      {session.kind === 'signed-in' && <SignedIn user={session.user} reloadSession={reload} />}
      <Toasts />
    </>
  )
}

function SignedOut({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const location = useLocation()
  const route = parseRoute(location.pathname, location.search, location.hash)
  const setup = useApiData<Setup>('/api/auth/setup')
  const open =
    setup.state.kind === 'loaded' && (setup.state.data.registration === 'open' || setup.state.data.needsFirstUser)
  const firstUser = setup.state.kind === 'loaded' && setup.state.data.needsFirstUser
  const signedIn = () => {
    queryClient.clear()
    void onSignedIn()
  }
  return (
    <main id="main" className="signed-out">
      <div className="signed-out-brand">
        <span className="brand-mark" aria-hidden="true">
          W
        </span>
        <span className="text-lg font-semibold">Workbench</span>
      </div>
      {route.page === 'invite' ? (
        <InvitationPage token={route.token} onSignedIn={signedIn} />
      ) : (route.page === 'register' || firstUser) && open ? (
        <RegisterPage onSignedIn={signedIn} firstUser={firstUser} />
      ) : (
        <LoginPage onSignedIn={signedIn} registrationOpen={open} />
      )}
      <ServiceStatusPanel />
    </main>
  )
}

function SignedIn({ user, reloadSession }: { user: User; reloadSession: () => Promise<void> }) {
  const location = useLocation()
  const route = parseRoute(location.pathname, location.search, location.hash)
  const workspaces = useApiData<{ workspaces: Workspace[] }>('/api/workspaces')
  const list = workspaces.state.kind === 'loaded' ? workspaces.state.data.workspaces : undefined
  const currentId = workspaceOf(route)
  // Signed in on the sign-in or registration page: on to the home page (not a blank /login).
  useEffect(() => {
    if (route.page === 'login' || route.page === 'register') redirect({ page: 'home' })
  }, [route.page])
  useEffect(() => {
    if (currentId && list?.some((w) => w.id === currentId)) rememberWorkspace(currentId)
  }, [currentId, list])
  const signOut = async () => {
    await api('POST', '/api/auth/logout').catch(() => {})
    queryClient.clear()
    await reloadSession()
    redirect({ page: 'login' })
  }
  const shell = {
    user,
    workspaces: list,
    reloadWorkspaces: workspaces.reload,
    reloadSession,
    signOut: () => void signOut(),
  }
  return (
    <ShellContext.Provider value={shell}>
      {route.page === 'invite' ? (
        <main id="main" className="signed-out">
          <InvitationPage
            token={route.token}
            user={user}
            onSignedIn={() => {
              void workspaces.reload()
              void reloadSession()
            }}
          />
        </main>
      ) : (
        <AppShell route={route}>
          <Outlet />
        </AppShell>
      )}
    </ShellContext.Provider>
  )
}
