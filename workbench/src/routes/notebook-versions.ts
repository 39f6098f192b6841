import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { findNotebookOrThrow } from '../collab/notebook-access.ts'
import type { AppEnv } from '../http/env.ts'
import { requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import type { NotebookHistoryServices } from '../notebooks/history-services.ts'

const ErrorBody = z.object({
  code: z.string(),
  message: z.string(),
  requestId: z.string(),
  details: z.unknown().optional(),
})
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})
const errors = { 400: json(ErrorBody, 'Invalid request'), 404: json(ErrorBody, 'No such notebook or version') }
const Kind = z.enum(['auto', 'named', 'pre-compile', 'pre-restore'])
const Version = z
  .object({
    id: z.string(),
    notebookId: z.string(),
    kind: Kind,
    label: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    cellCount: z.number(),
    bytes: z.number(),
  })
  .openapi('NotebookVersion')
const Hunk = z.object({
  oldStart: z.number(),
  oldLines: z.number(),
  newStart: z.number(),
  newLines: z.number(),
  lines: z.array(z.string()),
})
const Diff = z
  .object({
    cells: z.array(
      z.object({
        cellId: z.string(),
        status: z.enum(['added', 'removed', 'modified', 'unchanged']),
        moved: z.boolean(),
        cellType: z.string(),
        oldIndex: z.number().nullable(),
        newIndex: z.number().nullable(),
        sourceHunks: z.array(Hunk),
        typeChanged: z.boolean(),
        metadataChanged: z.boolean(),
        outputs: z.object({ changed: z.boolean(), summary: z.string() }),
      }),
    ),
    summary: z.object({
      added: z.number(),
      removed: z.number(),
      modified: z.number(),
      moved: z.number(),
      outputsChanged: z.number(),
      unchanged: z.number(),
      notebookMetadataChanged: z.boolean(),
    }),
  })
  .openapi('NotebookDiff')
const NotebookParams = z.object({ workspaceId: z.string().min(1).max(100), notebookId: z.string().min(1).max(100) })
const VersionParams = NotebookParams.extend({ versionId: z.string().min(1).max(100) })
const base = '/workspaces/{workspaceId}/notebooks/{notebookId}/versions'

const listRoute = createRoute({
  method: 'get',
  path: base,
  tags: ['notebooks'],
  summary: 'Versions of a notebook, newest first',
  request: {
    params: NotebookParams,
    query: z.object({
      kind: Kind.optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    }),
  },
  responses: { 200: json(z.object({ items: z.array(Version), total: z.number() }), 'A page of versions'), ...errors },
})
const createVersionRoute = createRoute({
  method: 'post',
  path: base,
  tags: ['notebooks'],
  summary: 'Save the current document as a named version',
  request: {
    params: NotebookParams,
    body: {
      required: true,
      content: { 'application/json': { schema: z.object({ label: z.string().trim().min(1).max(200) }) } },
    },
  },
  responses: { 201: json(Version, 'Created'), 409: json(ErrorBody, 'Too many named versions'), ...errors },
})
const diffRoute = createRoute({
  method: 'get',
  path: `${base}/diff`,
  tags: ['notebooks'],
  summary: 'Cell-level diff between two versions, or a version and the live document (`live`)',
  request: {
    params: NotebookParams,
    query: z.object({ from: z.string().min(1).max(100), to: z.string().min(1).max(100).default('live') }),
  },
  responses: { 200: json(Diff, 'The diff'), ...errors },
})
const getRoute = createRoute({
  method: 'get',
  path: `${base}/{versionId}`,
  tags: ['notebooks'],
  summary: 'A version, with its content as nbformat JSON',
  request: { params: VersionParams },
  responses: {
    200: json(z.object({ version: Version, notebook: z.record(z.string(), z.unknown()) }), 'The version'),
    ...errors,
  },
})
const restoreRoute = createRoute({
  method: 'post',
  path: `${base}/{versionId}/restore`,
  tags: ['notebooks'],
  summary:
    'Make the live document look like this version again, as a new change every collaborator receives; the replaced state is kept as a pre-restore version',
  request: { params: VersionParams },
  responses: { 200: json(z.object({ restored: Version, previous: Version }), 'Restored'), ...errors },
})

/** Versions of a notebook: viewers list, view and diff; editors create and restore. */
export function notebookVersionRoutes(identity: Identity, services: () => NotebookHistoryServices | undefined) {
  const started = requireStarted(services, 'notebooks_unavailable', 'Notebooks are still starting')
  const ready = async (workspaceId: string, notebookId: string) => {
    const s = started()
    await findNotebookOrThrow(s.db, workspaceId, notebookId)
    return s.versions
  }
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(
      { ...listRoute, middleware: [authorize(identity, can.workspace('viewer'), 'notebooks.versions.list')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        const versions = await ready(workspaceId, notebookId)
        return c.json(await versions.list(notebookId, c.req.valid('query')), 200)
      },
    )
    .openapi(
      {
        ...createVersionRoute,
        middleware: [authorize(identity, can.workspace('editor'), 'notebooks.versions.create')],
      },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        const versions = await ready(workspaceId, notebookId)
        const { label } = c.req.valid('json')
        return c.json(
          await versions.create(notebookId, { kind: 'named', label, userId: currentPrincipal(c).userId }),
          201,
        )
      },
    )
    .openapi(
      { ...diffRoute, middleware: [authorize(identity, can.workspace('viewer'), 'notebooks.versions.diff')] },
      async (c) => {
        const { workspaceId, notebookId } = c.req.valid('param')
        const versions = await ready(workspaceId, notebookId)
        const { from, to } = c.req.valid('query')
        return c.json(await versions.diff(notebookId, from, to), 200)
      },
    )
    .openapi(
      { ...getRoute, middleware: [authorize(identity, can.workspace('viewer'), 'notebooks.versions.read')] },
      async (c) => {
        const { workspaceId, notebookId, versionId } = c.req.valid('param')
        const versions = await ready(workspaceId, notebookId)
        const { version, notebook } = await versions.get(notebookId, versionId)
        return c.json({ version, notebook: notebook as unknown as Record<string, unknown> }, 200)
      },
    )
    .openapi(
      { ...restoreRoute, middleware: [authorize(identity, can.workspace('editor'), 'notebooks.versions.restore')] },
      async (c) => {
        const { workspaceId, notebookId, versionId } = c.req.valid('param')
        const versions = await ready(workspaceId, notebookId)
        return c.json(await versions.restore(notebookId, versionId, currentPrincipal(c).userId), 200)
      },
    )
}
