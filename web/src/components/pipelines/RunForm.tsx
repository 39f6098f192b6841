import { type FormEvent, useState } from 'react'
import type { PipelinesApi } from '../../core/pipelines/pipelines-api.ts'
import type { ParamOutline } from '../../core/pipelines/spec-outline.ts'
import { navigate } from '../../core/routing/routes.ts'
import { ErrorText } from '../ui/ErrorText.tsx'

const inputType = (p: ParamOutline) =>
  p.type === 'integer' || p.type === 'number'
    ? 'number'
    : p.type === 'date'
      ? 'date'
      : p.type === 'datetime'
        ? 'datetime-local'
        : 'text'

/** The typed value of one field, or undefined when it is left empty. */
function fieldValue(p: ParamOutline, data: FormData): unknown {
  if (p.type === 'boolean') return data.get(p.name) === 'on'
  const raw = String(data.get(p.name) ?? '')
  if (raw === '') return undefined
  if (p.type === 'integer' || p.type === 'number') return Number(raw)
  return raw
}

/**
 * Starts a run now: one field per declared parameter (typed, prefilled with its default); only values
 * that differ from the default are sent as overrides. Opens the run once it has started.
 */
export function RunForm({
  api,
  workspaceId,
  pipelineId,
  params,
}: {
  api: PipelinesApi
  workspaceId: string
  pipelineId: string
  params: ParamOutline[]
}) {
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const data = new FormData(e.currentTarget)
    const overrides: Record<string, unknown> = {}
    for (const p of params) {
      const value = fieldValue(p, data)
      if (value !== undefined && value !== p.default) overrides[p.name] = value
    }
    setBusy(true)
    setError(undefined)
    try {
      const run = await api.trigger(pipelineId, overrides)
      navigate({ page: 'pipeline-run', workspaceId, runId: run.id })
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form aria-label="Run the pipeline" className="stack" onSubmit={(e) => void submit(e)}>
      {params.length > 0 && (
        <fieldset className="params">
          <legend>Parameters</legend>
          {params.map((p) =>
            p.type === 'boolean' ? (
              <label key={p.name} className="checkbox">
                <input type="checkbox" name={p.name} defaultChecked={p.default === true} /> {p.name}
              </label>
            ) : (
              <label key={p.name}>
                {p.name} <span className="muted">({p.type})</span>
                <input
                  type={inputType(p)}
                  name={p.name}
                  step={p.type === 'integer' ? 1 : p.type === 'number' ? 'any' : undefined}
                  defaultValue={p.default === undefined ? '' : String(p.default)}
                  required={p.default === undefined}
                  aria-describedby={p.description ? `param-${p.name}-help` : undefined}
                />
                {p.description && (
                  <span id={`param-${p.name}-help`} className="muted">
                    {p.description}
                  </span>
                )}
              </label>
            ),
          )}
        </fieldset>
      )}
      <p className="inline">
        <button type="submit" disabled={busy}>
          {busy ? 'Starting…' : 'Run now'}
        </button>
      </p>
      <ErrorText error={error} />
    </form>
  )
}
