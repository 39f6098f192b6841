import { useEffect, useState } from 'react'
import { api } from '../../core/api/client.ts'
import { roleAtLeast, type Workspace } from '../../core/auth/types.ts'
import type { NotebookFile } from '../../core/notebooks/types.ts'
import { formatTime, statusLabel } from '../../core/pipelines/format.ts'
import type { PipelineSummary } from '../../core/pipelines/types.ts'
import { hrefFor } from '../../core/routing/routes.ts'
import { EmptyState } from '../ui/EmptyState.tsx'
import { ErrorText } from '../ui/ErrorText.tsx'
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
  return (
    <section className="stack" data-testid="workspace-home">
      <section className="panel" aria-labelledby="home-heading">
        <h2 id="home-heading">
          {workspace.name} <small>your role: {workspace.role}</small>
        </h2>
        <ErrorText error={error} />
        {!overview && !error && <Skeleton lines={3} label="Loading the workspace" />}
        {steps.length > 0 && (
          <>
            <h3>What to do next</h3>
            <ol className="next-steps" data-testid="next-steps">
              {steps.map((s) => (
                <li key={s.label} className={s.done ? 'done' : undefined} data-done={s.done}>
                  <a href={s.href}>{s.label}</a> <span className="muted">{s.hint}</span>
                </li>
              ))}
            </ol>
          </>
        )}
      </section>
      {overview && (
        <div className="home-columns">
          <section className="panel" aria-labelledby="recent-notebooks-heading" data-testid="recent-notebooks">
            <h3 id="recent-notebooks-heading">Recent notebooks</h3>
            {overview.notebooks.length === 0 ? (
              <EmptyState title="No notebooks yet.">
                {canEdit && <a href={hrefFor({ page: 'notebooks', workspaceId: workspace.id })}>Create one</a>}
              </EmptyState>
            ) : (
              <ul className="plain-list">
                {overview.notebooks.map((n) => (
                  <li key={n.id}>
                    <a href={hrefFor({ page: 'notebook', workspaceId: workspace.id, notebookId: n.id })}>{n.name}</a>{' '}
                    <small className="muted">
                      {n.folder ? `${n.folder} · ` : ''}edited {formatTime(n.updatedAt)}
                    </small>
                  </li>
                ))}
              </ul>
            )}
            {overview.notebookCount > overview.notebooks.length && (
              <a href={hrefFor({ page: 'notebooks', workspaceId: workspace.id })}>
                All {overview.notebookCount} notebooks
              </a>
            )}
          </section>
          <section className="panel" aria-labelledby="home-pipelines-heading" data-testid="home-pipelines">
            <h3 id="home-pipelines-heading">Pipelines</h3>
            {overview.pipelines.length === 0 ? (
              <EmptyState title="No pipelines yet.">
                {canEdit && (
                  <a href={hrefFor({ page: 'pipeline-new', workspaceId: workspace.id, from: 'notebook' })}>
                    Turn a notebook into one
                  </a>
                )}
              </EmptyState>
            ) : (
              <ul className="plain-list">
                {overview.pipelines.map((p) => (
                  <li key={p.id}>
                    <a href={hrefFor({ page: 'pipeline', workspaceId: workspace.id, pipelineId: p.id })}>{p.name}</a>{' '}
                    {p.lastRun ? (
                      <a
                        className={`run-status status-${p.lastRun.status}`}
                        data-testid="home-last-run"
                        href={hrefFor({ page: 'pipeline-run', workspaceId: workspace.id, runId: p.lastRun.id })}
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
