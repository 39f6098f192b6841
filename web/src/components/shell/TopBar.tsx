import { BookOpen, ChevronRight, LogOut, Search, UserRound } from 'lucide-react'
import { hrefFor, type Route, workspaceOf } from '../../core/routing/routes.ts'
import { Menu, MenuItem, MenuLabel, MenuSeparator } from '../ui/Menu.tsx'
import { useShell } from './shell-context.ts'
import { ThemeMenu } from './ThemeMenu.tsx'

const SECTION_LABEL: Record<string, string> = {
  notebooks: 'Notebooks',
  notebook: 'Notebooks',
  catalog: 'Catalog',
  files: 'Files',
  connections: 'Connections',
  pipelines: 'Pipelines',
  pipeline: 'Pipelines',
  'pipeline-new': 'Pipelines',
  'pipeline-run': 'Pipelines',
  members: 'Members',
  audit: 'Audit log',
}

/** Where the page sits: workspace › section › item, each a link but the last. */
function crumbsOf(route: Route, workspaceName: string | undefined): { label: string; href?: string }[] {
  const crumbs: { label: string; href?: string }[] = []
  const workspaceId = workspaceOf(route)
  if (route.page === 'tokens') return [{ label: 'API tokens' }]
  if (route.page === 'admin') return [{ label: 'Administration' }]
  if (!workspaceId) return [{ label: 'Home' }]
  crumbs.push({ label: workspaceName ?? 'Workspace', href: hrefFor({ page: 'workspace', workspaceId }) })
  const section = SECTION_LABEL[route.page]
  if (!section) return crumbs
  const sectionPage = route.page.startsWith('pipeline')
    ? 'pipelines'
    : route.page === 'notebook'
      ? 'notebooks'
      : route.page
  const isLeaf = route.page === sectionPage && !(route.page === 'catalog' && route.assetId)
  crumbs.push({
    label: section,
    href: isLeaf ? undefined : hrefFor({ page: sectionPage as 'notebooks', workspaceId }),
  })
  if (route.page === 'notebook') crumbs.push({ label: 'Notebook' })
  if (route.page === 'catalog' && route.assetId) crumbs.push({ label: 'Asset' })
  if (route.page === 'pipeline') crumbs.push({ label: 'Pipeline' })
  if (route.page === 'pipeline-new') crumbs.push({ label: 'New pipeline' })
  if (route.page === 'pipeline-run') crumbs.push({ label: 'Run' })
  return crumbs
}

/** The top bar: breadcrumbs, the command palette's search box, the theme and the account menu. */
export function TopBar({ route, onOpenPalette }: { route: Route; onOpenPalette: () => void }) {
  const { user, workspaces, signOut } = useShell()
  const workspace = workspaces?.find((w) => w.id === workspaceOf(route))
  const crumbs = crumbsOf(route, workspace?.name)
  const mac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform)
  return (
    <header className="topbar">
      <nav aria-label="Breadcrumb" className="breadcrumbs">
        <ol>
          {crumbs.map((c, i) => (
            <li key={`${c.label}-${i}`}>
              {i > 0 && <ChevronRight size={14} aria-hidden="true" className="text-muted" />}
              {c.href ? (
                <a href={c.href}>{c.label}</a>
              ) : (
                <span aria-current={i === crumbs.length - 1 ? 'page' : undefined}>{c.label}</span>
              )}
            </li>
          ))}
        </ol>
      </nav>
      <button type="button" className="palette-button" onClick={onOpenPalette} aria-keyshortcuts="Control+K Meta+K">
        <Search size={14} aria-hidden="true" />
        <span className="flex-1 text-left">Search or jump to…</span>
        <kbd>{mac ? '⌘' : 'Ctrl'} K</kbd>
      </button>
      <div className="flex items-center gap-1">
        <ThemeMenu />
        <Menu
          align="end"
          trigger={
            <button type="button" className="ghost account-button" aria-label={`Account: ${user.email}`}>
              <UserRound size={16} aria-hidden="true" />
              <span data-testid="signed-in-as" className="max-w-48 truncate" title={user.name}>
                {user.email}
              </span>
            </button>
          }
        >
          <MenuLabel>{user.name}</MenuLabel>
          <MenuItem href={hrefFor({ page: 'tokens' })}>API tokens</MenuItem>
          {user.isInstanceAdmin && <MenuItem href={hrefFor({ page: 'admin' })}>Administration</MenuItem>}
          <MenuItem href="/api/docs" icon={<BookOpen size={14} />}>
            API docs
          </MenuItem>
          <MenuSeparator />
          <MenuItem onSelect={signOut} icon={<LogOut size={14} />}>
            Sign out
          </MenuItem>
        </Menu>
      </div>
    </header>
  )
}
