import './pipelines.css'
import { useEffect, useState } from 'react'
import { roleAtLeast, type Workspace } from '../../core/auth/types.ts'
import { formatTime, statusLabel } from '../../core/pipelines/format.ts'
import { pipelinesApi } from '../../core/pipelines/pipelines-api.ts'
import type { PipelineSummary } from '../../core/pipelines/types.ts'
import { hrefFor } from '../../core/routing/routes.ts'
import { DataTable } from '../ui/DataTable.tsx'
import { EmptyState } from '../ui/EmptyState.tsx'
import { ErrorText } from '../ui/ErrorText.tsx'
import { Skeleton } from '../ui/Skeleton.tsx'

/** A workspace's pipelines: schedule (and whether paused), last run, next run; new from YAML or a notebook. */
export function PipelinesPage({ workspace }: { workspace: Workspace }) {
  const api = pipelinesApi(workspace.id)
  const canEdit = roleAtLeast(workspace.role, 'editor')
  const [rows, setRows] = useState<PipelineSummary[]>()
  const [error, setError] = useState<unknown>()

  useEffect(() => {
    let cancelled = false
    // One call: the list carries each pipeline's schedule and newest run.
    api
      .list()
      .then(({ items }) => !cancelled && setRows(items))
      .catch((err: unknown) => !cancelled && setError(err))
    return () => {
      cancelled = true
    }
  }, [workspace.id])

  return (
    <section className="panel" aria-labelledby="pipelines-heading">
      <h2 id="pipelines-heading">Pipelines</h2>
      {canEdit && (
        <p className="inline">
          <a className="button" href={hrefFor({ page: 'pipeline-new', workspaceId: workspace.id })}>
            New pipeline
          </a>
          <a className="button" href={hrefFor({ page: 'pipeline-new', workspaceId: workspace.id, from: 'notebook' })}>
            From notebook
          </a>
        </p>
      )}
      <ErrorText error={error} />
      {!rows && !error && <Skeleton lines={3} label="Loading pipelines" />}
      {rows && (
        <DataTable
          testId="pipelines"
          caption="Pipelines"
          rows={rows}
          rowKey={(r) => r.id}
          empty={
            <EmptyState title="No pipelines yet.">
              {canEdit && <p>Write one in YAML, or compile a notebook into one.</p>}
            </EmptyState>
          }
          columns={[
            {
              header: 'Name',
              cell: (r) => (
                <a href={hrefFor({ page: 'pipeline', workspaceId: workspace.id, pipelineId: r.id })}>{r.name}</a>
              ),
            },
            { header: 'Version', cell: (r) => r.currentVersion },
            {
              header: 'Schedule',
              cell: (r) =>
                r.schedule ? (
                  <>
                    <code>{r.schedule.cron.join(', ')}</code> {r.schedule.timezone ?? 'UTC'}
                    {r.schedule.paused && <span className="tag">paused</span>}
                  </>
                ) : (
                  <span className="muted">manual</span>
                ),
            },
            {
              header: 'Last run',
              cell: (r) =>
                r.lastRun ? (
                  <a href={hrefFor({ page: 'pipeline-run', workspaceId: workspace.id, runId: r.lastRun.id })}>
                    <span className={`run-status status-${r.lastRun.status}`}>{statusLabel(r.lastRun.status)}</span>{' '}
                    {formatTime(r.lastRun.startedAt ?? r.lastRun.createdAt)}
                  </a>
                ) : (
                  <span className="muted">never</span>
                ),
            },
            {
              header: 'Next run',
              cell: (r) =>
                r.schedule?.nextRunAt ? formatTime(r.schedule.nextRunAt, r.schedule.timezone ?? 'UTC') : '—',
            },
          ]}
        />
      )}
    </section>
  )
}
