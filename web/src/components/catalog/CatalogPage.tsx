import { useEffect, useState } from 'react'
import { api } from '../../core/api/client.ts'
import { FACETS, type Facet, type SearchResult, searchPath } from '../../core/catalog/types.ts'
import { hrefFor, redirect } from '../../core/routing/routes.ts'
import { ErrorText } from '../ui/ErrorText.tsx'
import { CatalogSources } from './CatalogSources.tsx'

/** Catalog home: a search box (searching as you type), facet counts to narrow by, and paged results. */
export function CatalogPage({
  workspaceId,
  canDiscover,
  initialQuery = '',
}: {
  workspaceId: string
  canDiscover: boolean
  /** From the URL (`?q=`), so a search can be linked to. */
  initialQuery?: string
}) {
  const [q, setQ] = useState(initialQuery)
  const [filters, setFilters] = useState<Partial<Record<Facet, string[]>>>({})
  const [offset, setOffset] = useState(0)
  const [result, setResult] = useState<SearchResult | undefined>()
  const [error, setError] = useState<unknown>()
  const [discovering, setDiscovering] = useState(false)
  const [version, setVersion] = useState(0)

  useEffect(() => {
    let cancelled = false
    // A short pause so each keystroke does not fire its own request.
    const timer = setTimeout(() => {
      // The search is in the URL (replacing, not one history entry per keystroke).
      if (q !== new URLSearchParams(window.location.search).get('q') && (q || window.location.search))
        redirect({ page: 'catalog', workspaceId, ...(q ? { q } : {}) })
      api<SearchResult>('GET', searchPath(workspaceId, q, filters, offset))
        .then((r) => {
          if (!cancelled) {
            setResult(r)
            setError(undefined)
          }
        })
        .catch((err: unknown) => !cancelled && setError(err))
    }, 150)
    return () => {
      cancelled = true
      clearTimeout(timer)
    }
  }, [workspaceId, q, filters, offset, version])

  const toggle = (facet: Facet, value: string) => {
    setOffset(0)
    setFilters((f) => {
      const current = f[facet] ?? []
      return { ...f, [facet]: current.includes(value) ? current.filter((v) => v !== value) : [...current, value] }
    })
  }

  const discover = async () => {
    setDiscovering(true)
    try {
      const sources = await api<{ id: string }[]>('GET', `/api/workspaces/${workspaceId}/catalog/sources`)
      for (const s of sources) {
        const { runId } = await api<{ runId: string }>(
          'POST',
          `/api/workspaces/${workspaceId}/catalog/sources/${s.id}/discover`,
        )
        for (;;) {
          const run = await api<{ status: string }>('GET', `/api/workspaces/${workspaceId}/catalog/runs/${runId}`)
          if (run.status !== 'running') break
          await new Promise((r) => setTimeout(r, 500))
        }
      }
      setVersion((v) => v + 1)
    } catch (err) {
      setError(err)
    } finally {
      setDiscovering(false)
    }
  }

  const unfiltered = q.trim() === '' && Object.values(filters).every((v) => (v ?? []).length === 0)
  const empty = result !== undefined && result.total === 0 && unfiltered

  return (
    <section className="stack catalog" aria-label="Data catalog">
      <div className="catalog-search">
        <input
          type="search"
          aria-label="Search the catalog"
          placeholder="Search tables, columns, descriptions, tags…"
          value={q}
          onChange={(e) => {
            setQ(e.target.value)
            setOffset(0)
          }}
        />
        {canDiscover && (
          <button type="button" onClick={() => void discover()} disabled={discovering}>
            {discovering ? 'Discovering…' : 'Discover sources'}
          </button>
        )}
      </div>
      <ErrorText error={error} />
      {empty && (
        <div className="catalog-empty" data-testid="catalog-empty">
          <h3>The catalog is empty</h3>
          <p>
            It lists the tables and views of the workspace database and of the connections added to it, and fills
            itself: a table is catalogued as soon as something writes it.
          </p>
          <ul>
            <li>
              <a href={hrefFor({ page: 'files', workspaceId })}>Import a file</a> (CSV, Excel, Parquet…) as a table;
            </li>
            <li>
              create a table from a <a href={hrefFor({ page: 'notebooks', workspaceId })}>notebook</a> SQL cell (
              <code>CREATE TABLE … AS SELECT …</code>) or a pipeline;
            </li>
            <li>
              add a PostgreSQL or MySQL <a href={hrefFor({ page: 'connections', workspaceId })}>connection</a> with “Add
              to catalog”, or add an existing one below.
            </li>
          </ul>
          <p className="muted">
            Personal data (emails, IBANs, card numbers) found in new tables is masked at once, pending review.
          </p>
        </div>
      )}
      <CatalogSources
        workspaceId={workspaceId}
        canAdd={canDiscover}
        version={version}
        onChanged={() => setVersion((v) => v + 1)}
      />
      <div className="catalog-body">
        <aside aria-label="Facets" className="catalog-facets">
          {result &&
            FACETS.map((facet) =>
              result.facets[facet].length === 0 ? null : (
                <fieldset key={facet}>
                  <legend>{facet}</legend>
                  {result.facets[facet].map((f) => (
                    <label key={f.value}>
                      <input
                        type="checkbox"
                        checked={filters[facet]?.includes(f.value) ?? false}
                        onChange={() => toggle(facet, f.value)}
                      />
                      {f.label} <span className="count">{f.count}</span>
                    </label>
                  ))}
                </fieldset>
              ),
            )}
        </aside>
        <div className="catalog-results">
          {result && (
            <p data-testid="catalog-total">
              {result.total}
              {result.totalIsLowerBound ? '+' : ''} result(s)
            </p>
          )}
          <ul>
            {result?.items.map((hit) => (
              <li key={hit.id}>
                <a href={hrefFor({ page: 'catalog', workspaceId, assetId: hit.id })}>
                  {hit.schema}.{hit.name}
                </a>{' '}
                <span className="muted">
                  {hit.kind} · {hit.sourceName}
                  {hit.rowEstimate !== null ? ` · ~${hit.rowEstimate} rows` : ''}
                </span>
                {hit.description && <p>{hit.description}</p>}
                {hit.tags.map((t) => (
                  <span key={t} className="tag">
                    {t}
                  </span>
                ))}
              </li>
            ))}
          </ul>
          {result && (
            <div className="pager">
              <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - 20))}>
                Previous
              </button>
              <button type="button" disabled={offset + 20 >= result.total} onClick={() => setOffset(offset + 20)}>
                Next
              </button>
            </div>
          )}
        </div>
      </div>
    </section>
  )
}
