import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal, currentWorkspace } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError, requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import { publishTable } from '../superset/superset-publish.ts'
import { refreshDatasets, SupersetRefreshFailure } from '../superset/superset-refresh.ts'
import { type SupersetService, supersetCall } from '../superset/superset-service.ts'
import { errorResponses, json, jsonBody } from './identity-schemas.ts'

const Params = z.object({
  workspaceId: z.string().openapi({ param: { name: 'workspaceId', in: 'path' } }),
  connectionId: z.string().openapi({ param: { name: 'connectionId', in: 'path' } }),
})
const base = '/workspaces/{workspaceId}/superset/{connectionId}'
const failed = { 409: errorResponses[400], 422: errorResponses[400], 502: errorResponses[400] }
const identifier = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z_][\w$]*$/, { message: 'expected a SQL identifier' })

const sync = createRoute({
  method: 'post',
  path: `${base}/sync`,
  tags: ['superset'],
  summary: "Catalogue a Superset's databases, datasets, charts and dashboards with their lineage (workspace editor)",
  request: { params: Params },
  responses: { 200: json(z.object({}).passthrough()), ...errorResponses, ...failed },
})
const publish = createRoute({
  method: 'post',
  path: `${base}/publish`,
  tags: ['superset'],
  summary:
    'Publish a workbench table as a Superset dataset, with column descriptions and verbose names from the catalog (workspace admin)',
  request: {
    params: Params,
    ...jsonBody(
      z.object({
        connection: z.string().min(1).max(100).openapi({ description: 'Workbench connection (name or id)' }),
        schema: identifier,
        table: identifier,
        databaseName: z.string().trim().min(1).max(250).optional(),
        databasePassword: z
          .string()
          .max(1024)
          .optional()
          .openapi({ description: 'Only used when Superset has no database entry for the connection yet' }),
      }),
    ),
  },
  responses: { 200: json(z.object({}).passthrough()), ...errorResponses, ...failed },
})
const refresh = createRoute({
  method: 'post',
  path: `${base}/refresh`,
  tags: ['superset'],
  summary: 'Refresh datasets (by id or by the tables they read) and report their column changes (workspace editor)',
  request: {
    params: Params,
    ...jsonBody(
      z.object({
        datasets: z.array(z.int().min(1)).max(500).optional(),
        tables: z.array(z.string().min(1).max(300)).max(500).optional(),
        onBreaking: z.enum(['warn', 'fail']).optional(),
        onMissing: z.enum(['mark_gone', 'fail']).optional(),
      }),
    ),
  },
  responses: { 200: json(z.object({}).passthrough()), ...errorResponses, ...failed },
})
const datasets = createRoute({
  method: 'get',
  path: `${base}/datasets`,
  tags: ['superset'],
  summary: 'Datasets the workbench tracks in this Superset: the table each reads, last synced, gone (viewer)',
  request: { params: Params },
  responses: { 200: json(z.object({ datasets: z.array(z.unknown()) })), ...errorResponses },
})

/** Superset sync, publish and refresh for a workspace's Superset connections. */
export function supersetRoutes(identity: Identity, superset: () => SupersetService | undefined) {
  const service = requireStarted(superset, 'superset_unavailable', 'The Superset connector is still starting')
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...sync, middleware: [authorize(identity, can.workspace('editor'), 'superset.sync')] }, async (c) => {
      const { connectionId } = c.req.valid('param')
      const result = await service().sync(currentWorkspace(c).id, connectionId, currentPrincipal(c).userId)
      return c.json(result as unknown as Record<string, never>, 200)
    })
    .openapi(
      { ...publish, middleware: [authorize(identity, can.workspace('admin'), 'superset.publish')] },
      async (c) => {
        const { connectionId } = c.req.valid('param')
        const body = c.req.valid('json')
        const result = await publishTable(
          service(),
          currentWorkspace(c).id,
          connectionId,
          body,
          currentPrincipal(c).userId,
        )
        return c.json(result as unknown as Record<string, never>, 200)
      },
    )
    .openapi(
      { ...refresh, middleware: [authorize(identity, can.workspace('editor'), 'superset.refresh')] },
      async (c) => {
        const { connectionId } = c.req.valid('param')
        const body = c.req.valid('json')
        try {
          const result = await supersetCall(() =>
            refreshDatasets(service(), currentWorkspace(c).id, connectionId, body),
          )
          return c.json(result as unknown as Record<string, never>, 200)
        } catch (err) {
          // What the caller asked to fail on: answered 409 with the full report in `details`.
          if (err instanceof SupersetRefreshFailure)
            throw new AppError(
              409,
              err.code === 'SupersetBreakingChange' ? 'superset_breaking_change' : 'superset_dataset_gone',
              err.message,
              err.output,
            )
          throw err
        }
      },
    )
    .openapi(
      { ...datasets, middleware: [authorize(identity, can.workspace('viewer'), 'superset.datasets')] },
      async (c) => {
        const { connectionId } = c.req.valid('param')
        const workspace = currentWorkspace(c)
        const { id } = await service().handle(workspace.id, connectionId)
        const rows = await service()
          .db.selectFrom('superset_datasets')
          .selectAll()
          .where('workspace_id', '=', workspace.id)
          .where('connection_id', '=', id)
          .orderBy('dataset_id')
          .execute()
        return c.json(
          {
            datasets: rows.map((r) => ({
              datasetId: r.dataset_id,
              databaseId: r.database_id,
              table: r.table_key,
              sourceConnectionId: r.source_connection_id,
              columns: r.columns,
              publishedAt: r.published_at ? new Date(r.published_at).toISOString() : null,
              lastSyncedAt: r.synced_at ? new Date(r.synced_at).toISOString() : null,
              lastResult: r.last_result ?? null,
              goneAt: r.gone_at ? new Date(r.gone_at).toISOString() : null,
            })),
          },
          200,
        )
      },
    )
}
