import './pipelines.css'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { roleAtLeast, type Workspace } from '../../core/auth/types.ts'
import { formatDuration, formatTime, statusLabel } from '../../core/pipelines/format.ts'
import { pipelinesApi } from '../../core/pipelines/pipelines-api.ts'
import { outlineOf, type SpecOutline } from '../../core/pipelines/spec-outline.ts'
import { FINISHED_STATUSES, type RunDetail, type StepRun } from '../../core/pipelines/types.ts'
import { hrefFor, navigate } from '../../core/routing/routes.ts'
import { errorMessage, toast } from '../../core/ui/toasts.ts'
import { ErrorText } from '../ui/ErrorText.tsx'
import { Skeleton } from '../ui/Skeleton.tsx'
import { PipelineDag } from './PipelineDag.tsx'
import { RunLogs } from './RunLogs.tsx'
import { StepArtifacts } from './StepArtifacts.tsx'

/**
 * One run: its status, parameters and each step's status, attempts, times, error and artifacts, the
 * step graph coloured as it goes, the live log; cancel while it runs, re-run from the failed step after.
 */
export default function RunPage({ workspace, runId }: { workspace: Workspace; runId: string }) {
  const api = pipelinesApi(workspace.id)
  const canEdit = roleAtLeast(workspace.role, 'editor')
  const [run, setRun] = useState<RunDetail>()
  const [outline, setOutline] = useState<SpecOutline>()
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const [tick, setTick] = useState(0)
  const [logStep, setLogStep] = useState('')

  const load = useCallback(async () => {
    try {
      setRun(await api.run(runId))
    } catch (err) {
      setError(err)
    }
  }, [workspace.id, runId])

  // No polling: the run's live log socket says when something changed (a status, a step's log line), and the
  // run is read again then, at most once a second.
  const finished = run ? FINISHED_STATUSES.includes(run.status) : false
  useEffect(() => {
    void load()
  }, [load, tick])
  const lastLoad = useRef(0)
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const onActivity = useCallback(() => {
    if (pending.current) return
    const wait = Math.max(0, lastLoad.current + 1000 - Date.now())
    pending.current = setTimeout(() => {
      pending.current = undefined
      lastLoad.current = Date.now()
      void load()
    }, wait)
  }, [load])
  useEffect(() => () => clearTimeout(pending.current), [])

  const version = run ? `${run.pipelineId}@${run.version}` : undefined
  useEffect(() => {
    if (!run) return
    api
      .version(run.pipelineId, run.version)
      .then((v) => setOutline(outlineOf(v.spec)))
      .catch(() => setOutline(undefined))
  }, [version])

  const statuses = useMemo(() => new Map(run?.steps.map((s) => [s.stepId, s.status]) ?? []), [run])
  if (error) return <ErrorText error={error} />
  if (!run) return <Skeleton lines={6} label="Loading the run" />

  // Steps of the spec that have no record yet are shown as pending, in the spec's order.
  const rows: StepRun[] = [
    ...(outline?.steps ?? [])
      .filter((s) => !statuses.has(s.id))
      .map((s) => ({
        stepId: s.id,
        status: 'pending',
        attempts: 0,
        startedAt: null,
        endedAt: null,
        durationMs: null,
        error: null,
        reason: null,
        output: null,
        artifacts: [],
      })),
    ...run.steps,
  ]
  const order = new Map((outline?.steps ?? []).map((s, i) => [s.id, i]))
  rows.sort((a, b) => (order.get(a.stepId) ?? 1e9) - (order.get(b.stepId) ?? 1e9))

  const act = async (what: 'cancel' | 'rerun') => {
    setBusy(true)
    try {
      if (what === 'cancel') {
        await api.cancel(run.id)
        toast('Cancellation requested', 'info')
        setTick((t) => t + 1)
      } else {
        const next = await api.rerun(run.id)
        navigate({ page: 'pipeline-run', workspaceId: workspace.id, runId: next.id })
      }
    } catch (err) {
      toast(errorMessage(err), 'error')
    } finally {
      setBusy(false)
    }
  }
  const canRerun = ['failed', 'timed_out', 'cancelled'].includes(run.status)

  return (
    <section className="panel stack pipeline-page" aria-labelledby="run-heading">
      <p>
        <a href={hrefFor({ page: 'pipeline', workspaceId: workspace.id, pipelineId: run.pipelineId })}>
          ← {outline?.name || 'Pipeline'}
        </a>
      </p>
      <div className="inline spread">
        <h2 id="run-heading">
          Run of {outline?.name || 'the pipeline'}:{' '}
          <span className={`run-status status-${run.status}`} data-testid="run-status">
            {statusLabel(run.status)}
          </span>
        </h2>
        {canEdit && !finished && (
          <button type="button" disabled={busy} onClick={() => void act('cancel')}>
            Cancel run
          </button>
        )}
        {canEdit && canRerun && (
          <button type="button" disabled={busy} onClick={() => void act('rerun')}>
            Re-run from failed step
          </button>
        )}
      </div>
      <div className="pipeline-columns">
        <div className="stack">
          <dl className="facts">
            <dt>Version</dt>
            <dd>{run.version}</dd>
            <dt>Trigger</dt>
            <dd>
              {run.trigger}
              {run.rerunOf && (
                <>
                  {' '}
                  of{' '}
                  <a href={hrefFor({ page: 'pipeline-run', workspaceId: workspace.id, runId: run.rerunOf })}>
                    an earlier run
                  </a>
                </>
              )}
            </dd>
            <dt>Started</dt>
            <dd>{formatTime(run.startedAt ?? run.createdAt)}</dd>
            <dt>Ended</dt>
            <dd>{formatTime(run.endedAt)}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(run.durationMs)}</dd>
            <dt>Parameters</dt>
            <dd>
              {Object.keys(run.params).length === 0 ? (
                'none'
              ) : (
                <code>
                  {Object.entries(run.params)
                    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
                    .join(', ')}
                </code>
              )}
            </dd>
          </dl>
          {run.error && (
            <p className="status-down" role="alert">
              {run.error}
            </p>
          )}
        </div>
        <section aria-labelledby="run-graph-heading" className="stack">
          <h3 id="run-graph-heading">Graph</h3>
          {outline ? (
            <PipelineDag steps={outline.steps} statuses={statuses} label="Steps of this run" />
          ) : (
            <p className="muted">Loading the steps…</p>
          )}
        </section>
      </div>
      <section aria-labelledby="run-steps-heading" className="stack">
        <h3 id="run-steps-heading">Steps</h3>
        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard */}
        <section className="table-scroll" aria-label="Steps of this run" tabIndex={0}>
          <table className="table" data-testid="run-steps">
            <caption className="sr-only">Steps of this run</caption>
            <thead>
              <tr>
                <th>Step</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>Start</th>
                <th>End</th>
                <th>Duration</th>
                <th>Error</th>
                <th>Artifacts</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.stepId} data-step={s.stepId} data-status={s.status}>
                  <td>
                    <button
                      type="button"
                      className="link"
                      aria-label={`Show the log of ${s.stepId}`}
                      aria-pressed={logStep === s.stepId}
                      onClick={() => setLogStep(logStep === s.stepId ? '' : s.stepId)}
                    >
                      {s.stepId}
                    </button>
                  </td>
                  <td>
                    <span className={`run-status status-${s.status}`}>{statusLabel(s.status)}</span>
                  </td>
                  <td>{s.attempts}</td>
                  <td>{formatTime(s.startedAt)}</td>
                  <td>{formatTime(s.endedAt)}</td>
                  <td>{formatDuration(s.durationMs)}</td>
                  <td className="step-error">
                    {s.error}
                    {s.reason ? <span className="muted"> {s.reason}</span> : null}
                  </td>
                  <td>
                    <StepArtifacts api={api} runId={run.id} step={s} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </section>
      <RunLogs api={api} runId={run.id} onStatus={onActivity} onLine={onActivity} step={logStep} onStep={setLogStep} />
    </section>
  )
}
