import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { type App, createApp } from '../../src/app.ts'
import { writeAllowedNetworks } from '../../src/connections/network-settings.ts'
import { OutboundPolicy } from '../../src/connections/outbound-policy.ts'
import { type DocumentOptions, DocumentService } from '../../src/documents/document-service.ts'
import { HttpOcrEngine } from '../../src/documents/ocr/http-engine.ts'
import { TesseractEngine } from '../../src/documents/ocr/tesseract.ts'
import { type DocumentLimits, defaultDocumentLimits } from '../../src/documents/pages.ts'
import { createToolRunner } from '../../src/documents/tool-runner.ts'
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.ts'
import { createMembers, type Members } from './members.ts'

export interface DocumentsFixture {
  app: App
  database: TestDatabase
  members: Members
  documents: DocumentService
  dataDir: string
  dispose(): Promise<void>
}

/**
 * The API app with the documents service over a fresh test database: real Tesseract and poppler in the
 * bubblewrap sandbox, and (with `httpOcrUrl`) the HTTP engine through the real outbound policy, loopback allowed.
 */
export async function createDocumentsFixture(
  kind: DatabaseKind,
  options: { limits?: Partial<DocumentLimits>; httpOcrUrl?: string; service?: Partial<DocumentOptions> } = {},
): Promise<DocumentsFixture> {
  const database = await createTestDatabase(kind, { migrate: true })
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wb-docs-'))
  const members = createMembers(database)
  const runner = createToolRunner('bwrap')
  const outbound = new OutboundPolicy(() => database.db)
  if (options.httpOcrUrl) await writeAllowedNetworks(database.db, ['127.0.0.0/8', '::1/128'])
  const engines = {
    tesseract: new TesseractEngine(runner),
    ...(options.httpOcrUrl
      ? {
          http: new HttpOcrEngine({
            url: options.httpOcrUrl,
            token: 'ocr-secret',
            timeoutMs: 5000,
            fetch: outbound.fetch(),
          }),
        }
      : {}),
  }
  const documents = new DocumentService(database.db, {
    dataDir,
    runner,
    engines,
    limits: { ...defaultDocumentLimits, ...options.limits },
    ...options.service,
  })
  const app = createApp({
    identity: members.identity,
    logger: pino({ level: 'silent' }),
    readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
    documents: () => documents,
  })
  return {
    app,
    database,
    members,
    documents,
    dataDir,
    dispose: async () => {
      await database.dispose()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Calls the documents API of one workspace as one member. */
export function documentsClient(app: App, workspaceId: string, token: string) {
  const call = async (method: string, url: string, body?: unknown, init: RequestInit = {}) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await app.request(`/api/workspaces/${workspaceId}/documents${url}`, {
      method,
      headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
      body: body === undefined ? init.body : JSON.stringify(body),
    })
    const type = res.headers.get('content-type') ?? ''
    if (!type.includes('json')) return { status: res.status, body: Buffer.from(await res.arrayBuffer()) as any, type }
    return { status: res.status, body: (await res.json()) as any, type }
  }
  const upload = (name: string, bytes: Uint8Array, query = '') =>
    call('POST', `?name=${encodeURIComponent(name)}${query}`, undefined, {
      body: bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
    })
  return { call, upload }
}
