import type { INotebookContent } from '@jupyterlab/nbformat'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CollabCloseCode } from '../src/collab/close-codes.ts'
import { type CollabFixture, connectClient, eventually, startCollabFixture, type TestClient } from './support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'
import { callApi } from './support/http.ts'

const notebook: INotebookContent = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [{ id: 'a', cell_type: 'code', source: 'x = 1', metadata: {}, outputs: [], execution_count: null }],
}

describe.each(DATABASE_KINDS)('membership changes reach live documents on %s', (kind) => {
  let database: TestDatabase
  let fixture: CollabFixture
  let admin: { userId: string; token: string }
  const clients: TestClient[] = []
  const members = (method: string, userId: string, body?: unknown) =>
    callApi(fixture.baseUrl, admin.token, method, `/workspaces/${fixture.workspaceId}/members/${userId}`, body)
  const client = (notebookId: string, token: string) => {
    const c = connectClient(fixture.notebooksUrl, notebookId, token)
    clients.push(c)
    return c
  }
  const closeCodes = (c: TestClient) => {
    const codes: number[] = []
    c.provider.on('connection-close', (event: { code: number } | null) => {
      if (event) codes.push(event.code)
    })
    return codes
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    fixture = await startCollabFixture(database)
    admin = await fixture.members.member(fixture.workspaceId, 'admin')
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
  })
  afterAll(async () => {
    await fixture?.close()
    await database?.dispose()
  })

  it('disconnects a member removed from the workspace, and keeps them out', async () => {
    const id = (await fixture.notebooks.create(fixture.workspaceId, { name: 'n', content: notebook })).id
    const leaving = await fixture.members.member(fixture.workspaceId, 'editor')
    const staying = client(id, fixture.tokens.editor)
    const removed = client(id, leaving.token)
    await Promise.all([staying.synced(), removed.synced()])
    const codes = closeCodes(removed)

    expect((await members('DELETE', leaving.userId)).status).toBe(204)
    await eventually(() => expect(codes).toContain(CollabCloseCode.accessRevoked))
    // The client's reconnection attempts are refused before the upgrade; its edits go nowhere.
    removed.notebook.cells[0]?.updateSource(0, 0, '# sneaky\n')
    staying.notebook.cells[0]?.updateSource(0, 0, '# legit\n')
    await fixture.collab.room(id).then((room) => room.flush())
    await new Promise((r) => setTimeout(r, 800))
    expect(removed.provider.wsconnected).toBe(false)
    const stored = await fixture.notebooks.content(fixture.workspaceId, id)
    expect(stored.cells[0]?.source).toBe('# legit\nx = 1')
    // Others stay connected.
    expect(staying.provider.wsconnected).toBe(true)
  })

  it('makes a member downgraded to viewer read-only while connected', async () => {
    const id = (await fixture.notebooks.create(fixture.workspaceId, { name: 'n', content: notebook })).id
    const demoted = await fixture.members.member(fixture.workspaceId, 'editor')
    const watcher = client(id, fixture.tokens.editor)
    const subject = client(id, demoted.token)
    await Promise.all([watcher.synced(), subject.synced()])
    subject.notebook.cells[0]?.updateSource(0, 0, '# before\n')
    await eventually(() => expect(watcher.notebook.cells[0]?.getSource()).toBe('# before\nx = 1'))

    const changed = await members('PATCH', demoted.userId, { role: 'viewer' })
    expect(changed.status).toBe(200)
    subject.notebook.cells[0]?.updateSource(0, 0, '# after\n')
    watcher.notebook.cells[0]?.updateSource(0, 0, '# watcher\n')
    // The demoted member still receives everyone's edits…
    await eventually(() => expect(subject.notebook.cells[0]?.getSource()).toContain('# watcher\n'))
    await new Promise((r) => setTimeout(r, 800))
    await fixture.collab.room(id).then((room) => room.flush())
    // …but theirs are refused: neither stored nor sent to others.
    expect(watcher.notebook.cells[0]?.getSource()).toBe('# watcher\n# before\nx = 1')
    const stored = await fixture.notebooks.content(fixture.workspaceId, id)
    expect(stored.cells[0]?.source).toBe('# watcher\n# before\nx = 1')
    expect(subject.provider.wsconnected).toBe(true)
  })
})
