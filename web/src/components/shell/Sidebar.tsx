import {
  Building2,
  ChevronsUpDown,
  Database,
  FileSpreadsheet,
  House,
  KeyRound,
  NotebookText,
  Plug,
  Plus,
  ScrollText,
  Settings,
  Shield,
  Users,
  Workflow,
} from 'lucide-react'
import { roleAtLeast } from '../../core/auth/types.ts'
import { hrefFor, navigate, type Route, workspaceOf } from '../../core/routing/routes.ts'
import { IconButton } from '../ui/IconButton.tsx'
import { Menu, MenuItem, MenuLabel, MenuRadio, MenuSeparator } from '../ui/Menu.tsx'
import { useShell } from './shell-context.ts'

const SECTIONS = [
  { page: 'workspace', label: 'Home', icon: House },
  { page: 'notebooks', label: 'Notebooks', icon: NotebookText },
  { page: 'catalog', label: 'Catalog', icon: Database },
  { page: 'files', label: 'Files', icon: FileSpreadsheet },
  { page: 'connections', label: 'Connections', icon: Plug },
  { page: 'pipelines', label: 'Pipelines', icon: Workflow },
] as const

/** The section a page belongs to (the notebook page is under Notebooks, a run under Pipelines). */
export function sectionOf(route: Route): string {
  if (route.page === 'notebook') return 'notebooks'
  if (route.page.startsWith('pipeline')) return 'pipelines'
  return route.page
}

/** The left sidebar: the workspace switcher and menu at its top, then the workspace's sections. */
export function Sidebar({ route, onCreateWorkspace }: { route: Route; onCreateWorkspace: () => void }) {
  const { workspaces, user } = useShell()
  const currentId = workspaceOf(route)
  const current = workspaces?.find((w) => w.id === currentId)
  const section = sectionOf(route)
  return (
    <aside className="sidebar" aria-label="Sidebar">
      <div className="sidebar-top">
        <Menu
          label="Workspace menu"
          trigger={
            <button type="button" className="workspace-button ghost">
              <span className="sr-only">Workspace menu: </span>
              <span className="brand-mark" aria-hidden="true">
                {(current?.name ?? 'W').slice(0, 1).toUpperCase()}
              </span>
              <span className="min-w-0 flex-1 text-left">
                <span className="block truncate font-semibold">{current?.name ?? 'Workbench'}</span>
                <span className="block truncate text-xs text-muted">
                  {current ? current.role : 'Choose a workspace'}
                </span>
              </span>
              <ChevronsUpDown size={14} aria-hidden="true" />
            </button>
          }
        >
          {current && (
            <>
              <MenuLabel>{current.name}</MenuLabel>
              <MenuItem href={hrefFor({ page: 'members', workspaceId: current.id })} icon={<Users size={14} />}>
                Members
              </MenuItem>
              {roleAtLeast(current.role, 'admin') && (
                <MenuItem href={hrefFor({ page: 'audit', workspaceId: current.id })} icon={<ScrollText size={14} />}>
                  Audit log
                </MenuItem>
              )}
              <MenuItem href={hrefFor({ page: 'tokens' })} icon={<KeyRound size={14} />}>
                API tokens
              </MenuItem>
              {user.isInstanceAdmin && (
                <MenuItem href={hrefFor({ page: 'admin' })} icon={<Shield size={14} />}>
                  Administration
                </MenuItem>
              )}
              <MenuSeparator />
            </>
          )}
          <MenuLabel>Switch workspace</MenuLabel>
          <MenuRadio
            value={currentId ?? ''}
            onChange={(id) => id && navigate(sameSection(route, id))}
            options={(workspaces ?? []).map((w) => ({
              value: w.id,
              label: `${w.name} (${w.role})`,
              icon: <Building2 size={14} aria-hidden="true" />,
            }))}
          />
          <MenuSeparator />
          <MenuItem onSelect={onCreateWorkspace} icon={<Plus size={14} />}>
            New workspace…
          </MenuItem>
        </Menu>
        <IconButton label="New workspace" icon={Plus} onClick={onCreateWorkspace} />
      </div>
      {current ? (
        <nav aria-label="Workspace sections" className="sidebar-nav">
          {SECTIONS.map(({ page, label, icon: Icon }) => (
            <a
              key={page}
              href={hrefFor({ page, workspaceId: current.id })}
              aria-current={section === page ? 'page' : undefined}
            >
              <Icon size={16} aria-hidden="true" />
              {label}
            </a>
          ))}
        </nav>
      ) : (
        <nav aria-label="Workspaces" className="sidebar-nav">
          {(workspaces ?? []).map((w) => (
            <a key={w.id} href={hrefFor({ page: 'workspace', workspaceId: w.id })}>
              <Building2 size={16} aria-hidden="true" />
              {w.name}
            </a>
          ))}
        </nav>
      )}
      <div className="sidebar-bottom">
        {current && (
          <a
            href={hrefFor({ page: 'members', workspaceId: current.id })}
            aria-current={section === 'members' ? 'page' : undefined}
          >
            <Settings size={16} aria-hidden="true" />
            Workspace settings
          </a>
        )}
      </div>
    </aside>
  )
}

/** The page of workspace `workspaceId` matching the current one's section (its home by default). */
export function sameSection(route: Route | undefined, workspaceId: string): Route {
  switch (route?.page) {
    case 'notebooks':
    case 'notebook':
      return { page: 'notebooks', workspaceId }
    case 'catalog':
      return { page: 'catalog', workspaceId }
    case 'pipelines':
    case 'pipeline':
    case 'pipeline-run':
    case 'pipeline-new':
      return { page: 'pipelines', workspaceId }
    case 'files':
    case 'connections':
    case 'audit':
    case 'members':
      return { page: route.page, workspaceId }
    default:
      return { page: 'workspace', workspaceId }
  }
}
