import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import {
  type AssetWithColumns,
  assetUsage,
  cachedProfile,
  computeProfile,
  detectPersonalData,
  getAsset,
  impactOf,
  lineageGraph,
  loadAssetColumns,
  maskingTag,
  maskValue,
  previewAsset,
  schemaHistory,
  setTags,
  type TableProfile,
  updateAsset,
} from '@workbench/catalog'
import type { Context } from 'hono'
import { authorize, can, currentPrincipal, currentWorkspace } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { roleAtLeast } from '../auth/principal.ts'
import { withNodeAssets, withProducerNames } from '../catalog/asset-links.ts'
import type { ColumnTags } from '../catalog/asset-masking.ts'
import type { CatalogService } from '../catalog/catalog-service.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import { AssetEdit, AssetParams, body, Described, ErrorBody, errors, json, TagChange } from './catalog-schemas.ts'

const base = '/workspaces/{workspaceId}/catalog/assets/{assetId}'
const ok = (name: string, description: string) => ({ 200: json(Described(name), description), ...errors })
const common = { tags: ['catalog'] }

const getRouteDef = createRoute({
  ...common,
  method: 'get',
  path: base,
  summary: 'An asset with its columns, tags and owners',
  request: { params: AssetParams },
  responses: ok('CatalogAsset', 'The asset'),
})
const editRoute = createRoute({
  ...common,
  method: 'patch',
  path: base,
  summary: 'Describe an asset and its columns, set its owners',
  request: { params: AssetParams, body: body(AssetEdit) },
  responses: ok('CatalogAssetEdited', 'The asset after the edit'),
})
const tagsRoute = createRoute({
  ...common,
  method: 'post',
  path: `${base}/tags`,
  summary: 'Add, accept, reject or remove tags on an asset or its columns',
  request: { params: AssetParams, body: body(z.object({ changes: z.array(TagChange).min(1).max(500) })) },
  responses: ok('CatalogAssetTagged', 'The asset after the change'),
})
const historyRoute = createRoute({
  ...common,
  method: 'get',
  path: `${base}/history`,
  summary: 'Schema history: columns added, removed or changed, with time',
  request: { params: AssetParams },
  responses: ok('CatalogSchemaHistory', 'Newest first'),
})
const previewRoute = createRoute({
  ...common,
  method: 'get',
  path: `${base}/preview`,
  summary: 'Sample rows; PII-tagged columns are masked unless a workspace admin asks to unmask (audited)',
  request: {
    params: AssetParams,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(1_000).default(50),
      mode: z.enum(['first', 'random']).default('first'),
      unmask: z.enum(['true', 'false']).optional(),
    }),
  },
  responses: {
    ...ok('CatalogPreview', 'Columns with tags, rows, masked columns'),
    403: json(ErrorBody, 'Unmask refused'),
    422: json(ErrorBody, 'The source refused the read'),
  },
})
const classifyRoute = createRoute({
  ...common,
  method: 'post',
  path: `${base}/classify`,
  summary: 'Propose PII tags from sample values and column names',
  request: { params: AssetParams },
  responses: ok('CatalogClassification', 'Proposals (status proposed until a user accepts or rejects them)'),
})
const profileRoute = createRoute({
  ...common,
  method: 'get',
  path: `${base}/profile`,
  summary: 'The cached column profile (null until computed)',
  request: { params: AssetParams },
  responses: ok('CatalogProfile', 'Profile with the time it was computed'),
})
const computeProfileRoute = createRoute({
  ...common,
  method: 'post',
  path: `${base}/profile`,
  summary: 'Compute the column profile now (cached with its time)',
  request: { params: AssetParams },
  responses: ok('CatalogProfileComputed', 'The new profile'),
})
const lineageRoute = createRoute({
  ...common,
  method: 'get',
  path: `${base}/lineage`,
  summary: 'Upstream and downstream lineage at table or column level',
  request: {
    params: AssetParams,
    query: z.object({
      column: z.string().max(200).optional(),
      direction: z.enum(['upstream', 'downstream', 'both']).default('both'),
      depth: z.coerce.number().int().min(1).max(20).default(3),
    }),
  },
  responses: ok('CatalogLineageGraph', 'Nodes and edges with their producers'),
})
const impactRoute = createRoute({
  ...common,
  method: 'get',
  path: `${base}/impact`,
  summary: 'What uses this table or column, directly or not',
  request: { params: AssetParams, query: z.object({ column: z.string().max(200).optional() }) },
  responses: ok('CatalogImpact', 'Affected tables/columns and the notebooks/pipelines computing them'),
})
const usageRoute = createRoute({
  ...common,
  method: 'get',
  path: `${base}/usage`,
  summary: 'Notebooks and pipelines that read or write this asset',
  request: { params: AssetParams },
  responses: ok('CatalogUsage', 'Producers with read/write counts'),
})

