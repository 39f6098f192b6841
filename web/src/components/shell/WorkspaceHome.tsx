import { Circle, CircleCheck, Database, FilePlus2, NotebookText, Workflow } from 'lucide-react'
import { useEffect, useState } from 'react'
import { api } from '../../core/api/client.ts'
import { roleAtLeast, type Workspace } from '../../core/auth/types.ts'
import type { NotebookFile } from '../../core/notebooks/types.ts'
import { formatTime, statusLabel } from '../../core/pipelines/format.ts'
import type { PipelineSummary } from '../../core/pipelines/types.ts'
import { hrefFor, navigate } from '../../core/routing/routes.ts'
import { EmptyState } from '../ui/EmptyState.tsx'
import { ErrorText } from '../ui/ErrorText.tsx'
import { PageHeader } from '../ui/PageHeader.tsx'
import { Skeleton } from '../ui/Skeleton.tsx'

const RECENT = 6

interface Overview {
  notebooks: NotebookFile[]
  notebookCount: number
  pipelines: PipelineSummary[]
  /** Undefined: the caller may not list them (viewers), so the step is not offered. */
  connections?: number
  members?: number
}

/**
 * A workspace's home, where sign-in lands: the notebooks touched last, the pipelines with their newest runs, and
 * what to do next (the first notebook, a data source, a pipeline, the team), each a link to where it is done.
 */
