import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { CollabCloseCode } from '../src/collab/close-codes.ts'
import { decodeAck, encodeUpdate } from '../src/collab/protocol.ts'
import {
  authenticatedWebSocket,
  type CollabFixture,
  connectClient,
  createNotebookRow,
  eventually,
  startCollabFixture,
  type TestClient,
} from './support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'

function cellSources(client: TestClient): string[] {
  return client.notebook.cells.map((cell) => cell.getSource())
}

describe.each(DATABASE_KINDS)('live notebook documents on %s', (kind) => {
  let database: TestDatabase
  let fixture: CollabFixture
  const clients: TestClient[] = []
  const newNotebook = async () => {
    const id = randomUUID()
    await createNotebookRow(database, fixture.workspaceId, id)
    return id
  }
  const client = (notebookId: string, role: 'editor' | 'viewer' = 'editor', params: Record<string, string> = {}) => {
    const c = connectClient(fixture.notebooksUrl, notebookId, fixture.tokens[role], params)
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    fixture = await startCollabFixture(database)
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
  })
  afterAll(async () => {
    await fixture?.close()
    await database?.dispose()
  })

  it('syncs edits between collaborators and to a late joiner', async () => {
    const notebookId = await newNotebook()
    const alice = client(notebookId)
    const bob = client(notebookId)
    await Promise.all([alice.synced(), bob.synced()])
    alice.notebook.insertCell(0, { cell_type: 'code', source: 'SELECT 42' })
    alice.notebook.insertCell(1, { cell_type: 'markdown', source: '# Notes ✓' })
    await eventually(() => expect(cellSources(bob)).toEqual(['SELECT 42', '# Notes ✓']))
    bob.notebook.cells[0]?.updateSource(0, 0, '-- answer\n')
    await eventually(() => expect(cellSources(alice)[0]).toBe('-- answer\nSELECT 42'))

    const carol = client(notebookId)
    await carol.synced()
    await eventually(() => expect(cellSources(carol)).toEqual(['-- answer\nSELECT 42', '# Notes ✓']))
  })

  it('shares presence (awareness) between collaborators', async () => {
    const notebookId = await newNotebook()
    const alice = client(notebookId)
    const bob = client(notebookId)
    await Promise.all([alice.synced(), bob.synced()])
    alice.provider.awareness.setLocalStateField('user', { name: 'Alice', cursor: { cell: 0, offset: 3 } })
    await eventually(() => {
      const states = [...bob.provider.awareness.getStates().values()]
      expect(states).toContainEqual(
        expect.objectContaining({ user: { name: 'Alice', cursor: { cell: 0, offset: 3 } } }),
      )
    })
    alice.destroy()
    await eventually(() => {
      const names = [...bob.provider.awareness.getStates().values()].map((s) => s.user?.name)
      expect(names).not.toContain('Alice')
    })
  })

  it('sends viewers every update but rejects theirs', async () => {
    const notebookId = await newNotebook()
    const editor = client(notebookId)
    const viewer = client(notebookId, 'viewer')
    await Promise.all([editor.synced(), viewer.synced()])
    editor.notebook.insertCell(0, { cell_type: 'code', source: 'print(1)' })
    await eventually(() => expect(cellSources(viewer)).toEqual(['print(1)']))

    viewer.notebook.insertCell(1, { cell_type: 'code', source: 'import os; os.remove("/")' })
    // Stored state and the editor never get the viewer's cell.
    await new Promise((r) => setTimeout(r, 500))
    await fixture.collab.room(notebookId).then((room) => room.flush())
    expect(cellSources(editor)).toEqual(['print(1)'])
    const stored = await fixture.store.load(notebookId)
    expect(stored.doc.getArray('cells').length).toBe(1)

    // The viewer is told why, once, in the protocol's own permission-denied message.
    const raw = new (authenticatedWebSocket(fixture.tokens.viewer))(`${fixture.notebooksUrl}/${notebookId}/collab`)
    const messages: Buffer[] = []
    raw.on('message', (data: Buffer) => messages.push(data))
    await new Promise((resolve) => raw.once('open', resolve))
    const doc = new Y.Doc()
    doc.getArray('cells').push(['sneaky'])
    raw.send(encodeUpdate(Y.encodeStateAsUpdate(doc)))
    await eventually(() => expect(messages.some((m) => m[0] === 2 && m.toString().includes('read-only'))).toBe(true))
    raw.close()
  })

  it('refuses an unknown notebook and a user without access before upgrading', async () => {
    const attempt = (url: string, token?: string) =>
      new Promise<{ status: number }>((resolve) => {
        const ws = token ? new (authenticatedWebSocket(token))(url) : new WebSocket(url)
        ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }))
        ws.on('open', () => resolve({ status: 101 }))
      })
    const unknown = await attempt(`${fixture.notebooksUrl}/${randomUUID()}/collab`, fixture.tokens.editor)
    expect(unknown.status).toBe(404)
    const notebookId = await newNotebook()
    expect((await attempt(`${fixture.notebooksUrl}/${notebookId}/collab`)).status).toBe(401)
    expect((await attempt(`${fixture.notebooksUrl}/${notebookId}/collab`, fixture.tokens.outsider)).status).toBe(404)
    expect((await attempt(`${fixture.notebooksUrl}/${notebookId}/collab`, fixture.tokens.viewer)).status).toBe(101)
  })

  it('acknowledges an update only once it is stored', async () => {
    const notebookId = await newNotebook()
    const ws = new (authenticatedWebSocket(fixture.tokens.editor))(
      `${fixture.notebooksUrl}/${notebookId}/collab?acks=1`,
    )
    const acks: number[] = []
    ws.on('message', (data: Buffer) => {
      const ack = decodeAck(new Uint8Array(data))
      if (ack !== undefined) acks.push(ack)
    })
    await new Promise((resolve) => ws.once('open', resolve))
    const doc = new Y.Doc()
    doc.on('update', (update: Uint8Array) => ws.send(encodeUpdate(update)))
    for (let i = 0; i < 10; i++) doc.getArray<string>('cells').push([`cell ${i}`])
    await eventually(() => expect(acks.at(-1)).toBe(10))
    ws.close()
    const stored = await fixture.store.load(notebookId)
    expect(stored.doc.getArray('cells').toArray()).toEqual(Array.from({ length: 10 }, (_, i) => `cell ${i}`))
  })

  it('closes a connection that sends garbage, and stores nothing from it', async () => {
    const notebookId = await newNotebook()
    const ws = new (authenticatedWebSocket(fixture.tokens.editor))(`${fixture.notebooksUrl}/${notebookId}/collab`)
    await new Promise((resolve) => ws.once('open', resolve))
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    ws.send(Buffer.from([0, 2, 5, 0xff, 0xff, 0xff, 0xff, 0xff]))
    expect(await closed).toBe(CollabCloseCode.protocolError)
    const stored = await fixture.store.load(notebookId)
    expect(stored.lastSeq).toBe('0')
  })

  it('converges with no lost or duplicated cells through a reconnect storm of 20 clients', async () => {
    const notebookId = await newNotebook()
    const storm = Array.from({ length: 20 }, () => client(notebookId))
    await Promise.all(storm.map((c) => c.synced()))
    const rounds = 5
    for (let round = 0; round < rounds; round++) {
      storm.forEach((c, i) => {
        // Half the clients edit while offline, the other half while online, then everyone flips.
        if ((i + round) % 2 === 0) c.provider.disconnect()
        c.notebook.insertCell(c.notebook.cells.length, { cell_type: 'code', source: `client ${i} round ${round}` })
        if ((i + round) % 2 === 0) c.provider.connect()
      })
      await new Promise((r) => setTimeout(r, 100))
    }
    const expected = storm.flatMap((_, i) => Array.from({ length: rounds }, (_, r) => `client ${i} round ${r}`)).sort()
    await eventually(() => {
      for (const c of storm) expect([...cellSources(c)].sort()).toEqual(expected)
    }, 30_000)
    const order = cellSources(storm[0] as TestClient)
    for (const c of storm) expect(cellSources(c)).toEqual(order)
    const ids = (storm[0] as TestClient).notebook.cells.map((cell) => cell.id)
    expect(new Set(ids).size).toBe(ids.length)
    await (await fixture.collab.room(notebookId)).flush()
    const stored = await fixture.store.load(notebookId)
    expect(stored.doc.getArray('cells').length).toBe(expected.length)
  })
})
