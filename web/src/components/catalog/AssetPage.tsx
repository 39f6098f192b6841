import { useState } from 'react'
import { api } from '../../core/api/client.ts'
import {
  type AssetDetail,
  type AssetUsage,
  assetSql,
  type ColumnProfile,
  type LineageGraph,
  type Preview,
} from '../../core/catalog/types.ts'
import { hrefFor, redirect } from '../../core/routing/routes.ts'
import { useApiData } from '../../hooks/use-api-data.ts'
import { ErrorText } from '../ui/ErrorText.tsx'
import { Tabs } from '../ui/Tabs.tsx'
import { LineageView } from './LineageView.tsx'
import { OpenInNotebook } from './OpenInNotebook.tsx'

interface Props {
  workspaceId: string
  assetId: string
  canEdit: boolean
  canUnmask: boolean
  /** The open tab, from the URL (`?tab=lineage`). */
  tab?: string
}

const TABS = ['schema', 'preview', 'profile', 'lineage', 'usage', 'history'] as const
type Tab = (typeof TABS)[number]

/** One table or view: schema with types and tags, description, preview, profile, lineage, history, usage. */
export function AssetPage({ workspaceId, assetId, canEdit, canUnmask, tab }: Props) {
  const current: Tab = TABS.find((t) => t === tab) ?? 'schema'
  const openTab = (next: Tab) =>
    redirect({ page: 'catalog', workspaceId, assetId, ...(next === 'schema' ? {} : { tab: next }) })
  const base = `/api/workspaces/${workspaceId}/catalog/assets/${assetId}`
  const asset = useApiData<AssetDetail>(base)
  const history = useApiData<{ change: string; column: string | null; at: string }[]>(`${base}/history`)
  const usage = useApiData<AssetUsage[]>(`${base}/usage`)
  const lineage = useApiData<LineageGraph>(`${base}/lineage?direction=both&depth=3`)
  const [preview, setPreview] = useState<Preview | undefined>()
  const [profile, setProfile] = useState<{ columns: ColumnProfile[]; computedAt: string } | null>(null)
  const [description, setDescription] = useState<string | undefined>()
  const [error, setError] = useState<unknown>()

  const run = async (fn: () => Promise<void>) => {
    try {
      setError(undefined)
      await fn()
    } catch (err) {
      setError(err)
    }
  }
  const loadPreview = (unmask: boolean) =>
    run(async () => setPreview(await api<Preview>('GET', `${base}/preview?limit=20${unmask ? '&unmask=true' : ''}`)))
  const saveDescription = () =>
    run(async () => {
      await api('PATCH', base, { description: description ?? null })
      setDescription(undefined)
      await asset.reload()
    })
  const decide = (column: string, tag: string, status: 'accepted' | 'rejected' | 'removed') =>
    run(async () => {
      await api('POST', `${base}/tags`, { changes: [{ column, tag, status }] })
      await asset.reload()
    })

  if (asset.state.kind === 'loading') return <p aria-busy="true">Loading…</p>
  if (asset.state.kind === 'error') return <ErrorText error={asset.state.error} />
  const a = asset.state.data
  // Findings to review: high-confidence ones (already masked) first, then low-confidence proposals.
  const proposals = [...a.tags.filter((t) => t.status === 'pending'), ...a.tags.filter((t) => t.status === 'proposed')]
  return (
    <article className="stack asset" aria-label={`${a.schema}.${a.name}`}>
      <h1>
        {a.schema}.{a.name} <span className="tag">{a.kind}</span>
        {a.goneAt && <span className="tag">gone from source</span>}
      </h1>
      <p className="muted">
        {a.sourceName} · discovered {new Date(a.discoveredAt).toLocaleString()}
        {a.rowEstimate !== null && ` · ~${a.rowEstimate} rows`}
        {a.owners.length > 0 && ` · owners: ${a.owners.join(', ')}`}
      </p>
      {description === undefined ? (
        <p>
          {a.description ?? a.sourceComment ?? <span className="muted">No description.</span>}{' '}
          {canEdit && (
            <button type="button" className="link" onClick={() => setDescription(a.description ?? '')}>
              Edit description
            </button>
          )}
        </p>
      ) : (
        <div>
          <textarea aria-label="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
          <button type="button" onClick={() => void saveDescription()}>
            Save
          </button>
        </div>
      )}
      <p>
        Query it in a notebook: <code data-testid="asset-sql">{assetSql(a)}</code>{' '}
        <button type="button" className="link" onClick={() => void navigator.clipboard?.writeText(assetSql(a))}>
          Copy
        </button>{' '}
        {canEdit && <OpenInNotebook workspaceId={workspaceId} assetId={assetId} onError={setError} />}
      </p>
      <ErrorText error={error} />
      <Tabs<Tab>
        label="Asset"
        value={current}
        onChange={openTab}
        tabs={[
          {
            value: 'schema',
            label: `Schema (${a.columns.length})`,
            content: (
              <>
                <div className="table-scroll">
                  <table className="table">
                    <thead>
                      <tr>
                        <th>Column</th>
                        <th>Type</th>
                        <th>Null</th>
                        <th>Tags</th>
                        <th>Description</th>
                      </tr>
                    </thead>
                    <tbody>
                      {a.columns.map((c) => (
                        <tr key={c.name}>
                          <td>{c.name}</td>
                          <td>{c.type}</td>
                          <td>{c.nullable ? 'yes' : 'no'}</td>
                          <td>
                            {c.tags.map((t) => (
                              <span key={t} className="tag">
                                {t}
                                {canEdit && (
                                  <button
                                    type="button"
                                    className="tag-remove"
                                    aria-label={`Remove ${t} from ${c.name}`}
                                    title="Remove this tag (audited): the column is no longer masked"
                                    onClick={() => void decide(c.name, t, 'removed')}
                                  >
                                    ×
                                  </button>
                                )}
                              </span>
                            ))}
                            {c.maskedBy
                              .filter((t) => !c.tags.includes(t))
                              .map((t) => (
                                <span
                                  key={t}
                                  className="tag tag-pending"
                                  title="Masked until someone accepts or rejects it"
                                >
                                  {t} · masked, pending review
                                </span>
                              ))}
                          </td>
                          <td>{c.description ?? c.sourceComment ?? ''}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {proposals.length > 0 && (
                  <section aria-label="Proposed tags">
                    <h3>Personal data to review</h3>
                    <ul>
                      {proposals.map((p) => (
                        <li key={`${p.column}:${p.tag}`}>
                          {p.column || '(table)'}: {p.tag}{' '}
                          {p.status === 'pending' ? (
                            <span className="tag tag-pending">masked until reviewed</span>
                          ) : (
                            <span className="tag">proposal, not masked</span>
                          )}{' '}
                          <span className="muted">{p.reason}</span>
                          {canEdit && (
                            <>
                              {' '}
                              <button type="button" onClick={() => void decide(p.column, p.tag, 'accepted')}>
                                Accept
                              </button>
                              <button type="button" onClick={() => void decide(p.column, p.tag, 'rejected')}>
                                Reject
                              </button>
                            </>
                          )}
                        </li>
                      ))}
                    </ul>
                  </section>
                )}
                {canEdit && (
                  <button
                    type="button"
                    onClick={() =>
                      void run(async () => {
                        await api('POST', `${base}/classify`)
                        await asset.reload()
                      })
                    }
                  >
                    Detect personal data
                  </button>
                )}
              </>
            ),
          },
          {
            value: 'preview',
            label: 'Preview',
            content: (
              <>
                <div className="inline">
                  <button type="button" onClick={() => void loadPreview(false)}>
                    Show sample rows
                  </button>
                  {canUnmask && (
                    <button type="button" onClick={() => void loadPreview(true)}>
                      Show unmasked (audited)
                    </button>
                  )}
                </div>
                {preview && (
                  <div className="table-scroll">
                    <table className="table" data-testid="preview">
                      <thead>
                        <tr>
                          {preview.columns.map((c) => (
                            <th key={c.name}>
                              {c.name}
                              {preview.masked.includes(c.name) && <span className="tag">masked</span>}
                            </th>
                          ))}
                        </tr>
                      </thead>
                      <tbody>
                        {preview.rows.map((row, i) => (
                          <tr key={i}>
                            {row.map((v, j) => (
                              <td key={j}>{v === null ? <span className="muted">null</span> : String(v)}</td>
                            ))}
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </>
            ),
          },
          {
            value: 'profile',
            label: 'Profile',
            content: (
              <>
                <button
                  type="button"
                  onClick={() => void run(async () => setProfile(await api('POST', `${base}/profile`)))}
                  disabled={!canEdit}
                >
                  Compute profile
                </button>
                {profile && (
                  <div className="table-scroll">
                    <table className="table">
                      <thead>
                        <tr>
                          <th>Column</th>
                          <th>Nulls</th>
                          <th>Distinct</th>
                          <th>Min</th>
                          <th>Max</th>
                          <th>Mean</th>
                          <th>Top values</th>
                        </tr>
                      </thead>
                      <tbody>
                        {profile.columns.map((c) => (
                          <tr key={c.name}>
                            <td>{c.name}</td>
                            <td>{(c.nullShare * 100).toFixed(1)}%</td>
                            <td>{c.distinct}</td>
                            <td>{c.min}</td>
                            <td>{c.max}</td>
                            <td>{c.mean?.toFixed(2)}</td>
                            <td>{c.topValues.map((t) => `${t.value} (${t.count})`).join(', ')}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </>
            ),
          },
          {
            value: 'lineage',
            label: 'Lineage',
            content: lineage.state.kind === 'loaded' && (
              <LineageView graph={lineage.state.data} workspaceId={workspaceId} />
            ),
          },
          {
            value: 'usage',
            label: 'Usage',
            content: (
              <>
                <ul data-testid="used-by">
                  {usage.state.kind === 'loaded' && usage.state.data.length === 0 && (
                    <li className="muted">No notebook or pipeline has read or written it yet.</li>
                  )}
                  {usage.state.kind === 'loaded' &&
                    usage.state.data.map((u) => (
                      <li key={`${u.kind}:${u.id}:${u.mode}`}>
                        <UsageLink workspaceId={workspaceId} usage={u} /> —{' '}
                        {u.mode === 'write' ? 'writes it' : 'reads it'} ×{u.count}
                      </li>
                    ))}
                </ul>
              </>
            ),
          },
          {
            value: 'history',
            label: 'History',
            content: (
              <ul>
                {history.state.kind === 'loaded' &&
                  history.state.data.map((h, i) => (
                    <li key={i}>
                      {new Date(h.at).toLocaleString()}: {h.change.replace('_', ' ')} {h.column ?? ''}
                    </li>
                  ))}
                {history.state.kind === 'loaded' && history.state.data.length === 0 && (
                  <li className="muted">No schema change seen since discovery.</li>
                )}
              </ul>
            ),
          },
        ]}
      />
    </article>
  )
}

/** A notebook or pipeline of "Used by", by name with a link (a deleted one keeps its kind and a short id). */
function UsageLink({ workspaceId, usage }: { workspaceId: string; usage: AssetUsage }) {
  const label = usage.kind === 'pipeline' ? 'Pipeline' : 'Notebook'
  if (usage.name === null)
    return (
      <span className="muted">
        {label} (deleted, {usage.id.slice(0, 8)})
      </span>
    )
  const href =
    usage.kind === 'pipeline'
      ? hrefFor({ page: 'pipeline', workspaceId, pipelineId: usage.id })
      : hrefFor({ page: 'notebook', workspaceId, notebookId: usage.id })
  return (
    <>
      {label} <a href={href}>{usage.name}</a>
    </>
  )
}
