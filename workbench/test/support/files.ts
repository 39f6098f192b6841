import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { type App, createApp } from '../../src/app.ts'
import { ImportService } from '../../src/files/import-service.ts'
import { FileStorage } from '../../src/files/storage.ts'
import { UploadService } from '../../src/files/upload-service.ts'
import { WorkspaceDatabases, type WorkspaceDuckdb } from '../../src/kernels/workspace-databases.ts'
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.ts'
import { createMembers, type Members } from './members.ts'

export interface FilesFixture {
  app: App
  database: TestDatabase
  members: Members
  uploads: UploadService
  /** The workspace DuckDB databases the imports write to (for setting up tables around an import). */
  duckdb: WorkspaceDuckdb
  dataDir: string
  dispose(): Promise<void>
}

/** The API app with the files services over a fresh test database and a temporary data folder. */
export async function createFilesFixture(
  kind: DatabaseKind,
  options: { maxUploadBytes?: number; webDist?: string } = {},
): Promise<FilesFixture> {
  const database = await createTestDatabase(kind, { migrate: true })
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wb-files-'))
  const members = createMembers(database)
  const duckdbs = new WorkspaceDatabases({ dataDir, memoryLimit: '1GB' })
  const uploads = new UploadService(database.db, new FileStorage(dataDir), {
    maxUploadBytes: options.maxUploadBytes ?? 5 * 1024 * 1024,
    staleAfterMs: 60_000,
  })
  const imports = new ImportService(database.db, uploads, duckdbs.get)
  const app = createApp({
    identity: members.identity,
    logger: pino({ level: 'silent' }),
    readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
    files: () => ({ uploads, imports }),
    webDist: options.webDist,
  })
  return {
    app,
    database,
    members,
    uploads,
    duckdb: duckdbs.get,
    dataDir,
    dispose: async () => {
      await duckdbs.close()
      await database.dispose()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Calls the files API of one workspace as one member. */
export function filesClient(app: App, workspaceId: string, token: string) {
  const call = async (method: string, url: string, body?: unknown, init: RequestInit = {}) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await app.request(`/api/workspaces/${workspaceId}/files${url}`, {
      method,
      headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
      body: body === undefined ? init.body : JSON.stringify(body),
      ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit)
    const text = await res.text()
    let parsed: any = text
    try {
      parsed = JSON.parse(text)
    } catch {}
    return { status: res.status, body: parsed }
  }
  /** Begin, send in chunks, complete: the whole happy path of an upload. */
  const upload = async (name: string, bytes: Uint8Array, chunkSize = 64 * 1024) => {
    const begun = await call('POST', '/uploads', { name, size: bytes.length })
    if (begun.status !== 201) throw new Error(`begin ${name}: ${begun.status} ${JSON.stringify(begun.body)}`)
    const id: string = begun.body.id
    for (let offset = 0; offset < bytes.length; offset += chunkSize) {
      const chunk = bytes.subarray(offset, offset + chunkSize)
      const put = await call('PUT', `/uploads/${id}?offset=${offset}`, undefined, {
        body: chunk,
        headers: { 'Content-Type': 'application/octet-stream' },
      })
      if (put.status !== 200) throw new Error(`chunk ${name}@${offset}: ${put.status} ${JSON.stringify(put.body)}`)
    }
    const done = await call('POST', `/uploads/${id}/complete`)
    if (done.status !== 200) throw new Error(`complete ${name}: ${done.status} ${JSON.stringify(done.body)}`)
    return done.body
  }
  return { call, upload }
}
