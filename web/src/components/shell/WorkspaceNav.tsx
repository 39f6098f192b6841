import { roleAtLeast, type Workspace } from '../../core/auth/types.ts'
import { hrefFor, type Route } from '../../core/routing/hash-route.ts'

const SECTIONS = ['workspace', 'notebooks', 'catalog', 'files', 'connections', 'pipelines', 'members', 'audit'] as const

/** The sections of a workspace; the current one is marked for screen readers and styles. */
export function WorkspaceNav({ workspace, route }: { workspace: Workspace; route: Route }) {
  const current =
    route.page === 'notebook'
      ? 'notebooks'
      : route.page.startsWith('pipeline') // the pipeline, new-pipeline and run pages
        ? 'pipelines'
        : route.page
  const label: Record<(typeof SECTIONS)[number], string> = {
    workspace: 'Home',
    notebooks: 'Notebooks',
    catalog: 'Catalog',
    files: 'Files',
    connections: 'Connections',
    pipelines: 'Pipelines',
    members: 'Members',
    audit: 'Audit log',
  }
  return (
    <nav aria-label="Workspace sections" className="tabs">
      {SECTIONS.filter((s) => s !== 'audit' || roleAtLeast(workspace.role, 'admin')).map((s) => (
        <a
          key={s}
          href={hrefFor({ page: s, workspaceId: workspace.id })}
          aria-current={current === s ? 'page' : undefined}
        >
          {label[s]}
        </a>
      ))}
    </nav>
  )
}
