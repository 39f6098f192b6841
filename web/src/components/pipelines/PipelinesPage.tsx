import './pipelines.css'
import { useEffect, useState } from 'react'
import { roleAtLeast, type Workspace } from '../../core/auth/types.ts'
import { formatTime, statusLabel } from '../../core/pipelines/format.ts'
import { pipelinesApi } from '../../core/pipelines/pipelines-api.ts'
import { outlineOf, type ScheduleOutline } from '../../core/pipelines/spec-outline.ts'
import type { Pipeline, Run } from '../../core/pipelines/types.ts'
import { hrefFor } from '../../core/routing/hash-route.ts'
import { DataTable } from '../ui/DataTable.tsx'
import { EmptyState } from '../ui/EmptyState.tsx'
import { ErrorText } from '../ui/ErrorText.tsx'
import { Skeleton } from '../ui/Skeleton.tsx'

interface Row {
  pipeline: Pipeline
  schedule?: ScheduleOutline
  nextRun?: string
  lastRun?: Run
}

/** A workspace's pipelines: schedule (and whether paused), last run, next run; new from YAML or a notebook. */
export function PipelinesPage({ workspace }: { workspace: Workspace }) {
  const api = pipelinesApi(workspace.id)
  const canEdit = roleAtLeast(workspace.role, 'editor')
  const [rows, setRows] = useState<Row[]>()
  const [error, setError] = useState<unknown>()

  useEffect(() => {
    let cancelled = false
    const load = async () => {
      const [{ items }, runs] = await Promise.all([api.list(), api.runs({ limit: 200, offset: 0 })])
      const lastRuns = new Map<string, Run>()
      for (const r of runs.items) if (!lastRuns.has(r.pipelineId)) lastRuns.set(r.pipelineId, r)
      // The list carries no spec: each pipeline's schedule comes from its current version.
      const loaded = await Promise.all(
        items.map(async (pipeline): Promise<Row> => {
          const schedule = outlineOf((await api.get(pipeline.id)).spec).schedule
          const state = schedule ? await api.schedule(pipeline.id).catch(() => undefined) : undefined
          return {
            pipeline,
            schedule,
            nextRun: state?.paused ? undefined : state?.nextRuns[0],
            lastRun: lastRuns.get(pipeline.id),
          }
        }),
      )
      if (!cancelled) setRows(loaded)
    }
    load().catch((err: unknown) => !cancelled && setError(err))
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
          rowKey={(r) => r.pipeline.id}
          empty={
            <EmptyState title="No pipelines yet.">
              {canEdit && <p>Write one in YAML, or compile a notebook into one.</p>}
            </EmptyState>
          }
          columns={[
            {
              header: 'Name',
              cell: (r) => (
                <a href={hrefFor({ page: 'pipeline', workspaceId: workspace.id, pipelineId: r.pipeline.id })}>
                  {r.pipeline.name}
                </a>
              ),
            },
            { header: 'Version', cell: (r) => r.pipeline.currentVersion },
            {
              header: 'Schedule',
              cell: (r) =>
                r.schedule ? (
                  <>
                    <code>{r.schedule.cron}</code> {r.schedule.timezone ?? 'UTC'}
                    {r.pipeline.schedulePaused && <span className="tag">paused</span>}
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
            { header: 'Next run', cell: (r) => (r.nextRun ? formatTime(r.nextRun) : '—') },
          ]}
        />
      )}
    </section>
  )
}
