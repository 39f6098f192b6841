import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError, requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import { IpynbError, IpynbTooLargeError, type PreparedNotebook } from '../notebooks/ipynb.ts'
import { IpynbImporter, IpynbImportTimeoutError } from '../notebooks/ipynb-importer.ts'
import type { NotebookService } from '../notebooks/notebook-service.ts'
import { findTemplate, NOTEBOOK_TEMPLATES } from '../notebooks/templates.ts'

const Notebook = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    name: z.string(),
    folder: z.string(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    deletedAt: z.string().nullable(),
  })
  .openapi('Notebook')
const ErrorBody = z
  .object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() })
  .openapi('ErrorBody')
const Name = z.string().trim().min(1).max(200)
const Folder = z.string().max(1000).optional()
const WorkspaceParam = z.object({ workspaceId: z.string().min(1).max(100) })
const NotebookParams = WorkspaceParam.extend({ notebookId: z.string().min(1).max(100) })
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})
const errors = {
  400: json(ErrorBody, 'Invalid request'),
  404: json(ErrorBody, 'No such notebook'),
}

const base = '/workspaces/{workspaceId}/notebooks'

const listRoute = createRoute({
  method: 'get',
  path: base,
  tags: ['notebooks'],
  summary: 'List notebooks: by folder, by name or content, or the deleted ones still restorable',
  request: {
    params: WorkspaceParam,
    query: z.object({
      folder: Folder,
      q: z.string().max(200).optional(),
      deleted: z.enum(['true', 'false']).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    }),
  },
  responses: { 200: json(z.object({ items: z.array(Notebook), total: z.number() }), 'A page of notebooks'), ...errors },
})

const createRouteDef = createRoute({
  method: 'post',
  path: base,
  tags: ['notebooks'],
  summary: 'Create a notebook, blank or from a template',
  request: {
    params: WorkspaceParam,
    body: {
      required: true,
      content: {
        'application/json': { schema: z.object({ name: Name, folder: Folder, template: z.string().optional() }) },
      },
    },
  },
  responses: { 201: json(Notebook, 'Created'), ...errors },
})

const importRoute = createRoute({
  method: 'post',
  path: `${base}/import`,
  tags: ['notebooks'],
  summary: 'Create a notebook from an uploaded .ipynb (nbformat 4; the body is the file)',
  description:
    'The file is parsed, validated and converted off the event loop. Over the size limit answers 413 ' +
    '`ipynb_too_large`, over the cell limit 413 `ipynb_too_many_cells`.',
  request: { params: WorkspaceParam, query: z.object({ name: Name, folder: Folder }) },
  responses: {
    201: json(
      Notebook.extend({
        warnings: z
          .array(z.string())
          .openapi({ description: 'What was repaired on the way in (cell ids, a newer nbformat minor)' }),
      }),
      'Imported',
    ),
    413: json(ErrorBody, 'File over the size limit'),
    ...errors,
  },
})

const templatesRoute = createRoute({
  method: 'get',
  path: '/notebook-templates',
  tags: ['notebooks'],
  summary: 'Templates a notebook can be created from',
  responses: {
    200: json(z.array(z.object({ id: z.string(), name: z.string(), description: z.string() })), 'Templates'),
  },
})

const getRoute = createRoute({
  method: 'get',
  path: `${base}/{notebookId}`,
  tags: ['notebooks'],
  summary: 'A notebook',
  request: { params: NotebookParams },
  responses: { 200: json(Notebook, 'The notebook'), ...errors },
})

const updateRoute = createRoute({
  method: 'patch',
  path: `${base}/{notebookId}`,
  tags: ['notebooks'],
  summary: 'Rename or move a notebook',
  request: {
    params: NotebookParams,
    body: {
      required: true,
      content: { 'application/json': { schema: z.object({ name: Name.optional(), folder: Folder }) } },
    },
  },
  responses: { 200: json(Notebook, 'Updated'), ...errors },
})

const duplicateRoute = createRoute({
  method: 'post',
  path: `${base}/{notebookId}/duplicate`,
  tags: ['notebooks'],
  summary: 'Copy a notebook with its current content',
  request: { params: NotebookParams },
  responses: { 201: json(Notebook, 'The copy'), ...errors },
})

const deleteRoute = createRoute({
  method: 'delete',
  path: `${base}/{notebookId}`,
  tags: ['notebooks'],
  summary: 'Delete a notebook (restorable for 30 days); collaborators are disconnected',
  request: { params: NotebookParams },
  responses: { 204: { description: 'Deleted' }, ...errors },
})

const restoreRoute = createRoute({
  method: 'post',
  path: `${base}/{notebookId}/restore`,
  tags: ['notebooks'],
  summary: 'Restore a deleted notebook',
  request: { params: NotebookParams },
  responses: { 200: json(Notebook, 'Restored'), 410: json(ErrorBody, 'Deleted too long ago'), ...errors },
})

const exportRoute = createRoute({
  method: 'get',
  path: `${base}/{notebookId}/export`,
  tags: ['notebooks'],
  summary: 'Download the notebook as .ipynb (nbformat 4.5, validated)',
  request: { params: NotebookParams },
  responses: { 200: json(z.record(z.string(), z.unknown()), 'The .ipynb file (nbformat JSON)'), ...errors },
})

