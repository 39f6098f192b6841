import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type CollabFixture,
  connectClient,
  createNotebookRow,
  eventually,
  startCollabFixture,
} from './support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'

describe.each(DATABASE_KINDS)('server-side writers of live documents on %s', (kind) => {
  let database: TestDatabase
  let fixture: CollabFixture

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    fixture = await startCollabFixture(database, { server: { unloadDelayMs: 100 } })
  })
  afterAll(async () => {
    await fixture?.close()
    await database?.dispose()
  })

  it('keeps a held document loaded when every client leaves, stores its changes, and unloads it once released', async () => {
    const notebookId = randomUUID()
    await createNotebookRow(database, fixture.workspaceId, notebookId)
    // Opened by the server with nobody connected.
    const { room, release } = await fixture.collab.hold(notebookId)
    expect(fixture.collab.loadedDocuments).toContain(notebookId)

    const client = connectClient(fixture.notebooksUrl, notebookId, fixture.tokens.viewer)
    await client.synced()
    await room.change((doc) => doc.getMap('kernel').set('status', 'busy'))
    await eventually(() => expect(client.notebook.ydoc.getMap('kernel').get('status')).toBe('busy'))
    client.destroy()
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(fixture.collab.loadedDocuments).toContain(notebookId)

    await room.change((doc) => doc.getMap('kernel').set('status', 'idle'))
    release()
    await eventually(() => expect(fixture.collab.loadedDocuments).not.toContain(notebookId))
    const stored = await fixture.store.load(notebookId)
    expect(stored.doc.getMap('kernel').get('status')).toBe('idle')
  })
})
