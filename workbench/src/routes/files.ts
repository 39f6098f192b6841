import { Readable } from 'node:stream'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { ImportService } from '../files/import-service.ts'
import type { UploadService } from '../files/upload-service.ts'
import type { AppEnv } from '../http/env.ts'
import { requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import {
  BeginUpload,
  ErrorBody,
  FileParams,
  FileRecord,
  ImportParams,
  ImportRecord,
  ImportRequest,
  ImportResult,
  json,
  Preview,
  ReadOptions,
  RejectedRow,
  TableInfo,
  TableParams,
  TablePreview,
  WorkspaceParam,
} from './file-schemas.ts'

/** The files services; undefined until the metadata DB is open. */
export interface FilesDeps {
  uploads: UploadService
  imports: ImportService
}

const base = '/workspaces/{workspaceId}/files'
const errors = { 400: json(ErrorBody, 'Invalid request'), 404: json(ErrorBody, 'Not found') }
const tags = ['files']
const body = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
})

const beginUpload = createRoute({
  method: 'post',
  path: `${base}/uploads`,
  tags,
  summary: 'Start a resumable upload: declare the file name and size (refused at once when over the limit)',
  request: { params: WorkspaceParam, body: body(BeginUpload) },
  responses: {
    201: json(FileRecord, 'Upload started; send chunks with PUT'),
    413: json(ErrorBody, 'Over the size limit'),
    507: json(ErrorBody, 'Not enough disk space'),
    ...errors,
  },
})
const uploadStatus = createRoute({
  method: 'get',
  path: `${base}/uploads/{fileId}`,
  tags,
  summary: 'An upload, with the bytes received so far (where to resume)',
  request: { params: FileParams },
  responses: { 200: json(FileRecord, 'The upload'), ...errors },
})
const putChunk = createRoute({
  method: 'put',
  path: `${base}/uploads/{fileId}`,
  tags,
  summary:
    'Send the raw bytes of a chunk starting at `offset` (streamed to disk; resend from `received` after a break)',
  request: { params: FileParams, query: z.object({ offset: z.coerce.number().int().min(0) }) },
  responses: {
    200: json(z.object({ received: z.number() }), 'Bytes now held'),
    409: json(ErrorBody, 'Offset past the bytes received, or another chunk is arriving'),
    413: json(ErrorBody, 'More bytes than declared: the upload is removed'),
    ...errors,
  },
})
const completeUpload = createRoute({
  method: 'post',
  path: `${base}/uploads/{fileId}/complete`,
  tags,
  summary: 'Finish an upload: its format, encoding and workbook sheets are detected',
  request: { params: FileParams },
  responses: { 200: json(FileRecord, 'The file'), 409: json(ErrorBody, 'Bytes missing'), ...errors },
})
const listFiles = createRoute({
  method: 'get',
  path: base,
  tags,
  summary: 'Uploaded files (and unfinished uploads)',
  request: { params: WorkspaceParam },
  responses: { 200: json(z.object({ files: z.array(FileRecord) }), 'Files'), ...errors },
})
const listImports = createRoute({
  method: 'get',
  path: `${base}/imports`,
  tags,
  summary: 'Imports, newest first',
  request: { params: WorkspaceParam },
  responses: { 200: json(z.object({ imports: z.array(ImportRecord) }), 'Imports'), ...errors },
})
const getImport = createRoute({
  method: 'get',
  path: `${base}/imports/{importId}`,
  tags,
  summary: 'One import and its counts',
  request: { params: ImportParams },
  responses: { 200: json(ImportRecord, 'The import'), ...errors },
})
const importRejects = createRoute({
  method: 'get',
  path: `${base}/imports/{importId}/rejects`,
  tags,
  summary: 'Rows an import rejected, with line numbers and reasons',
  request: {
    params: ImportParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(100) }),
  },
  responses: { 200: json(z.object({ rejects: z.array(RejectedRow) }), 'Rejected rows'), ...errors },
})
const listTables = createRoute({
  method: 'get',
  path: `${base}/tables`,
  tags,
  summary: "The user's tables of the workspace DuckDB (rejects and internal tables hidden)",
  request: { params: WorkspaceParam },
  responses: { 200: json(z.object({ tables: z.array(TableInfo) }), 'Tables'), ...errors },
})
const previewTable = createRoute({
  method: 'get',
  path: `${base}/tables/{table}`,
  tags,
  summary: 'First rows of a table (or, with rejects=true, of its rejected rows)',
  request: {
    params: TableParams,
    query: z.object({
      rejects: z.enum(['true', 'false']).default('false'),
      limit: z.coerce.number().int().min(1).max(1000).default(50),
    }),
  },
  responses: { 200: json(TablePreview, 'Rows'), ...errors },
})
const dropTable = createRoute({
  method: 'delete',
  path: `${base}/tables/{table}`,
  tags,
  summary: 'Drop a table and its rejected rows',
  request: { params: TableParams },
  responses: { 204: { description: 'Dropped' }, ...errors },
})
const getFile = createRoute({
  method: 'get',
  path: `${base}/{fileId}`,
  tags,
  summary: 'An uploaded file',
  request: { params: FileParams },
  responses: { 200: json(FileRecord, 'The file'), ...errors },
})
const deleteFile = createRoute({
  method: 'delete',
  path: `${base}/{fileId}`,
  tags,
  summary: 'Delete a file (or abandon an upload); imported tables stay',
  request: { params: FileParams },
  responses: { 204: { description: 'Deleted' }, ...errors },
})
const previewFile = createRoute({
  method: 'post',
  path: `${base}/{fileId}/preview`,
  tags,
  summary: 'How the file would import: first rows, detected settings and schema, and problems found',
  request: { params: FileParams, body: body(ReadOptions) },
  responses: { 200: json(Preview, 'Preview'), ...errors },
})
const importFile = createRoute({
  method: 'post',
  path: `${base}/{fileId}/import`,
  tags,
  summary: 'Import into the workspace DuckDB (replace or append); rejected rows are kept with reasons',
  request: { params: FileParams, body: body(ImportRequest) },
  responses: { 200: json(ImportResult, 'The import (status failed with an error when it could not run)'), ...errors },
})

