import { lazy, type ReactNode, Suspense } from 'react'
import { createBrowserRouter, Outlet, useParams, useSearchParams } from 'react-router'
import { AdminUsersPage } from './components/admin/AdminUsersPage.tsx'
import { AllowedNetworksPanel } from './components/admin/AllowedNetworksPanel.tsx'
import { NotebookProblemsPanel } from './components/admin/NotebookProblemsPanel.tsx'
import { AuditLogPage } from './components/audit/AuditLogPage.tsx'
import { AssetPage } from './components/catalog/AssetPage.tsx'
import { CatalogPage } from './components/catalog/CatalogPage.tsx'
import { ConnectionsPage } from './components/connections/ConnectionsPage.tsx'
import { FilesPage } from './components/files/FilesPage.tsx'
import { NotebooksBrowser } from './components/notebooks/NotebooksBrowser.tsx'
import { PipelinesPage } from './components/pipelines/PipelinesPage.tsx'
import { HomePage } from './components/shell/HomePage.tsx'
import { Root } from './components/shell/Root.tsx'
import { useShell, useWorkspace, WorkspaceContext } from './components/shell/shell-context.ts'
import { WorkspaceHome } from './components/shell/WorkspaceHome.tsx'
import { ApiTokensPage } from './components/tokens/ApiTokensPage.tsx'
import { PageHeader } from './components/ui/PageHeader.tsx'
import { Skeleton } from './components/ui/Skeleton.tsx'
import { MembersPage } from './components/workspaces/MembersPage.tsx'
import { roleAtLeast } from './core/auth/types.ts'

// The editors (Monaco, Vega, the grid) are large: loaded when such a page is first opened.
const NotebookPage = lazy(() => import('./components/notebook/NotebookPage.tsx'))
const PipelinePage = lazy(() => import('./components/pipelines/PipelinePage.tsx'))
const NewPipelinePage = lazy(() => import('./components/pipelines/NewPipelinePage.tsx'))
const RunPage = lazy(() => import('./components/pipelines/RunPage.tsx'))

function Loading({ label, children }: { label: string; children: ReactNode }) {
  return <Suspense fallback={<Skeleton lines={8} label={label} />}>{children}</Suspense>
}

/** `/w/:workspaceId/…`: finds the workspace among the user's, for every page under it. */
function WorkspaceRoute() {
  const { workspaceId } = useParams()
  const { workspaces } = useShell()
  if (!workspaces) return <Skeleton lines={3} label="Loading workspace" />
  const workspace = workspaces.find((w) => w.id === workspaceId)
  if (!workspace)
    return (
      <p role="alert" className="panel">
        No such workspace.
      </p>
    )
  return (
    <WorkspaceContext.Provider value={workspace}>
      <Outlet />
    </WorkspaceContext.Provider>
  )
}

function useParam(name: string): string {
  // The router only renders these elements when the path matched, so the parameter is there.
  return useParams()[name] ?? ''
}

