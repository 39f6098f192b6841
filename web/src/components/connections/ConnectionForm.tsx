import { type FormEvent, useRef, useState } from 'react'
import { ApiError, api } from '../../core/api/client.ts'
import {
  type Connection,
  type ConnectionTypeInfo,
  formFields,
  paramsFromForm,
  type TestResult,
} from '../../core/connections/types.ts'
import { errorMessage, toast } from '../../core/ui/toasts.ts'
import { ErrorText } from '../ui/ErrorText.tsx'

/**
 * Create or edit a connection with a form generated from its type's schema. "Test" tries the
 * parameters without saving; a failed save shows the precise error and offers "Save anyway".
 */
export function ConnectionForm({
  workspaceId,
  type,
  existing,
  canMakeWritable,
  onSaved,
  onCancel,
}: {
  workspaceId: string
  type: ConnectionTypeInfo
  existing?: Connection
  canMakeWritable: boolean
  onSaved: () => void
  onCancel: () => void
}) {
  const fields = formFields(type)
  const formRef = useRef<HTMLFormElement>(null)
  const [test, setTest] = useState<TestResult>()
  const [error, setError] = useState<unknown>()
  const [failedSave, setFailedSave] = useState(false)
  const [busy, setBusy] = useState(false)
  const base = `/api/workspaces/${workspaceId}/connections`

  const read = () => {
    const form = new FormData(formRef.current ?? undefined)
    return {
      name: String(form.get('connection-name') ?? ''),
      params: paramsFromForm(fields, form),
      writable: form.get('writable') === 'on',
      addToCatalog: form.get('add-to-catalog') === 'on',
    }
  }

  const runTest = async () => {
    setBusy(true)
    setError(undefined)
    setTest(undefined)
    try {
      const { params } = read()
      setTest(
        existing
          ? await api<TestResult>('POST', `${base}/${existing.id}/test`, { params })
          : await api<TestResult>('POST', `${base}/test`, { type: type.id, params }),
      )
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  const save = async (saveAnyway: boolean) => {
    setBusy(true)
    setError(undefined)
    try {
      const { name, params, writable, addToCatalog } = read()
      const writableChange = canMakeWritable ? { writable } : {}
      if (existing) await api('PATCH', `${base}/${existing.id}`, { name, params, ...writableChange, saveAnyway })
      else {
        const created = await api<{ connection: Connection }>('POST', base, {
          name,
          type: type.id,
          params,
          ...writableChange,
          saveAnyway,
        })
        // The catalog discovers it at once; the connection is saved whatever happens there.
        if (addToCatalog)
          await api('POST', `/api/workspaces/${workspaceId}/catalog/sources`, {
            name,
            connectionId: created.connection.id,
          }).catch((err: unknown) => toast(`Saved, but not added to the catalog: ${errorMessage(err)}`, 'error'))
      }
      onSaved()
    } catch (err) {
      setError(err)
      setFailedSave(err instanceof ApiError && err.status === 422)
    } finally {
      setBusy(false)
    }
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    void save(false)
  }

  return (
    <form ref={formRef} className="panel stack" onSubmit={submit} aria-label="Connection">
      <h3>{existing ? `Edit ${existing.name}` : `New ${type.label} connection`}</h3>
      <label>
        Connection name
        <input name="connection-name" required maxLength={100} defaultValue={existing?.name ?? ''} />
      </label>
      {fields.map((f) => {
        const current = existing?.params[f.name]
        const initial = current === undefined ? f.defaultValue : String(current)
        const secretState = existing?.secrets[f.name]
        const id = `connection-field-${f.name}`
        return (
          <div key={f.name} className="field">
            <label htmlFor={id}>
              {f.label}
              {f.kind === 'password' && existing && (
                <span className="muted" data-testid={`secret-${f.name}`}>
                  {' '}
                  (
                  {secretState === 'set'
                    ? 'set; leave empty to keep, give it again when the host, port, user, database or TLS change'
                    : 'not set'}
                  )
                </span>
              )}
            </label>
            {f.kind === 'select' ? (
              <select id={id} name={f.name} defaultValue={initial}>
                {f.options.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : f.kind === 'textarea' ? (
              <textarea id={id} name={f.name} rows={3} defaultValue={initial} />
            ) : (
              <input
                id={id}
                name={f.name}
                type={f.kind === 'password' ? 'password' : f.kind === 'number' ? 'number' : 'text'}
                autoComplete={f.kind === 'password' ? 'new-password' : 'off'}
                required={f.required && !(f.kind === 'password' && existing)}
                defaultValue={f.kind === 'password' ? '' : initial}
              />
            )}
            {f.help && <small className="muted">{f.help}</small>}
          </div>
        )
      })}
      {canMakeWritable && (
        <label className="checkbox">
          <input type="checkbox" name="writable" defaultChecked={existing?.writable ?? false} /> Writable (SQL cells may
          change data)
        </label>
      )}
      {!existing && (
        <label className="checkbox">
          <input type="checkbox" name="add-to-catalog" defaultChecked /> Add to catalog (its tables become searchable,
          with personal data masked)
        </label>
      )}
      <div className="inline">
        <button type="button" onClick={() => void runTest()} disabled={busy}>
          Test connection
        </button>
        <button type="submit" disabled={busy}>
          Save
        </button>
        {failedSave && (
          <button type="button" disabled={busy} onClick={() => void save(true)}>
            Save anyway
          </button>
        )}
        <button type="button" className="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {test?.ok && (
        <p role="status" className="status-up" data-testid="test-result">
          Connected: {test.serverVersion} ({test.durationMs} ms)
        </p>
      )}
      {test && !test.ok && (
        <p role="alert" className="status-down" data-testid="test-result" data-code={test.error?.code}>
          {test.error?.code}: {test.error?.message}
        </p>
      )}
      <ErrorText error={error} />
    </form>
  )
}
