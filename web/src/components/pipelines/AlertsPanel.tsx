import { type FormEvent, useEffect, useState } from 'react'
import { formatTime } from '../../core/pipelines/format.ts'
import type { PipelinesApi } from '../../core/pipelines/pipelines-api.ts'
import type { Alert, Pipeline } from '../../core/pipelines/types.ts'
import { hrefFor } from '../../core/routing/routes.ts'
import { toast } from '../../core/ui/toasts.ts'
import { ErrorText } from '../ui/ErrorText.tsx'
import { TimeZoneList } from './TimeZoneList.tsx'

/** The SLA, where failure alerts go, and the alerts raised (failures and SLA breaches) with their delivery. */
export function AlertsPanel({
  api,
  pipeline,
  workspaceId,
  canEdit,
  onSaved,
}: {
  api: PipelinesApi
  pipeline: Pipeline
  workspaceId: string
  canEdit: boolean
  onSaved: () => void
}) {
  const [alerts, setAlerts] = useState<Alert[]>()
  const [error, setError] = useState<unknown>()
  const [editing, setEditing] = useState(false)
  useEffect(() => {
    api
      .alerts(pipeline.id)
      .then((r) => setAlerts(r.items))
      .catch(setError)
  }, [pipeline.id, pipeline.updatedAt])
  const sla = pipeline.sla
  return (
    <section aria-labelledby="alerts-heading" className="stack">
      <h3 id="alerts-heading">SLA and alerts</h3>
      <dl className="facts">
        <dt>SLA</dt>
        <dd>
          {sla && (sla.maxDuration || sla.finishBy)
            ? [
                sla.maxDuration ? `runs within ${sla.maxDuration}` : '',
                sla.finishBy ? `succeeded by ${sla.finishBy} ${sla.timezone ?? 'UTC'}` : '',
              ]
                .filter(Boolean)
                .join('; ')
            : 'none'}
        </dd>
        <dt>Failure webhook</dt>
        <dd>
          {pipeline.alertWebhookUrl ? <code>{pipeline.alertWebhookUrl}</code> : 'none'}
          {pipeline.alertSecretSet ? ' (signed)' : ''}
        </dd>
      </dl>
      {canEdit && !editing && (
        <p className="inline">
          <button type="button" onClick={() => setEditing(true)}>
            Edit SLA and alerts
          </button>
        </p>
      )}
      {canEdit && editing && (
        <SettingsForm
          api={api}
          pipeline={pipeline}
          onDone={(saved) => {
            setEditing(false)
            if (saved) onSaved()
          }}
        />
      )}
      <ErrorText error={error} />
      {alerts && alerts.length === 0 && <p className="muted">No alerts raised.</p>}
      {alerts && alerts.length > 0 && (
        <table className="table">
          <caption className="sr-only">Alerts</caption>
          <thead>
            <tr>
              <th>When</th>
              <th>Kind</th>
              <th>Message</th>
              <th>Delivery</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => (
              <tr key={a.id}>
                <td>{formatTime(a.createdAt)}</td>
                <td>{a.kind.replace(/_/g, ' ')}</td>
                <td>
                  {a.runId ? (
                    <a href={hrefFor({ page: 'pipeline-run', workspaceId, runId: a.runId })}>{a.message}</a>
                  ) : (
                    a.message
                  )}
                </td>
                <td>
                  {a.delivery.replace(/_/g, ' ')}
                  {a.lastError ? ` (${a.attempts} attempt(s): ${a.lastError})` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** The webhook failures are POSTed to, its HMAC secret (write-only) and the SLA. */
function SettingsForm({
  api,
  pipeline,
  onDone,
}: {
  api: PipelinesApi
  pipeline: Pipeline
  onDone: (saved: boolean) => void
}) {
  const [error, setError] = useState<unknown>()
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const data = new FormData(e.currentTarget)
    const text = (name: string) => String(data.get(name) ?? '').trim() || undefined
    const secret = text('secret')
    const sla = { maxDuration: text('maxDuration'), finishBy: text('finishBy'), timezone: text('slaTimezone') }
    try {
      await api.updateSettings(pipeline.id, {
        alertWebhookUrl: text('webhook') ?? null,
        ...(secret ? { alertSecret: secret } : data.get('clearSecret') === 'on' ? { alertSecret: null } : {}),
        sla: sla.maxDuration || sla.finishBy ? sla : null,
      })
      toast('Saved the SLA and alerts', 'success')
      onDone(true)
    } catch (err) {
      setError(err)
    }
  }
  const sla = pipeline.sla
  return (
    <form aria-label="SLA and alerts" className="stack" onSubmit={(e) => void submit(e)}>
      <label>
        Failure webhook URL
        <input name="webhook" type="url" defaultValue={pipeline.alertWebhookUrl ?? ''} placeholder="https://…" />
      </label>
      <label>
        Signing secret (at least 16 characters;{' '}
        {pipeline.alertSecretSet ? 'one is set, leave empty to keep it' : 'none set'})
        <input name="secret" type="password" minLength={16} autoComplete="new-password" />
      </label>
      {pipeline.alertSecretSet && (
        <label className="checkbox">
          <input type="checkbox" name="clearSecret" /> Remove the signing secret
        </label>
      )}
      <label>
        Longest acceptable run (e.g. 45m)
        <input name="maxDuration" defaultValue={sla?.maxDuration ?? ''} pattern="(\d+(ms|s|m|h|d))+" />
      </label>
      <label>
        Succeeded by (HH:MM)
        <input name="finishBy" defaultValue={sla?.finishBy ?? ''} pattern="([01]\d|2[0-3]):[0-5]\d" />
      </label>
      <label>
        SLA time zone
        <input name="slaTimezone" defaultValue={sla?.timezone ?? ''} placeholder="UTC" list="sla-time-zones" />
        <TimeZoneList id="sla-time-zones" />
      </label>
      <p className="inline">
        <button type="submit">Save SLA and alerts</button>
        <button type="button" onClick={() => onDone(false)}>
          Cancel
        </button>
      </p>
      <ErrorText error={error} />
    </form>
  )
}
