import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { getRun, listSources, searchAssets, suggestAssets } from '@workbench/catalog'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { CatalogService } from '../catalog/catalog-service.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError, requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import { catalogAssetRoutes } from './catalog-assets.ts'
import {
  body,
  Described,
  errors,
  json,
  LineageIngest,
  Many,
  many,
  RunParams,
  SearchResult,
  SourceParams,
  WorkspaceParam,
} from './catalog-schemas.ts'

const base = '/workspaces/{workspaceId}/catalog'

const searchRoute = createRoute({
  method: 'get',
  path: `${base}/search`,
  tags: ['catalog'],
  summary: 'Search tables and views by name, description, column names and tags, with facet counts',
  request: {
    params: WorkspaceParam,
    query: z.object({
      q: z.string().max(500).default(''),
      source: Many,
      kind: Many,
      schema: Many,
      tag: Many,
      owner: Many,
      includeGone: z.enum(['true', 'false']).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(20),
      offset: z.coerce.number().int().min(0).max(100_000).default(0),
    }),
  },
  responses: { 200: json(SearchResult, 'A page of results with facets'), ...errors },
})

const suggestRoute = createRoute({
  method: 'get',
  path: `${base}/suggest`,
  tags: ['catalog'],
  summary: 'Search as you type: a few matching names',
  request: {
    params: WorkspaceParam,
    query: z.object({ q: z.string().max(200).default(''), limit: z.coerce.number().int().min(1).max(50).default(8) }),
  },
  responses: {
    200: json(z.array(z.object({ id: z.string(), schema: z.string(), name: z.string(), kind: z.string() })), 'Names'),
    ...errors,
  },
})

const sourcesRoute = createRoute({
  method: 'get',
  path: `${base}/sources`,
  tags: ['catalog'],
  summary: 'Catalogued sources (the workspace DuckDB is always one) with their latest discovery run',
  request: { params: WorkspaceParam },
  responses: { 200: json(Described('CatalogSources'), 'Sources'), ...errors },
})

const addSourceRoute = createRoute({
  method: 'post',
  path: `${base}/sources`,
  tags: ['catalog'],
  summary: 'Catalogue a connection (PostgreSQL, MySQL…) as a source',
  request: {
    params: WorkspaceParam,
    body: body(z.object({ name: z.string().trim().min(1).max(200), connectionId: z.string().min(1).max(200) })),
  },
  responses: {
    201: json(
      z.object({ id: z.string(), runId: z.string().nullable() }),
      'The source, and its first discovery run (null when the connection cannot be read now)',
    ),
    ...errors,
  },
})

const workspaceTablesRoute = createRoute({
  method: 'get',
  path: `${base}/workspace-tables`,
  tags: ['catalog'],
  summary:
    "The workspace DuckDB's tables and views with their columns, live (for SQL autocomplete; internal tables hidden)",
  request: { params: WorkspaceParam },
  responses: {
    200: json(
      z.object({
        tables: z.array(
          z.object({
            schema: z.string(),
            name: z.string(),
            kind: z.enum(['table', 'view']),
            columns: z.array(z.object({ name: z.string(), type: z.string() })),
          }),
        ),
      }),
      'Tables',
    ),
    ...errors,
  },
})

const discoverRoute = createRoute({
  method: 'post',
  path: `${base}/sources/{sourceId}/discover`,
  tags: ['catalog'],
  summary: 'Start discovery of a source; poll the run for progress',
  request: { params: SourceParams },
  responses: { 202: json(z.object({ runId: z.string() }), 'Discovery started'), ...errors },
})

const runRoute = createRoute({
  method: 'get',
  path: `${base}/runs/{runId}`,
  tags: ['catalog'],
  summary: 'A discovery run: status, tables seen, failed and gone, per-object errors',
  request: { params: RunParams },
  responses: { 200: json(Described('CatalogDiscoveryRun'), 'The run'), ...errors },
})

const lineageIngestRoute = createRoute({
  method: 'post',
  path: `${base}/lineage`,
  tags: ['catalog'],
  summary: 'Record lineage from SQL run by a notebook or pipeline (bad SQL gives notes, not errors)',
  request: { params: WorkspaceParam, body: body(LineageIngest) },
  responses: { 200: json(Described('CatalogExtractedLineage'), 'Edges and notes per statement'), ...errors },
})

/**
 * The data catalog API. Viewers search and read (previews are masked), editors describe and tag assets and
 * record lineage, admins add sources, start discovery and may read unmasked previews (audited).
 */
export function catalogRoutes(identity: Identity, service: () => CatalogService | undefined) {
  const ready = requireStarted(service, 'catalog_unavailable', 'The catalog is still starting')
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(
      { ...searchRoute, middleware: [authorize(identity, can.workspace('viewer'), 'catalog.search')] },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        const q = c.req.valid('query')
        const result = await searchAssets(ready().search, {
          workspaceId,
          q: q.q,
          filters: {
            source: many(q.source),
            kind: many(q.kind),
            schema: many(q.schema),
            tag: many(q.tag),
            owner: many(q.owner),
          },
          includeGone: q.includeGone === 'true',
          limit: q.limit,
          offset: q.offset,
        })
        return c.json(result, 200)
      },
    )
    .openapi(
      { ...suggestRoute, middleware: [authorize(identity, can.workspace('viewer'), 'catalog.suggest')] },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        const { q, limit } = c.req.valid('query')
        return c.json(await suggestAssets(ready().search, { workspaceId, q, limit }), 200)
      },
    )
    .openapi(
      { ...sourcesRoute, middleware: [authorize(identity, can.workspace('viewer'), 'catalog.sources.list')] },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        const s = ready()
        await s.workspaceSource(workspaceId)
        return c.json(await listSources(s.db, workspaceId), 200)
      },
    )
    .openapi(
      { ...addSourceRoute, middleware: [authorize(identity, can.workspace('admin'), 'catalog.sources.add')] },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        const input = c.req.valid('json')
        return c.json(await ready().addConnectionSource(workspaceId, input, currentPrincipal(c).userId), 201)
      },
    )
    .openapi(
      {
        ...workspaceTablesRoute,
        middleware: [authorize(identity, can.workspace('viewer'), 'catalog.workspace_tables')],
      },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        return c.json({ tables: await ready().workspaceTables(workspaceId, { signal: c.req.raw.signal }) }, 200)
      },
    )
    .openapi(
      { ...discoverRoute, middleware: [authorize(identity, can.workspace('admin'), 'catalog.discover')] },
      async (c) => {
        const { workspaceId, sourceId } = c.req.valid('param')
        return c.json(await ready().startDiscovery(workspaceId, sourceId, currentPrincipal(c).userId), 202)
      },
    )
    .openapi(
      { ...runRoute, middleware: [authorize(identity, can.workspace('viewer'), 'catalog.runs.get')] },
      async (c) => {
        const { workspaceId, runId } = c.req.valid('param')
        const run = await getRun(ready().db, workspaceId, runId)
        if (!run) throw new AppError(404, 'catalog_run_not_found', `No discovery run with id ${runId}`)
        return c.json(run, 200)
      },
    )
    .openapi(
      { ...lineageIngestRoute, middleware: [authorize(identity, can.workspace('editor'), 'catalog.lineage.record')] },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        const { sql, producer } = c.req.valid('json')
        return c.json(await ready().recordLineage({ workspaceId, sql, producer }), 200)
      },
    )
  return app.route('/', catalogAssetRoutes(identity, ready))
}
