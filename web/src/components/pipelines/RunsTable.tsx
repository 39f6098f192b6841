import { useEffect, useState } from 'react'
import { formatDuration, formatTime, statusLabel } from '../../core/pipelines/format.ts'
import type { PipelinesApi } from '../../core/pipelines/pipelines-api.ts'
import type { Run } from '../../core/pipelines/types.ts'
import { hrefFor } from '../../core/routing/routes.ts'
import { DataTable } from '../ui/DataTable.tsx'
import { EmptyState } from '../ui/EmptyState.tsx'
import { ErrorText } from '../ui/ErrorText.tsx'
import { Pager } from '../ui/Pager.tsx'

const LIMIT = 20

/** A pipeline's run history, newest first, paged; `refreshKey` reloads it (after a run or backfill). */
export function RunsTable({
  api,
  workspaceId,
  pipelineId,
  refreshKey,
  onRuns,
}: {
  api: PipelinesApi
  workspaceId: string
  pipelineId: string
  refreshKey: number
  onRuns?: (runs: Run[]) => void
}) {
  const [offset, setOffset] = useState(0)
  const [page, setPage] = useState<{ items: Run[]; total: number }>()
  const [error, setError] = useState<unknown>()
  useEffect(() => {
    let cancelled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const load = async () => {
      try {
        const next = await api.runs({ pipelineId, limit: LIMIT, offset })
        if (cancelled) return
        setPage(next)
        onRuns?.(next.items)
        // While a run is going, follow it here too.
        if (next.items.some((r) => r.status === 'queued' || r.status === 'running')) timer = setTimeout(load, 2000)
      } catch (err) {
        if (!cancelled) setError(err)
      }
    }
    void load()
    return () => {
      cancelled = true
      clearTimeout(timer)
    }
  }, [pipelineId, offset, refreshKey])
  return (
    <section aria-labelledby="runs-heading" className="stack">
      <h3 id="runs-heading">Runs</h3>
      <ErrorText error={error} />
      {page && (
        <>
          <DataTable
            testId="runs"
            caption="Runs"
            rows={page.items}
            rowKey={(r) => r.id}
            rowProps={(r) => ({ 'data-status': r.status })}
            empty={<EmptyState title="No runs yet." />}
            columns={[
              {
                header: 'Status',
                cell: (r) => (
                  <a href={hrefFor({ page: 'pipeline-run', workspaceId, runId: r.id })}>
                    <span className={`run-status status-${r.status}`}>{statusLabel(r.status)}</span>
                  </a>
                ),
              },
              { header: 'Version', cell: (r) => r.version },
              { header: 'Trigger', cell: (r) => r.trigger },
              { header: 'Started', cell: (r) => formatTime(r.startedAt ?? r.createdAt) },
              { header: 'Duration', cell: (r) => formatDuration(r.durationMs) },
            ]}
          />
          <Pager offset={offset} limit={LIMIT} total={page.total} onChange={setOffset} label="Run pages" />
        </>
      )}
    </section>
  )
}
