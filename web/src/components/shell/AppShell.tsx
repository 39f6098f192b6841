import type { ReactNode } from 'react'
import { useState } from 'react'
import { hrefFor, type Route, workspaceOf } from '../../core/routing/routes.ts'
import { ErrorBoundary } from '../ui/ErrorBoundary.tsx'
import { CommandPalette } from './CommandPalette.tsx'
import { CreateWorkspaceDialog } from './CreateWorkspaceDialog.tsx'
import { Sidebar } from './Sidebar.tsx'
import { useShell } from './shell-context.ts'
import { TopBar } from './TopBar.tsx'

const WIDE_PAGES: readonly string[] = ['notebook', 'pipeline', 'pipeline-new', 'pipeline-run']

/** Signed in: the sidebar (workspace switcher, sections), the top bar (breadcrumbs, palette, theme, account), the page. */
export function AppShell({ route, children }: { route: Route; children: ReactNode }) {
  const { reloadWorkspaces } = useShell()
  const [creating, setCreating] = useState(false)
  const [paletteOpen, setPaletteOpen] = useState(false)
  const workspaceId = workspaceOf(route)
  const backHref = workspaceId ? hrefFor({ page: 'notebooks', workspaceId }) : '/'
  return (
    <div className="app-shell">
      <Sidebar route={route} onCreateWorkspace={() => setCreating(true)} />
      <div className="app-column">
        <TopBar route={route} onOpenPalette={() => setPaletteOpen(true)} />
        <main id="main" className={WIDE_PAGES.includes(route.page) ? 'app-main wide' : 'app-main'}>
          <ErrorBoundary resetKey={hrefFor(route)} backHref={backHref}>
            {children}
          </ErrorBoundary>
        </main>
      </div>
      <CommandPalette
        route={route}
        open={paletteOpen}
        onOpenChange={setPaletteOpen}
        onCreateWorkspace={() => setCreating(true)}
      />
      <CreateWorkspaceDialog open={creating} onOpenChange={setCreating} onCreated={reloadWorkspaces} />
    </div>
  )
}
