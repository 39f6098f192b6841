import { useEffect, useState } from 'react'
import { formatTime } from '../../core/pipelines/format.ts'
import type { PipelinesApi } from '../../core/pipelines/pipelines-api.ts'
import type { Alert, Pipeline } from '../../core/pipelines/types.ts'
import { hrefFor } from '../../core/routing/hash-route.ts'
import { ErrorText } from '../ui/ErrorText.tsx'

/** The SLA, where failure alerts go, and the alerts raised (failures and SLA breaches) with their delivery. */
export function AlertsPanel({
  api,
  pipeline,
  workspaceId,
}: {
  api: PipelinesApi
  pipeline: Pipeline
  workspaceId: string
}) {
  const [alerts, setAlerts] = useState<Alert[]>()
  const [error, setError] = useState<unknown>()
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