/** Uploads, previews and imports of data files, and the tables they made. Viewers read; editors change. */
export function fileRoutes(identity: Identity, deps: () => FilesDeps | undefined) {
  const ready = requireStarted(deps, 'files_unavailable', 'Files are still starting')
  const viewer = (action: string) => [authorize(identity, can.workspace('viewer'), action)]
  const editor = (action: string) => [authorize(identity, can.workspace('editor'), action)]
  // Static paths before `{fileId}`, so /files/imports is not read as a file id.
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...beginUpload, middleware: editor('files.upload') }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      const input = c.req.valid('json')
      const file = await ready().uploads.begin(workspaceId, { ...input, createdBy: currentPrincipal(c).userId })
      return c.json(file, 201)
    })
    .openapi({ ...uploadStatus, middleware: viewer('files.upload_status') }, async (c) => {
      const { workspaceId, fileId } = c.req.valid('param')
      return c.json(await ready().uploads.getOrThrow(workspaceId, fileId), 200)
    })
    .openapi({ ...putChunk, middleware: editor('files.upload') }, async (c) => {
      const { workspaceId, fileId } = c.req.valid('param')
      const { offset } = c.req.valid('query')
      const header = c.req.header('content-length')
      const length = header === undefined || header === '' ? undefined : Number(header)
      const received = await ready().uploads.writeChunk(
        workspaceId,
        fileId,
        offset,
        nodeRequestBody(c.env) ?? c.req.raw.body,
        Number.isFinite(length) ? length : undefined,
      )
      return c.json({ received }, 200)
    })
    .openapi({ ...completeUpload, middleware: editor('files.upload') }, async (c) => {
      const { workspaceId, fileId } = c.req.valid('param')
      return c.json(await ready().uploads.complete(workspaceId, fileId), 200)
    })
    .openapi({ ...listFiles, middleware: viewer('files.list') }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      return c.json({ files: await ready().uploads.list(workspaceId) }, 200)
    })
    .openapi({ ...listImports, middleware: viewer('files.imports') }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      return c.json({ imports: await ready().imports.listImports(workspaceId) }, 200)
    })
    .openapi({ ...getImport, middleware: viewer('files.imports') }, async (c) => {
      const { workspaceId, importId } = c.req.valid('param')
      return c.json(await ready().imports.getImportOrThrow(workspaceId, importId), 200)
    })
    .openapi({ ...importRejects, middleware: viewer('files.imports') }, async (c) => {
      const { workspaceId, importId } = c.req.valid('param')
      const { limit } = c.req.valid('query')
      return c.json({ rejects: await ready().imports.rejects(workspaceId, importId, limit) }, 200)
    })
    .openapi({ ...listTables, middleware: viewer('files.tables') }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      return c.json({ tables: await ready().imports.tables(workspaceId) }, 200)
    })
    .openapi({ ...previewTable, middleware: viewer('files.tables') }, async (c) => {
      const { workspaceId, table } = c.req.valid('param')
      const { rejects, limit } = c.req.valid('query')
      return c.json(await ready().imports.previewTable(workspaceId, table, { rejects: rejects === 'true', limit }), 200)
    })
    .openapi({ ...dropTable, middleware: editor('files.drop_table') }, async (c) => {
      const { workspaceId, table } = c.req.valid('param')
      await ready().imports.dropTable(workspaceId, table)
      return c.body(null, 204)
    })
    .openapi({ ...getFile, middleware: viewer('files.read') }, async (c) => {
      const { workspaceId, fileId } = c.req.valid('param')
      return c.json(await ready().uploads.getOrThrow(workspaceId, fileId), 200)
    })
    .openapi({ ...deleteFile, middleware: editor('files.delete') }, async (c) => {
      const { workspaceId, fileId } = c.req.valid('param')
      await ready().uploads.remove(workspaceId, fileId)
      return c.body(null, 204)
    })
    .openapi(
      { ...previewFile, middleware: [authorize(identity, can.workspaceRead('viewer'), 'files.preview')] },
      async (c) => {
        const { workspaceId, fileId } = c.req.valid('param')
        return c.json(await ready().imports.preview(workspaceId, fileId, c.req.valid('json')), 200)
      },
    )
    .openapi({ ...importFile, middleware: editor('files.import') }, async (c) => {
      const { workspaceId, fileId } = c.req.valid('param')
      const { table, mode, options } = c.req.valid('json')
      const { imports } = ready()
      const record = await imports.import(workspaceId, fileId, {
        table,
        mode,
        options,
        createdBy: currentPrincipal(c).userId,
      })
      const rejects = record.rowsRejected > 0 ? await imports.rejects(workspaceId, record.id, 100) : []
      const linesRejected = await imports.linesRejected(workspaceId, record.id)
      return c.json({ ...record, rejects, linesRejected }, 200)
    })
}

/**
 * Under @hono/node-server the Node request is in `c.env.incoming`: reading it directly skips the conversion
 * to a web stream, which roughly halves the cost of receiving a large chunk. In-process requests have none.
 */
function nodeRequestBody(env: unknown): AsyncIterable<Uint8Array> | undefined {
  if (!env || typeof env !== 'object' || !('incoming' in env)) return undefined
  const incoming = env.incoming
  return incoming instanceof Readable ? incoming : undefined
}
