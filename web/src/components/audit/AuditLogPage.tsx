import { type FormEvent, useCallback, useEffect, useState } from 'react'
import { ApiError, api } from '../../core/api/client.ts'
import type { AuditActions, AuditEvent, AuditPage } from '../../core/auth/types.ts'
import { useApiData } from '../../hooks/use-api-data.ts'
import { type Column, DataTable } from '../ui/DataTable.tsx'
import { ErrorText } from '../ui/ErrorText.tsx'
import { MorePager } from '../ui/Pager.tsx'

const AUDIT_COLUMNS: Column<AuditEvent>[] = [
  {
    header: 'Time',
    cell: (e) => new Date(e.occurredAt).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }),
  },
  { header: 'Actor', cell: (e) => e.actorEmail ?? '—' },
  {
    header: 'Action',
    cell: (e) => (
      <>
        {e.action} <small className={`tag audit-${e.category}`}>{e.category}</small>
      </>
    ),
  },
  { header: 'Resource', cell: (e) => <Resource event={e} /> },
  { header: 'Outcome', cell: (e) => `${e.outcome} ${e.status ?? ''}`.trim() },
  { header: 'IP', cell: (e) => e.ip },
]

/** The resource by name with a link to its page; the raw path (in the title) when it has no name. */
function Resource({ event }: { event: AuditEvent }) {
  const target = event.target
  if (target?.name && target.link)
    return (
      <a href={target.link} title={event.resource ?? undefined} data-testid="audit-resource">
        {target.kind === 'run' || target.kind === 'member' ? '' : `${target.kind} `}
        {target.name}
      </a>
    )
  if (target) return <span title={event.resource ?? undefined}>{target.kind} (deleted)</span>
  return <code className="audit-path">{event.resource}</code>
}

interface Filters {
  action: string
  category: string
  outcome: string
  from: string
  to: string
}

const EMPTY: Filters = { action: '', category: '', outcome: '', from: '', to: '' }

/** Query string for the audit API; date inputs are local days, sent as instants. */
function filterQuery(f: Filters): URLSearchParams {
  const q = new URLSearchParams()
  if (f.action) q.set('action', f.action)
  if (f.category) q.set('category', f.category)
  if (f.outcome) q.set('outcome', f.outcome)
  if (f.from) q.set('from', new Date(`${f.from}T00:00:00`).toISOString())
  if (f.to) q.set('to', new Date(`${f.to}T23:59:59.999`).toISOString())
  return q
}

/**
 * An audit log, newest first, with filters, paging and CSV export: a workspace's (`/api/workspaces/{id}/audit`,
 * workspace admins) or the whole instance's (`/api/admin/audit`, instance admins).
 */
export function AuditLogPage({ endpoint, title = 'Audit log' }: { endpoint: string; title?: string }) {
  const [filters, setFilters] = useState<Filters>(EMPTY)
  const [events, setEvents] = useState<AuditEvent[]>([])
  const [nextBefore, setNextBefore] = useState<string | null>(null)
  const [error, setError] = useState<ApiError>()
  const base = endpoint
  const actions = useApiData<AuditActions>(`${endpoint}/actions`)
  const known = actions.state.kind === 'loaded' ? actions.state.data.actions : []
  // The filter offers each action, and each prefix (`notebooks.*`) its actions share.
  const prefixes = [...new Set(known.map((a) => `${a.action.split('.')[0]}.*`))]

  const load = useCallback(
    async (f: Filters, before?: string) => {
      const q = filterQuery(f)
      q.set('limit', '50')
      if (before) q.set('before', before)
      try {
        const page = await api<AuditPage>('GET', `${base}?${q}`)
        setEvents((prev) => (before ? [...prev, ...page.events] : page.events))
        setNextBefore(page.nextBefore)
        setError(undefined)
      } catch (err) {
        if (err instanceof ApiError) setError(err)
      }
    },
    [base],
  )
  useEffect(() => {
    void load(EMPTY)
  }, [load])

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const next = {
      action: String(form.get('action') ?? ''),
      category: String(form.get('category') ?? ''),
      outcome: String(form.get('outcome') ?? ''),
      from: String(form.get('from') ?? ''),
      to: String(form.get('to') ?? ''),
    }
    setFilters(next)
    void load(next)
  }

  return (
    <section className="panel audit-log" aria-labelledby="audit-heading">
      <h2 id="audit-heading">{title}</h2>
      <form onSubmit={apply} className="inline" aria-label="Audit filters">
        <select name="category" aria-label="Category" defaultValue="">
          <option value="">every category</option>
          <option value="change">changes</option>
          <option value="data">data access</option>
          <option value="auth">sign-ins</option>
          <option value="denied">refused</option>
        </select>
        <input
          name="action"
          aria-label="Action"
          placeholder="action or prefix, e.g. notebooks.*"
          list="audit-actions"
          autoComplete="off"
        />
        <datalist id="audit-actions">
          {prefixes.map((p) => (
            <option key={p} value={p} />
          ))}
          {known.map((a) => (
            <option key={a.action} value={a.action}>
              {a.category}
            </option>
          ))}
        </datalist>
        <select name="outcome" aria-label="Outcome" defaultValue="">
          <option value="">any outcome</option>
          <option value="success">success</option>
          <option value="failure">failure</option>
          <option value="denied">denied</option>
        </select>
        <input name="from" type="date" aria-label="From" />
        <input name="to" type="date" aria-label="To" />
        <button type="submit">Filter</button>
        <a href={`${base}.csv?${filterQuery(filters)}`} download>
          Export CSV
        </a>
      </form>
      <ErrorText error={error} />
      <DataTable
        testId="audit-events"
        columns={AUDIT_COLUMNS}
        rows={events}
        rowKey={(e) => e.id}
        rowProps={(e) => ({ 'data-action': e.action, 'data-outcome': e.outcome, 'data-category': e.category })}
      />
      <MorePager
        hasMore={nextBefore !== null}
        onMore={() => void load(filters, nextBefore ?? undefined)}
        label="Older events"
      />
    </section>
  )
}
