import { lazy, Suspense, useEffect } from 'react'
import { AdminUsersPage } from './components/admin/AdminUsersPage.tsx'
import { AllowedNetworksPanel } from './components/admin/AllowedNetworksPanel.tsx'
import { NotebookProblemsPanel } from './components/admin/NotebookProblemsPanel.tsx'
import { AuditLogPage } from './components/audit/AuditLogPage.tsx'
import { InvitationPage } from './components/auth/InvitationPage.tsx'
import { LoginPage } from './components/auth/LoginPage.tsx'
import { RegisterPage } from './components/auth/RegisterPage.tsx'
import { AssetPage } from './components/catalog/AssetPage.tsx'
import { CatalogPage } from './components/catalog/CatalogPage.tsx'
import { ConnectionsPage } from './components/connections/ConnectionsPage.tsx'
import { FilesPage } from './components/files/FilesPage.tsx'
import { NotebooksBrowser } from './components/notebooks/NotebooksBrowser.tsx'
import { PipelinesPage } from './components/pipelines/PipelinesPage.tsx'
import { HomePage } from './components/shell/HomePage.tsx'
import { UserMenu } from './components/shell/UserMenu.tsx'
import { WorkspaceHome } from './components/shell/WorkspaceHome.tsx'
import { WorkspaceNav } from './components/shell/WorkspaceNav.tsx'
import { ServiceStatusPanel } from './components/status/ServiceStatusPanel.tsx'
import { ApiTokensPage } from './components/tokens/ApiTokensPage.tsx'
import { ErrorBoundary } from './components/ui/ErrorBoundary.tsx'
import { Skeleton } from './components/ui/Skeleton.tsx'
import { Toasts } from './components/ui/Toasts.tsx'
import { MembersPage } from './components/workspaces/MembersPage.tsx'
import { WorkspaceSwitcher } from './components/workspaces/WorkspaceSwitcher.tsx'
import { api } from './core/api/client.ts'
import { roleAtLeast, type Setup, type User, type Workspace } from './core/auth/types.ts'
import { hrefFor, navigate, type Route, redirect, workspaceOf } from './core/routing/hash-route.ts'
import { rememberWorkspace } from './core/routing/last-workspace.ts'
import { useApiData } from './hooks/use-api-data.ts'
import { useHashRoute } from './hooks/use-hash-route.ts'
import { useSession } from './hooks/use-session.ts'

// The editor (Monaco, Vega) is large: loaded when a notebook is first opened.
const NotebookPage = lazy(() => import('./components/notebook/NotebookPage.tsx'))
const PipelinePage = lazy(() => import('./components/pipelines/PipelinePage.tsx'))
const NewPipelinePage = lazy(() => import('./components/pipelines/NewPipelinePage.tsx'))
const RunPage = lazy(() => import('./components/pipelines/RunPage.tsx'))
const WIDE_PAGES: readonly string[] = ['notebook', 'pipeline', 'pipeline-new', 'pipeline-run']

export function App() {
  const route = useHashRoute()
  const { session, reload } = useSession()
  const signOut = async () => {
    await api('POST', '/api/auth/logout').catch(() => {})
    await reload()
    navigate({ page: 'login' })
  }
  return (
    <div className={WIDE_PAGES.includes(route.page) ? 'app wide' : 'app'}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <h1>Workbench</h1>
        <nav aria-label="Main">
          {session.kind === 'signed-in' && (
            <>
              <a href={hrefFor({ page: 'home' })}>Workspaces</a>
              <UserMenu user={session.user} onSignOut={() => void signOut()} />
            </>
          )}
          <a href="/api/docs">API docs</a>
        </nav>
      </header>
      <main id="main">
        {session.kind === 'loading' && <p aria-busy="true">Loading…</p>}
        {session.kind === 'signed-out' && <SignedOut route={route} onSignedIn={reload} />}
        {session.kind === 'signed-in' && <SignedIn route={route} user={session.user} onSessionChanged={reload} />}
      </main>
      <Toasts />
    </div>
  )
}

function SignedOut({ route, onSignedIn }: { route: Route; onSignedIn: () => Promise<void> }) {
  const setup = useApiData<Setup>('/api/auth/setup')
  const open =
    setup.state.kind === 'loaded' && (setup.state.data.registration === 'open' || setup.state.data.needsFirstUser)
  const firstUser = setup.state.kind === 'loaded' && setup.state.data.needsFirstUser
  const signedIn = () => void onSignedIn()
  if (route.page === 'invite') return <InvitationPage token={route.token} onSignedIn={signedIn} />
  return (
    <div className="stack">
      {(route.page === 'register' || firstUser) && open ? (
        <RegisterPage onSignedIn={signedIn} firstUser={firstUser} />
      ) : (
        <LoginPage onSignedIn={signedIn} registrationOpen={open} />
      )}
      <ServiceStatusPanel />
    </div>
  )
}