export function WorkspaceHome({ workspace }: { workspace: Workspace }) {
  const [overview, setOverview] = useState<Overview>()
  const [error, setError] = useState<unknown>()
  const ws = `/api/workspaces/${encodeURIComponent(workspace.id)}`
  const canEdit = roleAtLeast(workspace.role, 'editor')
  const canAdmin = roleAtLeast(workspace.role, 'admin')

  useEffect(() => {
    let cancelled = false
    const optional = <T,>(path: string) => api<T>('GET', path).catch(() => undefined)
    Promise.all([
      api<{ items: NotebookFile[]; total: number }>('GET', `${ws}/notebooks?limit=200&offset=0`),
      api<{ items: PipelineSummary[] }>('GET', `${ws}/pipelines`).catch(() => ({ items: [] })),
      canEdit ? optional<unknown[]>(`${ws}/connections`) : Promise.resolve(undefined),
      canAdmin ? optional<{ members: unknown[] }>(`${ws}/members`) : Promise.resolve(undefined),
    ]).then(
      ([notebooks, pipelines, connections, members]) => {
        if (cancelled) return
        const recent = [...notebooks.items].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, RECENT)
        const byLastRun = [...pipelines.items].sort((a, b) =>
          (b.lastRun?.createdAt ?? b.updatedAt).localeCompare(a.lastRun?.createdAt ?? a.updatedAt),
        )
        setOverview({
          notebooks: recent,
          notebookCount: notebooks.total,
          pipelines: byLastRun.slice(0, RECENT),
          connections: Array.isArray(connections) ? connections.length : undefined,
          members: members?.members.length,
        })
      },
      (err: unknown) => !cancelled && setError(err),
    )
    return () => {
      cancelled = true
    }
  }, [ws, canEdit, canAdmin])

  const steps = overview ? nextSteps(workspace, overview, canEdit, canAdmin) : []
  const [catalogQuery, setCatalogQuery] = useState('')
  const wsId = workspace.id
  return (
    <section className="stack" data-testid="workspace-home">
      <PageHeader
        id="home-heading"
        title={workspace.name}
        description={<>Your role: {workspace.role}</>}
        actions={
          canEdit && (
            <>
              <a className="button" href={hrefFor({ page: 'pipeline-new', workspaceId: wsId })}>
                <Workflow size={14} aria-hidden="true" /> New pipeline
              </a>
              <a className="button primary" href={hrefFor({ page: 'notebooks', workspaceId: wsId })}>
                <FilePlus2 size={14} aria-hidden="true" /> New notebook
              </a>
            </>
          )
        }
      />
      <ErrorText error={error} />
      {!overview && !error && <Skeleton lines={3} label="Loading the workspace" />}
      {overview && (
        <div className="home-grid">
          <div className="stack">
            <section className="panel" aria-labelledby="recent-notebooks-heading" data-testid="recent-notebooks">
              <div className="panel-title">
                <h2 id="recent-notebooks-heading">
                  <NotebookText size={16} aria-hidden="true" /> Recent notebooks
                </h2>
                {overview.notebookCount > overview.notebooks.length && (
                  <a href={hrefFor({ page: 'notebooks', workspaceId: wsId })}>All {overview.notebookCount} notebooks</a>
                )}
              </div>
              {overview.notebooks.length === 0 ? (
                <EmptyState title="No notebooks yet.">
                  {canEdit && <a href={hrefFor({ page: 'notebooks', workspaceId: wsId })}>Create one</a>}
                </EmptyState>
              ) : (
                <ul className="item-list">
                  {overview.notebooks.map((n) => (
                    <li key={n.id}>
                      <a href={hrefFor({ page: 'notebook', workspaceId: wsId, notebookId: n.id })}>{n.name}</a>
                      <small className="muted">
                        {n.folder ? `${n.folder} · ` : ''}edited {formatTime(n.updatedAt)}
                      </small>
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <section className="panel" aria-labelledby="home-pipelines-heading" data-testid="home-pipelines">
              <div className="panel-title">
                <h2 id="home-pipelines-heading">
                  <Workflow size={16} aria-hidden="true" /> Pipelines
                </h2>
                {overview.pipelines.length > 0 && (
                  <a href={hrefFor({ page: 'pipelines', workspaceId: wsId })}>All pipelines</a>
                )}
              </div>
              {overview.pipelines.length === 0 ? (
                <EmptyState title="No pipelines yet.">
                  {canEdit && (
                    <a href={hrefFor({ page: 'pipeline-new', workspaceId: wsId, from: 'notebook' })}>
                      Turn a notebook into one
                    </a>
                  )}
                </EmptyState>
              ) : (
                <ul className="item-list">
                  {overview.pipelines.map((p) => (
                    <li key={p.id}>
                      <a href={hrefFor({ page: 'pipeline', workspaceId: wsId, pipelineId: p.id })}>{p.name}</a>
                      {p.lastRun ? (
                        <a
                          className={`run-status status-${p.lastRun.status}`}
                          data-testid="home-last-run"
                          href={hrefFor({ page: 'pipeline-run', workspaceId: wsId, runId: p.lastRun.id })}
                        >
                          {statusLabel(p.lastRun.status)} {formatTime(p.lastRun.endedAt ?? p.lastRun.createdAt)}
                        </a>
                      ) : (
                        <small className="muted">never run</small>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          </div>
          <div className="stack">
            {steps.length > 0 && (
              <section className="panel" aria-labelledby="next-steps-heading">
                <h2 id="next-steps-heading">What to do next</h2>
                <ol className="next-steps" data-testid="next-steps">
                  {steps.map((s) => (
                    <li key={s.label} className={s.done ? 'done' : undefined} data-done={s.done}>
                      {s.done ? (
                        <CircleCheck size={16} aria-hidden="true" className="step-icon done" />
                      ) : (
                        <Circle size={16} aria-hidden="true" className="step-icon" />
                      )}
                      <span>
                        <a href={s.href}>{s.label}</a>
                        {s.done && <span className="sr-only"> (done)</span>}
                        <span className="block text-sm text-muted">{s.hint}</span>
                      </span>
                    </li>
                  ))}
                </ol>
              </section>
            )}
            <section className="panel" aria-labelledby="home-catalog-heading">
              <h2 id="home-catalog-heading">
                <Database size={16} aria-hidden="true" /> Find data
              </h2>
              <form
                className="flex gap-2"
                onSubmit={(e) => {
                  e.preventDefault()
                  navigate({ page: 'catalog', workspaceId: wsId, ...(catalogQuery ? { q: catalogQuery } : {}) })
                }}
              >
                <input
                  type="search"
                  className="flex-1"
                  aria-label="Search tables and columns"
                  placeholder="Tables, columns, tags…"
                  value={catalogQuery}
                  onChange={(e) => setCatalogQuery(e.target.value)}
                />
                <button type="submit">Search</button>
              </form>
              <ul className="item-list">
                <li>
                  <a href={hrefFor({ page: 'catalog', workspaceId: wsId })}>Browse the catalog</a>
                  <small className="muted">every table and view, with previews and lineage</small>
                </li>
                <li>
                  <a href={hrefFor({ page: 'files', workspaceId: wsId })}>Import a file</a>
                  <small className="muted">CSV, Excel, JSON or Parquet as a table</small>
                </li>
                {canEdit && (
                  <li>
                    <a href={hrefFor({ page: 'connections', workspaceId: wsId })}>Connect a database</a>
                    <small className="muted">PostgreSQL or MySQL, catalogued</small>
                  </li>
                )}
              </ul>
            </section>
          </div>
        </div>
      )}
    </section>
  )
}

interface Step {
  label: string
  hint: string
  href: string
  done: boolean
}

/** The first hour's steps this caller can take, done ones ticked (viewers get none: they only look). */
function nextSteps(workspace: Workspace, o: Overview, canEdit: boolean, canAdmin: boolean): Step[] {
  if (!canEdit) return []
  const workspaceId = workspace.id
  const steps: Step[] = [
    {
      label: 'Create a notebook',
      hint: 'SQL and Python cells over the workspace DuckDB; start from a template.',
      href: hrefFor({ page: 'notebooks', workspaceId }),
      done: o.notebookCount > 0,
    },
    {
      label: 'Bring data in',
      hint: 'Upload a CSV, Excel, JSON or Parquet file, or connect PostgreSQL or MySQL.',
      href: hrefFor({ page: o.connections ? 'connections' : 'files', workspaceId }),
      done: (o.connections ?? 0) > 0,
    },
    {
      label: 'Schedule a pipeline',
      hint: 'Turn a notebook into a pipeline that runs on a schedule.',
      href: hrefFor({ page: 'pipeline-new', workspaceId, from: 'notebook' }),
      done: o.pipelines.length > 0,
    },
  ]
  if (canAdmin && o.members !== undefined)
    steps.push({
      label: 'Invite your team',
      hint: 'Members see the same notebooks live and can comment on cells.',
      href: hrefFor({ page: 'members', workspaceId }),
      done: o.members > 1,
    })
  return steps
}