const pages = {
  home: () => {
    const { user, workspaces, reloadWorkspaces } = useShell()
    return <HomePage user={user} workspaces={workspaces} onCreated={reloadWorkspaces} />
  },
  tokens: () => <ApiTokensPage />,
  admin: () => {
    const { user } = useShell()
    if (!user.isInstanceAdmin) return <p role="alert">Administration is for instance administrators.</p>
    return (
      <div className="stack">
        <PageHeader title="Administration" />
        <AdminUsersPage self={user} />
        <AllowedNetworksPanel />
        <NotebookProblemsPanel />
        <AuditLogPage endpoint="/api/admin/audit" title="Instance audit log" />
      </div>
    )
  },
  workspace: () => {
    const ws = useWorkspace()
    return <WorkspaceHome key={ws.id} workspace={ws} />
  },
  members: () => {
    const ws = useWorkspace()
    const { reloadWorkspaces } = useShell()
    return <MembersPage key={ws.id} workspace={ws} onChanged={reloadWorkspaces} />
  },
  audit: () => {
    const ws = useWorkspace()
    return <AuditLogPage key={ws.id} endpoint={`/api/workspaces/${ws.id}/audit`} />
  },
  notebooks: () => {
    const ws = useWorkspace()
    const [search] = useSearchParams()
    return <NotebooksBrowser workspace={ws} folder={search.get('folder') ?? undefined} />
  },
  notebook: () => {
    const ws = useWorkspace()
    const { user } = useShell()
    const notebookId = useParam('notebookId')
    const [search] = useSearchParams()
    return (
      <Loading label="Loading the editor">
        <NotebookPage
          key={notebookId}
          workspace={ws}
          notebookId={notebookId}
          user={user}
          cellId={search.get('cell') ?? undefined}
        />
      </Loading>
    )
  },
  connections: () => {
    const ws = useWorkspace()
    return <ConnectionsPage key={ws.id} workspace={ws} />
  },
  files: () => {
    const ws = useWorkspace()
    return <FilesPage key={ws.id} workspace={ws} />
  },
  catalog: () => {
    const ws = useWorkspace()
    const [search] = useSearchParams()
    return (
      <CatalogPage
        key={ws.id}
        workspaceId={ws.id}
        canDiscover={roleAtLeast(ws.role, 'admin')}
        initialQuery={search.get('q') ?? ''}
      />
    )
  },
  asset: () => {
    const ws = useWorkspace()
    const assetId = useParam('assetId')
    const [search] = useSearchParams()
    return (
      <AssetPage
        key={assetId}
        workspaceId={ws.id}
        assetId={assetId}
        canEdit={roleAtLeast(ws.role, 'editor')}
        canUnmask={roleAtLeast(ws.role, 'admin')}
        tab={search.get('tab') ?? undefined}
      />
    )
  },
  pipelines: () => {
    const ws = useWorkspace()
    return <PipelinesPage key={ws.id} workspace={ws} />
  },
  pipeline: () => {
    const ws = useWorkspace()
    const pipelineId = useParam('pipelineId')
    return (
      <Loading label="Loading the pipeline editor">
        <PipelinePage key={pipelineId} workspace={ws} pipelineId={pipelineId} />
      </Loading>
    )
  },
  pipelineNew: () => {
    const ws = useWorkspace()
    const [search] = useSearchParams()
    const from = search.get('from') === 'notebook' ? 'notebook' : undefined
    return (
      <Loading label="Loading the pipeline editor">
        <NewPipelinePage key={from ?? 'yaml'} workspace={ws} from={from} />
      </Loading>
    )
  },
  run: () => {
    const ws = useWorkspace()
    const runId = useParam('runId')
    return (
      <Loading label="Loading the run">
        <RunPage key={runId} workspace={ws} runId={runId} />
      </Loading>
    )
  },
}

/**
 * The app's routes, with history-API URLs (the server answers index.html for them: `workbench/src/http/web-app.ts`).
 * `core/routing/routes.ts` builds the same paths from typed `Route` values.
 */
export function createRouter() {
  const P = pages
  return createBrowserRouter([
    {
      element: <Root />,
      children: [
        { index: true, Component: P.home },
        { path: 'login', Component: P.home },
        { path: 'register', Component: P.home },
        { path: 'invite', Component: P.home },
        { path: 'invite/:token', Component: P.home },
        { path: 'tokens', Component: P.tokens },
        { path: 'admin', Component: P.admin },
        {
          path: 'w/:workspaceId',
          Component: WorkspaceRoute,
          children: [
            { index: true, Component: P.workspace },
            { path: 'members', Component: P.members },
            { path: 'audit', Component: P.audit },
            { path: 'notebooks', Component: P.notebooks },
            { path: 'notebooks/:notebookId', Component: P.notebook },
            { path: 'connections', Component: P.connections },
            { path: 'files', Component: P.files },
            { path: 'catalog', Component: P.catalog },
            { path: 'catalog/:assetId', Component: P.asset },
            { path: 'pipelines', Component: P.pipelines },
            { path: 'pipelines/new', Component: P.pipelineNew },
            { path: 'pipelines/:pipelineId', Component: P.pipeline },
            { path: 'pipeline-runs/:runId', Component: P.run },
          ],
        },
        { path: '*', Component: P.home },
      ],
    },
  ])
}