/** Routes on one catalog asset (see `catalogRoutes`). */
export function catalogAssetRoutes(identity: Identity, ready: () => CatalogService) {
  const load = async (c: Context<AppEnv>): Promise<AssetWithColumns> => {
    const asset = await loadAssetColumns(ready().db, c.req.param('workspaceId') ?? '', c.req.param('assetId') ?? '')
    if (!asset) throw new AppError(404, 'catalog_asset_not_found', `No catalog asset with id ${c.req.param('assetId')}`)
    return asset
  }
  const read = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run()
    } catch (err) {
      if (err instanceof AppError) throw err
      // The source answered with an error (table dropped, permission): the caller's problem to see, not a 500.
      throw new AppError(422, 'catalog_source_error', err instanceof Error ? err.message : String(err))
    }
  }
  const problems = (list: string[]) => {
    if (list.length > 0) throw new AppError(400, 'validation_failed', list.join('; '), { problems: list })
  }

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(
      { ...getRouteDef, middleware: [authorize(identity, can.workspace('viewer'), 'catalog.assets.get')] },
      async (c) => {
        const { workspaceId, assetId } = c.req.valid('param')
        const asset = await getAsset(ready().db, workspaceId, assetId)
        if (!asset) throw new AppError(404, 'catalog_asset_not_found', `No catalog asset with id ${assetId}`)
        return c.json(asset, 200)
      },
    )
    .openapi(
      { ...editRoute, middleware: [authorize(identity, can.workspace('editor'), 'catalog.assets.edit')] },
      async (c) => {
        const asset = await load(c)
        const result = await updateAsset(ready().db, asset.id, c.req.valid('json'))
        problems(result.problems)
        return c.json(await getAsset(ready().db, asset.workspaceId, asset.id), 200)
      },
    )
    .openapi(
      { ...tagsRoute, middleware: [authorize(identity, can.workspace('editor'), 'catalog.assets.tag')] },
      async (c) => {
        const asset = await load(c)
        const { changes } = c.req.valid('json')
        const principal = currentPrincipal(c)
        const result = await setTags(ready().db, asset.id, changes, principal.userId)
        // Tags decide what is masked: who accepted, rejected or removed which one is in the audit log.
        await identity.audit.record({
          actorId: principal.userId,
          actorEmail: principal.email,
          workspaceId: asset.workspaceId,
          action: 'catalog.tags.changed',
          resource: `catalog asset ${asset.schema}.${asset.name} (${asset.id}): ${changes
            .map((ch) => `${ch.column ? `${ch.column} ` : ''}${ch.tag} ${ch.status}`)
            .join(', ')}`.slice(0, 2_000),
          requestId: c.get('requestId') ?? null,
          ip: c.get('clientIp') ?? null,
          outcome: result.problems.length > 0 ? 'failure' : 'success',
          status: result.problems.length > 0 ? 400 : 200,
        })
        problems(result.problems)
        return c.json(await getAsset(ready().db, asset.workspaceId, asset.id), 200)
      },
    )
    .openapi(
      { ...historyRoute, middleware: [authorize(identity, can.workspace('viewer'), 'catalog.assets.history')] },
      async (c) => {
        const asset = await load(c)
        return c.json(await schemaHistory(ready().db, asset.id), 200)
      },
    )
    .openapi(
      { ...previewRoute, middleware: [authorize(identity, can.workspace('viewer'), 'catalog.assets.preview')] },
      async (c) => {
        const asset = await load(c)
        const { limit, mode, unmask } = c.req.valid('query')
        const wantsClear = unmask === 'true'
        // Unmasking is a workspace-admin capability, and every unmasked read is in the audit log.
        if (wantsClear && !roleAtLeast(currentWorkspace(c).role, 'admin'))
          throw new AppError(403, 'unmask_not_allowed', 'Only workspace admins may see unmasked personal data')
        const source = await ready().source(asset.workspaceId, asset.sourceId, { signal: c.req.raw.signal })
        const tagsFor = await ready().assetMasking(asset)
        const preview = await read(() => previewAsset(asset, source, { limit, mode, unmask: wantsClear, tagsFor }))
        if (wantsClear) {
          const principal = currentPrincipal(c)
          await identity.audit.record({
            actorId: principal.userId,
            actorEmail: principal.email,
            workspaceId: asset.workspaceId,
            action: 'catalog.preview.unmasked',
            resource: `catalog asset ${asset.schema}.${asset.name} (${asset.id})`,
            requestId: c.get('requestId') ?? null,
            ip: c.get('clientIp') ?? null,
            outcome: 'success',
            status: 200,
          })
        }
        return c.json(preview, 200)
      },
    )
    .openapi(
      { ...classifyRoute, middleware: [authorize(identity, can.workspace('editor'), 'catalog.assets.classify')] },
      async (c) => {
        const asset = await load(c)
        const source = await ready().source(asset.workspaceId, asset.sourceId, { signal: c.req.raw.signal })
        // Classification reads clear values on the server; only the findings (column, tag, reason) go back.
        return c.json(await read(() => detectPersonalData(ready().db, asset, source)), 200)
      },
    )
    .openapi(
      { ...profileRoute, middleware: [authorize(identity, can.workspace('viewer'), 'catalog.assets.profile')] },
      async (c) => {
        const asset = await load(c)
        const profile = await cachedProfile(ready().db, asset.id)
        return c.json(profile ? maskProfile(profile, await ready().assetMasking(asset)) : null, 200)
      },
    )
    .openapi(
      {
        ...computeProfileRoute,
        middleware: [authorize(identity, can.workspace('editor'), 'catalog.assets.profile.compute')],
      },
      async (c) => {
        const asset = await load(c)
        const source = await ready().source(asset.workspaceId, asset.sourceId, { signal: c.req.raw.signal })
        const profile = await read(() => computeProfile(ready().db, asset, source))
        return c.json(maskProfile(profile, await ready().assetMasking(asset)), 200)
      },
    )
    .openapi(
      { ...lineageRoute, middleware: [authorize(identity, can.workspace('viewer'), 'catalog.assets.lineage')] },
      async (c) => {
        const asset = await load(c)
        const { column, direction, depth } = c.req.valid('query')
        const table = `${asset.schema}.${asset.name}`.toLowerCase()
        const graph = await lineageGraph(ready().db, {
          workspaceId: asset.workspaceId,
          table,
          column,
          direction,
          depth,
        })
        return c.json({ ...graph, nodes: await withNodeAssets(ready().metadata, asset.workspaceId, graph.nodes) }, 200)
      },
    )
    .openapi(
      { ...impactRoute, middleware: [authorize(identity, can.workspace('viewer'), 'catalog.assets.impact')] },
      async (c) => {
        const asset = await load(c)
        const { column } = c.req.valid('query')
        const table = `${asset.schema}.${asset.name}`.toLowerCase()
        return c.json(await impactOf(ready().db, { workspaceId: asset.workspaceId, table, column }), 200)
      },
    )
    .openapi(
      { ...usageRoute, middleware: [authorize(identity, can.workspace('viewer'), 'catalog.assets.usage')] },
      async (c) => {
        const asset = await load(c)
        const usage = await assetUsage(ready().db, asset.workspaceId, `${asset.schema}.${asset.name}`)
        return c.json(await withProducerNames(ready().metadata, asset.workspaceId, usage), 200)
      },
    )
}

/**
 * Profiles show min/max and top values: masked columns (by the same lineage-based rule as previews and SQL
 * results) have them masked for everyone (no unmask here).
 */
function maskProfile(profile: TableProfile, tagsFor: ColumnTags): TableProfile {
  const tags = tagsFor(profile.columns.map((col) => col.name))
  return {
    ...profile,
    columns: profile.columns.map((col, i) => {
      const tag = maskingTag(tags[i] ?? [])
      if (!tag) return col
      const mask = (v: string | null) => (v === null ? null : String(maskValue(v, tag)))
      return {
        ...col,
        min: mask(col.min),
        max: mask(col.max),
        topValues: col.topValues.map((t) => ({ ...t, value: mask(t.value) })),
      }
    }),
  }
}
