import { useEffect, useRef, useState } from 'react'
import type { PipelinesApi } from '../../core/pipelines/pipelines-api.ts'
import { followRunLogs } from '../../core/pipelines/run-logs.ts'
import type { LogLine } from '../../core/pipelines/types.ts'

const MAX_LINES = 5000

/**
 * A run's log, streamed over the live websocket (resuming after a dropped connection), scrolled to
 * the newest line unless the reader has scrolled up. `onStatus` hears the run's status changes.
 */
export function RunLogs({
  api,
  runId,
  onStatus,
  onLine,
  step,
  onStep,
}: {
  api: PipelinesApi
  runId: string
  onStatus: (status: string) => void
  /** Each new line (a step progressing): the run page reads the steps again. */
  onLine?: () => void
  /** Only this step's lines ('' = all); the steps table can choose it too. */
  step: string
  onStep: (step: string) => void
}) {
  const [lines, setLines] = useState<LogLine[]>([])
  const [state, setState] = useState<'connecting' | 'live' | 'ended' | 'reconnecting'>('connecting')
  const box = useRef<HTMLDivElement>(null)
  const stick = useRef(true)
  const onStatusRef = useRef(onStatus)
  onStatusRef.current = onStatus
  const onLineRef = useRef(onLine)
  onLineRef.current = onLine

  useEffect(() => {
    setLines([])
    return followRunLogs((after) => api.liveLogsUrl(runId, after), {
      onLine: (line) => {
        setLines((old) => (old.length >= MAX_LINES ? [...old.slice(1), line] : [...old, line]))
        onLineRef.current?.()
      },
      onStatus: (status) => onStatusRef.current(status),
      onState: setState,
    })
  }, [runId])

  useEffect(() => {
    const el = box.current
    if (el && stick.current) el.scrollTop = el.scrollHeight
  }, [lines])

  const shown = step ? lines.filter((l) => l.stepId === step) : lines
  const stepIds = [...new Set(lines.map((l) => l.stepId).filter((s): s is string => !!s))]
  return (
    <section aria-labelledby="logs-heading" className="stack">
      <div className="inline">
        <h3 id="logs-heading">Logs</h3>
        <span className="muted" data-testid="log-state" role="status">
          {state === 'live'
            ? 'live'
            : state === 'ended'
              ? 'complete'
              : state === 'reconnecting'
                ? 'reconnecting…'
                : 'connecting…'}
        </span>
        {(stepIds.length > 1 || step) && (
          <label>
            Step{' '}
            <select value={step} onChange={(e) => onStep(e.target.value)}>
              <option value="">all</option>
              {(stepIds.includes(step) || !step ? stepIds : [...stepIds, step]).map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div
        ref={box}
        className="run-logs"
        data-testid="run-logs"
        role="log"
        aria-label="Run log"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24
        }}
      >
        {shown.length === 0 && <p className="muted">No log lines yet.</p>}
        {shown.map((l) => (
          <div key={l.seq} className={`log-line log-${l.level}`}>
            <time dateTime={l.at}>{new Date(l.at).toLocaleTimeString()}</time>{' '}
            {l.stepId && <span className="log-step">[{l.stepId}]</span>} {l.message}
          </div>
        ))}
      </div>
    </section>
  )
}
