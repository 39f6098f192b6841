import { type FormEvent, useEffect, useState } from 'react'
import { formatTime } from '../../core/pipelines/format.ts'
import type { PipelinesApi } from '../../core/pipelines/pipelines-api.ts'
import { OVERLAP_POLICIES, type ScheduleOutline, withSchedule } from '../../core/pipelines/spec-outline.ts'
import type { ScheduleState } from '../../core/pipelines/types.ts'
import { errorMessage, toast } from '../../core/ui/toasts.ts'
import { ErrorText } from '../ui/ErrorText.tsx'
import { TimeZoneList } from './TimeZoneList.tsx'

interface Props {
  api: PipelinesApi
  pipelineId: string
  /** The current version's YAML: a schedule change saves it with a new `schedule` block as the next version. */
  yaml: string
  schedule: ScheduleOutline | undefined
  canEdit: boolean
  /** The editor holds unsaved changes, which a schedule change (saved from the current version) would drop. */
  dirty: boolean
  onSaved: () => void
}

/**
 * The schedule: cron in a time zone, overlap policy and catch-up window (they live in the YAML, so
 * changing them saves a version), pause and resume, the next fire times; and backfilling a date range.
 */
export function SchedulePanel({ api, pipelineId, yaml, schedule, canEdit, dirty, onSaved }: Props) {
  const [state, setState] = useState<ScheduleState>()
  const [error, setError] = useState<unknown>()
  const [editing, setEditing] = useState(false)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    if (!schedule) return setState(undefined)
    api.schedule(pipelineId).then(setState).catch(setError)
  }, [pipelineId, schedule?.cron, schedule?.timezone, schedule?.overlap, schedule?.catchupWindow])

  const saveSchedule = async (next: ScheduleOutline | undefined) => {
    if (dirty && !window.confirm('The editor has unsaved changes. Save the schedule and discard them?')) return
    setBusy(true)
    setError(undefined)
    try {
      const saved = await api.save(pipelineId, withSchedule(yaml, next))
      toast(`Schedule ${next ? 'saved' : 'removed'} (version ${saved.currentVersion})`, 'success')
      setEditing(false)
      onSaved()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const data = new FormData(e.currentTarget)
    const text = (name: string) => String(data.get(name) ?? '').trim() || undefined
    void saveSchedule({
      cron: text('cron') ?? '',
      timezone: text('timezone'),
      overlap: text('overlap'),
      catchupWindow: text('catchup'),
    })
  }
  const setPaused = async (paused: boolean) => {
    try {
      setState(await api.setPaused(pipelineId, paused))
      toast(paused ? 'Schedule paused' : 'Schedule resumed', 'success')
      onSaved()
    } catch (err) {
      toast(errorMessage(err), 'error')
    }
  }

  return (
    <section aria-labelledby="schedule-heading" className="stack">
      <h3 id="schedule-heading">Schedule</h3>
      {schedule ? (
        <dl className="facts" data-testid="schedule">
          <dt>Cron</dt>
          <dd>
            <code>{schedule.cron}</code> in {schedule.timezone ?? 'UTC'}
          </dd>
          <dt>Overlap</dt>
          <dd>{schedule.overlap ?? 'skip'}</dd>
          <dt>Catch-up window</dt>
          <dd>{schedule.catchupWindow ?? 'default'}</dd>
          <dt>State</dt>
          <dd data-testid="schedule-state">{state ? (state.paused ? 'paused' : 'active') : '…'}</dd>
          <dt>Next runs</dt>
          <dd data-testid="schedule-next-runs">
            {state && !state.paused && state.nextRuns.length > 0
              ? state.nextRuns
                  .slice(0, 3)
                  .map((t) => formatTime(t, schedule.timezone ?? 'UTC'))
                  .join(', ')
              : '—'}
          </dd>
        </dl>
      ) : (
        <p className="muted">Not scheduled: runs start by hand or by backfill.</p>
      )}
      {canEdit && (
        <p className="inline">
          {schedule && state && (
            <button type="button" onClick={() => void setPaused(!state.paused)}>
              {state.paused ? 'Resume schedule' : 'Pause schedule'}
            </button>
          )}
          {!editing && (
            <button type="button" onClick={() => setEditing(true)}>
              {schedule ? 'Edit schedule' : 'Add a schedule'}
            </button>
          )}
          {schedule && !editing && (
            <button type="button" disabled={busy} onClick={() => void saveSchedule(undefined)}>
              Remove schedule
            </button>
          )}
        </p>
      )}
      {canEdit && editing && (
        <form aria-label="Schedule" className="stack" onSubmit={submit}>
          <label>
            Cron expression (five fields, or @daily; several separated by ;)
            <input name="cron" required defaultValue={schedule?.cron ?? '0 6 * * *'} />
          </label>
          <label>
            Time zone
            <input name="timezone" list="schedule-time-zones" defaultValue={schedule?.timezone ?? 'UTC'} />
            <TimeZoneList id="schedule-time-zones" />
          </label>
          <label>
            When a run is due while one is running
            <select name="overlap" defaultValue={schedule?.overlap ?? 'skip'}>
              {OVERLAP_POLICIES.map((o) => (
                <option key={o} value={o}>
                  {o.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </label>
          <label>
            Catch-up window (how late a missed run may still start, e.g. 1h)
            <input name="catchup" defaultValue={schedule?.catchupWindow ?? ''} pattern="(\d+(ms|s|m|h|d))+" />
          </label>
          <p className="inline">
            <button type="submit" disabled={busy}>
              Save schedule
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </p>
        </form>
      )}
      <ErrorText error={error} />
      {canEdit && <BackfillForm api={api} pipelineId={pipelineId} scheduled={!!schedule} onStarted={onSaved} />}
    </section>
  )
}

/** One run per interval of [start, end): intervals of `every`, or between the schedule's fire times. */
function BackfillForm({
  api,
  pipelineId,
  scheduled,
  onStarted,
}: {
  api: PipelinesApi
  pipelineId: string
  scheduled: boolean
  onStarted: () => void
}) {
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const data = new FormData(e.currentTarget)
    const every = String(data.get('every') ?? '').trim()
    setBusy(true)
    setError(undefined)
    try {
      const { runs } = await api.backfill(pipelineId, {
        start: `${String(data.get('start'))}T00:00:00Z`,
        end: `${String(data.get('end'))}T00:00:00Z`,
        ...(every ? { every } : {}),
      })
      toast(`Backfill started ${runs.length} run(s)`, 'success')
      onStarted()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form aria-label="Backfill" className="stack" onSubmit={(e) => void submit(e)}>
      <h4>Backfill</h4>
      <div className="inline">
        <label>
          From <input type="date" name="start" required />
        </label>
        <label>
          Until (exclusive) <input type="date" name="end" required />
        </label>
        <label>
          Every{' '}
          <input
            name="every"
            placeholder={scheduled ? 'the schedule' : '1d'}
            required={!scheduled}
            pattern="(\d+(ms|s|m|h|d))+"
            size={8}
          />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Starting…' : 'Backfill'}
        </button>
      </div>
      <ErrorText error={error} />
    </form>
  )
}
