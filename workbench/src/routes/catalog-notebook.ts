import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { loadAssetColumns } from '@workbench/catalog'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { type AssetDialect, appendCell, assetQuery, sqlCell } from '../catalog/asset-cell.ts'
import type { CatalogService } from '../catalog/catalog-service.ts'
import { findNotebookOrThrow } from '../collab/notebook-access.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError, NotFoundError, requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import type { NotebookService } from '../notebooks/notebook-service.ts'
import { AssetParams, body, ErrorBody, errors, json } from './catalog-schemas.ts'

const AddedCell = z
  .object({
    notebookId: z.string(),
    notebookName: z.string(),
    /** True when a new notebook was created for the cell. */
    created: z.boolean(),
    cellId: z.string(),
    source: z.string(),
    connection: z.string(),
  })
  .openapi('CatalogNotebookCell')

const openInNotebookRoute = createRoute({
  method: 'post',
  path: '/workspaces/{workspaceId}/catalog/assets/{assetId}/notebook-cell',
  tags: ['catalog'],
  summary: 'Adds a SQL cell querying the asset at the end of a notebook (or of a new one), live for every collaborator',
  request: {
    params: AssetParams,
    body: body(
      z.object({
        /** An existing notebook of the workspace; absent: a new notebook is created. */
        notebookId: z.string().min(1).max(100).optional(),
        /** Name of the new notebook (default `Explore schema.name`). */
        name: z.string().trim().min(1).max(200).optional(),
      }),
    ),
  },
  responses: {
    201: json(AddedCell, 'The cell was added'),
    ...errors,
    409: json(ErrorBody, 'The asset is gone from its source'),
  },
})

export interface CatalogNotebookDeps {
  catalog: () => CatalogService | undefined
  notebooks: () => NotebookService | undefined
}

/**
 * "Open in notebook" from an asset page: a `SELECT * FROM <asset> LIMIT 100` SQL cell, on the connection the
 * asset was discovered through (or the workspace DuckDB), appended through the notebook's collaboration room
 * (a server change: stored, then broadcast), so collaborators with the notebook open see it arrive.
 */
export function catalogNotebookRoutes(identity: Identity, deps: CatalogNotebookDeps) {
  const catalog = requireStarted(deps.catalog, 'catalog_unavailable', 'The catalog is still starting')
  const notebooks = requireStarted(deps.notebooks, 'notebooks_unavailable', 'Notebooks are still starting')
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
    {
      ...openInNotebookRoute,
      middleware: [authorize(identity, can.workspace('editor'), 'catalog.assets.open_in_notebook')],
    },
    async (c) => {
      const { workspaceId, assetId } = c.req.valid('param')
      const input = c.req.valid('json')
      const service = notebooks()
      const collab = service.collab
      if (!collab) throw new AppError(503, 'collab_unavailable', 'Collaboration is still starting')
      const asset = await loadAssetColumns(catalog().db, workspaceId, assetId)
      if (!asset) throw new NotFoundError('catalog_asset', assetId)
      if (asset.gone) throw new AppError(409, 'asset_gone', `${asset.schema}.${asset.name} is gone from its source`)
      const { connection, dialect } = await targetOf(identity, catalog(), workspaceId, asset.sourceId)

      const notebook = input.notebookId
        ? await findNotebookOrThrow(identity.db(), workspaceId, input.notebookId)
        : await service.create(workspaceId, {
            name: input.name ?? `Explore ${asset.schema}.${asset.name}`,
            createdBy: currentPrincipal(c).userId,
          })
      const cell = sqlCell(assetQuery(asset, dialect), connection)
      await collab.withRoom(notebook.id, (room) => room.change((doc) => appendCell(doc, cell)))
      return c.json(
        {
          notebookId: notebook.id,
          notebookName: notebook.name,
          created: !input.notebookId,
          cellId: cell.id,
          source: cell.source,
          connection,
        },
        201,
      )
    },
  )
}

/** The cell's connection and SQL dialect: the source's connection, or the workspace DuckDB. */
async function targetOf(
  identity: Identity,
  catalog: CatalogService,
  workspaceId: string,
  sourceId: string,
): Promise<{ connection: string; dialect: AssetDialect }> {
  const source = await catalog.db
    .selectFrom('catalog_sources')
    .select(['connection_id'])
    .where('id', '=', sourceId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst()
  if (!source?.connection_id) return { connection: 'duckdb', dialect: 'duckdb' }
  const connection = await identity
    .db()
    .selectFrom('connections')
    .select(['id', 'type'])
    .where('id', '=', source.connection_id)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst()
  if (!connection)
    throw new AppError(409, 'connection_gone', 'The connection this asset was discovered through no longer exists')
  return { connection: connection.id, dialect: /mysql|mariadb/i.test(connection.type) ? 'mysql' : 'postgres' }
}
