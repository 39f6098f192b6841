import { Readable } from 'node:stream'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { DocumentService } from '../documents/document-service.ts'
import type { AppEnv } from '../http/env.ts'
import { requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import {
  DOCUMENT_STATUSES,
  DocumentErrorBody,
  DocumentParams,
  DocumentRecord,
  DocumentWorkspaceParam,
  djson,
  LearnedRules,
  OcrResult,
  PageParams,
  ProcessRequest,
  ReviewRequest,
  UploadQuery,
} from './document-schemas.ts'

const base = '/workspaces/{workspaceId}/documents'
const tags = ['documents']
const errors = { 400: djson(DocumentErrorBody, 'Invalid request'), 404: djson(DocumentErrorBody, 'Not found') }
const image = (description: string) => ({
  description,
  content: { 'image/png': { schema: z.string().openapi({ format: 'binary' }) } },
})

const upload = createRoute({
  method: 'post',
  path: base,
  tags,
  summary:
    'Upload a receipt image (JPEG, PNG) or PDF as the raw request body; it is read and parsed at once unless process=false',
  request: { params: DocumentWorkspaceParam, query: UploadQuery },
  responses: {
    201: djson(DocumentRecord, 'The document (status needs_review, no_text or failed when processed)'),
    413: djson(DocumentErrorBody, 'Over the size, page or pixel limit'),
    415: djson(DocumentErrorBody, 'Not a JPEG, PNG or PDF'),
    422: djson(DocumentErrorBody, 'Cannot be decoded, or a password-protected PDF'),
    ...errors,
  },
})
const list = createRoute({
  method: 'get',
  path: base,
  tags,
  summary: 'Documents, newest first',
  request: { params: DocumentWorkspaceParam, query: z.object({ status: z.enum(DOCUMENT_STATUSES).optional() }) },
  responses: { 200: djson(z.object({ documents: z.array(DocumentRecord) }), 'Documents'), ...errors },
})
const rules = createRoute({
  method: 'get',
  path: `${base}/rules`,
  tags,
  summary: 'What reviewers taught the receipt parser here: merchant aliases and per-merchant date order',
  request: { params: DocumentWorkspaceParam },
  responses: { 200: djson(LearnedRules, 'Rules'), ...errors },
})
const get = createRoute({
  method: 'get',
  path: `${base}/{documentId}`,
  tags,
  summary: 'A document with its parsed receipt (fields, confidences, boxes), current values and duplicates',
  request: { params: DocumentParams },
  responses: { 200: djson(DocumentRecord, 'The document'), ...errors },
})
const ocr = createRoute({
  method: 'get',
  path: `${base}/{documentId}/ocr`,
  tags,
  summary: 'The full reading: pages, lines, word boxes and confidences',
  request: { params: DocumentParams },
  responses: { 200: djson(OcrResult, 'The reading'), 409: djson(DocumentErrorBody, 'Not read yet'), ...errors },
})
const process = createRoute({
  method: 'post',
  path: `${base}/{documentId}/process`,
  tags,
  summary: 'Read (again) with an engine and parse the receipt; a reviewed receipt is not read again',
  request: {
    params: DocumentParams,
    body: { required: false, content: { 'application/json': { schema: ProcessRequest } } },
  },
  responses: {
    200: djson(DocumentRecord, 'The document after reading'),
    409: djson(DocumentErrorBody, 'Already reviewed'),
    ...errors,
  },
})
const review = createRoute({
  method: 'post',
  path: `${base}/{documentId}/review`,
  tags,
  summary: 'Save corrections (kept as training examples) and, with accept, mark the receipt reviewed',
  request: {
    params: DocumentParams,
    body: { required: true, content: { 'application/json': { schema: ReviewRequest } } },
  },
  responses: {
    200: djson(DocumentRecord, 'The document'),
    409: djson(DocumentErrorBody, 'Not in needs_review'),
    422: djson(DocumentErrorBody, 'Accepted without merchant, date or total'),
    ...errors,
  },
})
const thumbnail = createRoute({
  method: 'get',
  path: `${base}/{documentId}/thumbnail`,
  tags,
  summary: 'A PNG thumbnail (at most 320 px wide)',
  request: { params: DocumentParams },
  responses: { 200: image('Thumbnail'), ...errors },
})
const page = createRoute({
  method: 'get',
  path: `${base}/{documentId}/pages/{page}`,
  tags,
  summary: 'A page image as read (OCR boxes are in its pixels)',
  request: { params: PageParams },
  responses: { 200: image('Page image'), ...errors },
})
const original = createRoute({
  method: 'get',
  path: `${base}/{documentId}/original`,
  tags,
  summary: 'The uploaded bytes (sent as an attachment)',
  request: { params: DocumentParams },
  responses: { 200: { description: 'The original file' }, ...errors },
})
const remove = createRoute({
  method: 'delete',
  path: `${base}/{documentId}`,
  tags,
  summary: 'Delete a document and its images (corrections it taught stay)',
  request: { params: DocumentParams },
  responses: { 204: { description: 'Deleted' }, ...errors },
})

/** Receipt documents: upload, reading, review. Viewers read; editors upload, read and review. */
export function documentRoutes(identity: Identity, deps: () => DocumentService | undefined) {
  const ready = requireStarted(deps, 'documents_unavailable', 'Documents are still starting')
  const viewer = (action: string) => [authorize(identity, can.workspace('viewer'), action)]
  const editor = (action: string) => [authorize(identity, can.workspace('editor'), action)]
  const binary = (bytes: Buffer, mime: string, extra: Record<string, string> = {}) =>
    new Response(new Uint8Array(bytes), {
      status: 200,
      headers: {
        'Content-Type': mime,
        'Cache-Control': 'private, max-age=300',
        'X-Content-Type-Options': 'nosniff',
        ...extra,
      },
    })
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...upload, middleware: editor('documents.upload') }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      const query = c.req.valid('query')
      const service = ready()
      const body = nodeRequestBody(c.env) ?? c.req.raw.body
      let doc = await service.upload(workspaceId, { name: query.name, body, createdBy: currentPrincipal(c).userId })
      if (query.process === 'true') doc = await service.process(workspaceId, doc.id, { engine: query.engine })
      return c.json(doc, 201)
    })
    .openapi({ ...list, middleware: viewer('documents.list') }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      return c.json({ documents: await ready().list(workspaceId, c.req.valid('query')) }, 200)
    })
    .openapi({ ...rules, middleware: viewer('documents.rules') }, async (c) => {
      const { workspaceId } = c.req.valid('param')
      return c.json(await ready().rules(workspaceId), 200)
    })
    .openapi({ ...get, middleware: viewer('documents.read') }, async (c) => {
      const { workspaceId, documentId } = c.req.valid('param')
      return c.json(await ready().getOrThrow(workspaceId, documentId), 200)
    })
    .openapi({ ...ocr, middleware: viewer('documents.read') }, async (c) => {
      const { workspaceId, documentId } = c.req.valid('param')
      return c.json(await ready().ocr(workspaceId, documentId), 200)
    })
    .openapi({ ...process, middleware: editor('documents.process') }, async (c) => {
      const { workspaceId, documentId } = c.req.valid('param')
      const body = c.req.header('content-type')?.includes('json') ? c.req.valid('json') : {}
      return c.json(await ready().process(workspaceId, documentId, body ?? {}), 200)
    })
    .openapi({ ...review, middleware: editor('documents.review') }, async (c) => {
      const { workspaceId, documentId } = c.req.valid('param')
      const input = c.req.valid('json')
      return c.json(await ready().review(workspaceId, documentId, input, currentPrincipal(c).userId), 200)
    })
    .openapi({ ...thumbnail, middleware: viewer('documents.read') }, async (c) => {
      const { workspaceId, documentId } = c.req.valid('param')
      const { bytes, mime } = await ready().content(workspaceId, documentId, { kind: 'thumbnail' })
      return binary(bytes, mime) as never
    })
    .openapi({ ...page, middleware: viewer('documents.read') }, async (c) => {
      const { workspaceId, documentId, page: n } = c.req.valid('param')
      const { bytes, mime } = await ready().content(workspaceId, documentId, { kind: 'page', page: n })
      return binary(bytes, mime) as never
    })
    .openapi({ ...original, middleware: viewer('documents.read') }, async (c) => {
      const { workspaceId, documentId } = c.req.valid('param')
      const { bytes, mime } = await ready().content(workspaceId, documentId, { kind: 'original' })
      // An attachment, never rendered inline: a PDF or image from a user is not shown in our origin.
      return binary(bytes, mime, { 'Content-Disposition': 'attachment' }) as never
    })
    .openapi({ ...remove, middleware: editor('documents.delete') }, async (c) => {
      const { workspaceId, documentId } = c.req.valid('param')
      await ready().remove(workspaceId, documentId)
      return c.body(null, 204)
    })
}

/** The Node request body under @hono/node-server (skips the web-stream conversion); none in-process. */
function nodeRequestBody(env: unknown): AsyncIterable<Uint8Array> | undefined {
  if (!env || typeof env !== 'object' || !('incoming' in env)) return undefined
  const incoming = env.incoming
  return incoming instanceof Readable ? incoming : undefined
}