function SignedIn({
  route,
  user,
  onSessionChanged,
}: {
  route: Route
  user: User
  onSessionChanged: () => Promise<void>
}) {
  const workspaces = useApiData<{ workspaces: Workspace[] }>('/api/workspaces')
  const list = workspaces.state.kind === 'loaded' ? workspaces.state.data.workspaces : []
  const currentId = workspaceOf(route)
  const current = list.find((w) => w.id === currentId)
  // Signed in on the sign-in or registration page: on to the home page (not a blank #/login).
  useEffect(() => {
    if (route.page === 'login' || route.page === 'register') redirect({ page: 'home' })
  }, [route.page])
  useEffect(() => {
    if (current) rememberWorkspace(current.id)
  }, [current?.id])

  if (route.page === 'invite')
    return (
      <InvitationPage
        token={route.token}
        user={user}
        onSignedIn={() => {
          void workspaces.reload()
          void onSessionChanged()
        }}
      />
    )
  return (
    <div className="stack">
      <WorkspaceSwitcher workspaces={list} currentId={currentId} route={route} onCreated={workspaces.reload} />
      {route.page === 'tokens' && <ApiTokensPage />}
      {route.page === 'admin' && user.isInstanceAdmin && (
        <>
          <AdminUsersPage self={user} />
          <AllowedNetworksPanel />
          <NotebookProblemsPanel />
          <AuditLogPage endpoint="/api/admin/audit" title="Instance audit log" />
        </>
      )}
      {current && <WorkspaceNav workspace={current} route={route} />}
      <ErrorBoundary
        resetKey={hrefFor(route)}
        backHref={current ? hrefFor({ page: 'notebooks', workspaceId: current.id }) : '#/'}
      >
        {route.page === 'home' && (
          <HomePage
            user={user}
            workspaces={workspaces.state.kind === 'loaded' ? list : undefined}
            onCreated={workspaces.reload}
          />
        )}
        {route.page === 'workspace' && current && <WorkspaceHome key={current.id} workspace={current} />}
        {route.page === 'members' && current && (
          <MembersPage key={current.id} workspace={current} onChanged={workspaces.reload} />
        )}
        {route.page === 'audit' && current && (
          <AuditLogPage key={current.id} endpoint={`/api/workspaces/${current.id}/audit`} />
        )}
        {route.page === 'notebooks' && current && <NotebooksBrowser workspace={current} folder={route.folder} />}
        {route.page === 'notebook' && current && (
          <Suspense fallback={<Skeleton lines={8} label="Loading the editor" />}>
            <NotebookPage key={route.notebookId} workspace={current} notebookId={route.notebookId} user={user} />
          </Suspense>
        )}
        {route.page === 'connections' && current && <ConnectionsPage key={current.id} workspace={current} />}
        {route.page === 'files' && current && <FilesPage key={current.id} workspace={current} />}
        {route.page === 'catalog' && current && !route.assetId && (
          <CatalogPage key={current.id} workspaceId={current.id} canDiscover={roleAtLeast(current.role, 'admin')} />
        )}
        {route.page === 'catalog' && current && route.assetId && (
          <AssetPage
            key={route.assetId}
            workspaceId={current.id}
            assetId={route.assetId}
            canEdit={roleAtLeast(current.role, 'editor')}
            canUnmask={roleAtLeast(current.role, 'admin')}
          />
        )}
        {route.page === 'pipelines' && current && <PipelinesPage key={current.id} workspace={current} />}
        {(route.page === 'pipeline' || route.page === 'pipeline-new' || route.page === 'pipeline-run') && current && (
          <Suspense fallback={<Skeleton lines={8} label="Loading the pipeline editor" />}>
            {route.page === 'pipeline' && (
              <PipelinePage key={route.pipelineId} workspace={current} pipelineId={route.pipelineId} />
            )}
            {route.page === 'pipeline-new' && (
              <NewPipelinePage key={route.from ?? 'yaml'} workspace={current} from={route.from} />
            )}
            {route.page === 'pipeline-run' && <RunPage key={route.runId} workspace={current} runId={route.runId} />}
          </Suspense>
        )}
      </ErrorBoundary>
      {currentId && workspaces.state.kind === 'loading' && <Skeleton lines={3} label="Loading workspace" />}
      {currentId && workspaces.state.kind === 'loaded' && !current && <p role="alert">No such workspace.</p>}
      {route.page === 'home' && <ServiceStatusPanel />}
    </div>
  )
}
