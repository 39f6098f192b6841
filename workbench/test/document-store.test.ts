import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DocumentStore } from '../src/collab/document-store.ts'
import { createNotebookRow } from './support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'
import { createMembers } from './support/members.ts'

/** Appends one update per edit, as the collaboration endpoint does, and returns the resulting document. */
async function edit(store: DocumentStore, notebookId: string, doc: Y.Doc, edits: number, text = 'x'): Promise<void> {
  for (let i = 0; i < edits; i++) {
    const before = Y.encodeStateVector(doc)
    doc.getText('source').insert(0, text)
    await store.append(notebookId, Y.encodeStateAsUpdate(doc, before))
  }
}

describe.each(DATABASE_KINDS)('document store on %s', (kind) => {
  let database: TestDatabase
  const logger = pino({ level: 'silent' })
  let seq = 0
  let workspaceId: string | undefined
  const newNotebook = async () => {
    const id = `doc-${kind}-${++seq}`
    workspaceId ??= await createMembers(database).workspace()
    await createNotebookRow(database, workspaceId, id)
    return id
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
  })
  afterAll(async () => {
    await database?.dispose()
  })

  it('loads exactly what was appended, in order', async () => {
    const store = new DocumentStore(database.db, logger)
    const notebookId = await newNotebook()
    const doc = new Y.Doc()
    await edit(store, notebookId, doc, 20, 'ab')
    const loaded = await store.load(notebookId)
    expect(loaded.doc.getText('source').toString()).toBe('ab'.repeat(20))
    expect(loaded.pendingUpdates).toBe(20)
    expect(loaded.problems).toEqual([])
  })

  it('keeps storage within a small multiple of the document through compaction', async () => {
    const store = new DocumentStore(database.db, logger, { compactAfterUpdates: 100 })
    const notebookId = await newNotebook()
    const doc = new Y.Doc()
    let lastSeq = '0'
    for (let batch = 0; batch < 20; batch++) {
      await edit(store, notebookId, doc, 100, 'z')
      const loaded = await store.load(notebookId)
      lastSeq = loaded.lastSeq
      if (store.shouldCompact(loaded.pendingUpdates, loaded.pendingBytes, loaded.snapshotBytes)) {
        await store.compact(notebookId, loaded.doc, lastSeq)
      }
    }
    const documentBytes = Y.encodeStateAsUpdate(doc).byteLength
    const stored = await store.storedBytes(notebookId)
    // Two snapshot generations plus one generation of log at most.
    expect(stored).toBeLessThan(documentBytes * 6 + 65_536)
    const loaded = await store.load(notebookId)
    expect(loaded.doc.getText('source').toString()).toBe('z'.repeat(2000))
  })

  it('skips a corrupted update, records the problem, and loads the rest', async () => {
    const store = new DocumentStore(database.db, logger)
    const notebookId = await newNotebook()
    const doc = new Y.Doc()
    await edit(store, notebookId, doc, 3, 'a')
    await database.db
      .insertInto('notebook_updates')
      .values({ notebook_id: notebookId, data: new Uint8Array([1, 200, 7, 7, 7, 9, 250, 1]) })
      .execute()
    await edit(store, notebookId, doc, 2, 'b')
    const loaded = await store.load(notebookId)
    expect(loaded.doc.getText('source').toString()).toBe('bbaaa')
    expect(loaded.problems).toEqual([expect.stringMatching(/^update \d+ is corrupted$/)])
    const recorded = await database.db
      .selectFrom('notebook_problems')
      .select(['kind', 'detail'])
      .where('notebook_id', '=', notebookId)
      .execute()
    expect(recorded).toEqual([{ kind: 'corrupted_data', detail: loaded.problems[0] }])
  })

  it('falls back to the previous snapshot when the latest one is corrupted', async () => {
    const store = new DocumentStore(database.db, logger)
    const notebookId = await newNotebook()
    const doc = new Y.Doc()
    await edit(store, notebookId, doc, 5, 'a')
    let loaded = await store.load(notebookId)
    await store.compact(notebookId, loaded.doc, loaded.lastSeq)
    await edit(store, notebookId, doc, 5, 'b')
    loaded = await store.load(notebookId)
    await store.compact(notebookId, loaded.doc, loaded.lastSeq)
    await database.db
      .updateTable('notebook_snapshots')
      .set({ data: new Uint8Array([9, 9, 9, 9]) })
      .where('notebook_id', '=', notebookId)
      .where('covers_seq', '=', loaded.lastSeq)
      .execute()
    const recovered = await store.load(notebookId)
    expect(recovered.doc.getText('source').toString()).toBe('bbbbbaaaaa')
    expect(recovered.problems).toEqual([expect.stringMatching(/^snapshot \d+ is corrupted$/)])
  })
})