export interface NotebookRoutesOptions {
  /** Largest .ipynb accepted for import, in bytes. */
  maxImportBytes: number
  /** Most cells an imported .ipynb may have. */
  maxImportCells?: number
}

/** Notebook files of a workspace: viewers read and export, editors change. */
export function notebookRoutes(
  identity: Identity,
  service: () => NotebookService | undefined,
  options: NotebookRoutesOptions,
) {
  const ready = requireStarted(service, 'notebooks_unavailable', 'Notebooks are still starting')
  const importer = new IpynbImporter({ maxCells: options.maxImportCells })
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  // Refuse an oversized upload while it streams in, before it is buffered or parsed.
  app.use(
    '/workspaces/:workspaceId/notebooks/import',
    bodyLimit({
      maxSize: options.maxImportBytes,
      onError: () => {
        throw new AppError(413, 'ipynb_too_large', `Notebook files are limited to ${options.maxImportBytes} bytes`)
      },
    }),
  )
  return app
    .openapi({ ...templatesRoute, middleware: [authorize(identity, can.user, 'notebooks.templates')] }, (c) =>
      c.json(
        NOTEBOOK_TEMPLATES.map(({ id, name, description }) => ({ id, name, description })),
        200,
      ),
    )
    .openapi(
      { ...listRoute, middleware: [authorize(identity, can.workspace('viewer'), 'notebooks.list')] },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        const { folder, q, deleted, limit, offset } = c.req.valid('query')
        return c.json(
          await ready().list(workspaceId, { folder, query: q, deleted: deleted === 'true', limit, offset }),
          200,
        )
      },
    )
    .openapi(
      { ...createRouteDef, middleware: [authorize(identity, can.workspace('editor'), 'notebooks.create')] },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        const { name, folder, template } = c.req.valid('json')
        const content = template === undefined ? undefined : findTemplate(template)?.notebook
        if (template !== undefined && !content)
          throw new AppError(400, 'unknown_template', `No template named ${template}`)
        return c.json(
          await ready().create(workspaceId, { name, folder, content, createdBy: currentPrincipal(c).userId }),
          201,
        )
      },
    )
    .openapi(
      { ...importRoute, middleware: [authorize(identity, can.workspace('editor'), 'notebooks.import')] },
      async (c) => {
        const { workspaceId } = c.req.valid('param')
        const { name, folder } = c.req.valid('query')
        let prepared: PreparedNotebook
        try {
          prepared = await importer.prepare(await c.req.text())
        } catch (err) {
          if (err instanceof IpynbError)
            throw new AppError(400, 'invalid_ipynb', err.message, { problems: err.problems })
          if (err instanceof IpynbTooLargeError)
            throw new AppError(413, 'ipynb_too_many_cells', err.message, { cells: err.cells, limit: err.maxCells })
          if (err instanceof IpynbImportTimeoutError) throw new AppError(413, 'ipynb_too_complex', err.message)
          throw err
        }
        const created = await ready().create(workspaceId, {
          name,
          folder,
          prepared,
          createdBy: currentPrincipal(c).userId,
        })
        return c.json({ ...created, warnings: prepared.warnings }, 201)
      },
    )
    .openapi(
      { ...getRoute, middleware: [authorize(identity, can.workspace('viewer'), 'notebooks.read')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        return c.json(await ready().getOrThrow(workspaceId, notebookId), 200)
      },
    )
    .openapi(
      { ...updateRoute, middleware: [authorize(identity, can.workspace('editor'), 'notebooks.update')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        return c.json(await ready().update(workspaceId, notebookId, c.req.valid('json')), 200)
      },
    )
    .openapi(
      { ...duplicateRoute, middleware: [authorize(identity, can.workspace('editor'), 'notebooks.duplicate')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        return c.json(await ready().duplicate(workspaceId, notebookId, currentPrincipal(c).userId), 201)
      },
    )
    .openapi(
      { ...deleteRoute, middleware: [authorize(identity, can.workspace('editor'), 'notebooks.delete')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        await ready().softDelete(workspaceId, notebookId)
        return c.body(null, 204)
      },
    )
    .openapi(
      { ...restoreRoute, middleware: [authorize(identity, can.workspace('editor'), 'notebooks.restore')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        return c.json(await ready().restore(workspaceId, notebookId), 200)
      },
    )
    .openapi(
      { ...exportRoute, middleware: [authorize(identity, can.workspace('viewer'), 'notebooks.export')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        const service = ready()
        const [notebook, content] = await Promise.all([
          service.getOrThrow(workspaceId, notebookId),
          service.exportNotebook(workspaceId, notebookId),
        ])
        const filename = `${notebook.name.replace(/[^\w.\- ]+/g, '_')}.ipynb`
        // The text as written (numbers keep their source form), not re-serialised by c.json.
        return c.body(content, 200, {
          'Content-Type': 'application/json',
          'Content-Disposition': `attachment; filename="${filename}"`,
        }) as never
      },
    )
}
