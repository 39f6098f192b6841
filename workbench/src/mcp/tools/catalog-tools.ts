import { z } from 'zod'
import { RestError, segment } from '../rest-bridge.ts'
import { defineTool, Id, nextOffset, WorkspaceId } from '../tool.ts'

const assets = (workspaceId: string, assetId: string) =>
  `/workspaces/${segment(workspaceId)}/catalog/assets/${segment(assetId)}`

/** Catalog tools: the same search, asset, lineage and masked preview routes the catalog pages call. */
const browseTools = [
  defineTool({
    name: 'search_catalog',
    title: 'Search the catalog',
    description:
      'Find tables and views by name, description, column names and tags. Answers a page of assets with facet counts; page on with offset = nextOffset.',
    writes: false,
    input: z.object({
      workspaceId: WorkspaceId,
      q: z.string().max(500).default('').describe('Words to look for; empty lists everything'),
      kind: z.array(z.string().max(50)).max(10).optional().describe('Asset kinds, e.g. table, view'),
      tag: z.array(z.string().max(100)).max(20).optional().describe('Tags every result carries, e.g. PII.email'),
      schema: z.array(z.string().max(200)).max(20).optional(),
      limit: z.number().int().min(1).max(200).default(20),
      offset: z.number().int().min(0).max(100_000).default(0),
    }),
    run: async ({ workspaceId, q, kind, tag, schema, limit, offset }, { rest, signal }) => {
      const page = await rest.get<{ items: unknown[]; total: number }>(
        `/workspaces/${segment(workspaceId)}/catalog/search`,
        { query: { q, kind, tag, schema, limit, offset }, signal },
      )
      return { ...page, nextOffset: nextOffset(offset, page.items.length, page.total) }
    },
  }),
  defineTool({
    name: 'describe_table',
    title: 'Describe a table',
    description:
      'An asset with its columns (types, descriptions, tags), owners, upstream/downstream lineage and its cached profile (null when never computed).',
    writes: false,
    input: z.object({ workspaceId: WorkspaceId, assetId: Id.describe('From search_catalog') }),
    run: async ({ workspaceId, assetId }, { rest, signal }) => {
      const path = assets(workspaceId, assetId)
      const asset = await rest.get<Record<string, unknown>>(path, { signal })
      const [lineage, profile] = await Promise.all([
        rest.get(`${path}/lineage`, { query: { direction: 'both', depth: 2 }, signal }),
        rest.get(`${path}/profile`, { signal }).catch((err: unknown) => {
          if (err instanceof RestError && err.status === 404) return null
          throw err
        }),
      ])
      return { asset, lineage, profile }
    },
  }),
  defineTool({
    name: 'preview_table',
    title: 'Preview a table',
    description:
      'Sample rows of an asset. Columns tagged as personal data are masked unless the caller may unmask (as in the catalog page).',
    writes: false,
    input: z.object({
      workspaceId: WorkspaceId,
      assetId: Id,
      limit: z.number().int().min(1).max(1000).default(50),
      mode: z.enum(['first', 'random']).default('first'),
    }),
    run: ({ workspaceId, assetId, limit, mode }, { rest, signal }) =>
      rest.get(`${assets(workspaceId, assetId)}/preview`, { query: { limit, mode }, signal }),
  }),
]

interface ColumnProfileAnswer {
  name: string
  type: string
  rows: number
  nullShare: number
  distinct: number
  distinctApproximate: boolean
  min: string | null
  max: string | null
}

/** Statistics of a table: from a profile computed now (editors), or the cached one (anyone who reads). */
const tableStats = defineTool({
  name: 'table_stats',
  title: 'Table statistics',
  description:
    'Row count, columns and per-column nulls, distinct values, min and max of a catalogued table (a file import, or any table of the workspace DuckDB), computed by its source and masked as profiles are (personal data never appears). Editors get fresh numbers; others the last computed ones (computedAt; null when never computed).',
  writes: false,
  input: z.object({ workspaceId: WorkspaceId, assetId: Id.describe('From search_catalog or list_tables') }),
  run: async ({ workspaceId, assetId }, { rest, signal }) => {
    const path = assets(workspaceId, assetId)
    const asset = await rest.get<{ schema: string; name: string }>(path, { signal })
    const profile = await rest
      .post<{ columns: ColumnProfileAnswer[]; computedAt: string }>(`${path}/profile`, { body: {}, signal })
      .catch(async (err: unknown) => {
        // Computing (and caching) a profile is an editor's action: a reader gets the cached one.
        if (err instanceof RestError && err.status === 403)
          return rest.get<{ columns: ColumnProfileAnswer[]; computedAt: string } | null>(`${path}/profile`, {
            signal,
          })
        throw err
      })
    if (!profile) return { schema: asset.schema, name: asset.name, rows: null, columns: [], computedAt: null }
    return {
      schema: asset.schema,
      name: asset.name,
      rows: profile.columns[0]?.rows ?? 0,
      computedAt: profile.computedAt,
      columns: profile.columns.map((c) => ({
        name: c.name,
        type: c.type,
        nulls: Math.round(c.nullShare * c.rows),
        nullShare: c.nullShare,
        distinct: c.distinct,
        distinctApproximate: c.distinctApproximate,
        min: c.min,
        max: c.max,
      })),
    }
  },
})

/** Catalog tools: search, describe, preview and the statistics of a table. */
export const catalogTools = [...browseTools, tableStats]
