import type { INotebookContent } from '@jupyterlab/nbformat'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type CollabFixture, connectClient, eventually, startCollabFixture, type TestClient } from './support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'
import { callApi } from './support/http.ts'

const notebook: INotebookContent = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    { id: 'intro', cell_type: 'markdown', source: '# Month end', metadata: {} },
    {
      id: 'query',
      cell_type: 'code',
      source: 'SELECT account, SUM(amount) FROM gl GROUP BY 1',
      metadata: {},
      outputs: [],
      execution_count: null,
    },
    { id: 'notes', cell_type: 'markdown', source: 'Checked by finance', metadata: {} },
  ],
}

describe.each(DATABASE_KINDS)('notebook comments on %s', (kind) => {
  let database: TestDatabase
  let fixture: CollabFixture
  let other: { userId: string; token: string }
  const clients: TestClient[] = []
  const api = (token: string, method: string, path: string, body?: unknown) =>
    callApi(fixture.baseUrl, token, method, `/workspaces/${fixture.workspaceId}/notebooks${path}`, body)
  const newNotebook = async () =>
    (await fixture.notebooks.create(fixture.workspaceId, { name: 'gl', content: notebook })).id
  const client = (notebookId: string, role: 'editor' | 'viewer' = 'editor') => {
    const c = connectClient(fixture.notebooksUrl, notebookId, fixture.tokens[role])
    clients.push(c)
    return c
  }
  const threads = async (id: string, query = '') =>
    (await api(fixture.tokens.viewer, 'GET', `/${id}/comments${query}`)).body.threads

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    fixture = await startCollabFixture(database)
    other = await fixture.members.member(fixture.workspaceId, 'editor')
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
  })
  afterAll(async () => {
    await fixture?.close()
    await database?.dispose()
  })

  it('threads on a cell and a text range that follows edits; replies, resolve, reopen, mentions', async () => {
    const id = await newNotebook()
    const start = 'SELECT account, '.length
    const created = await api(fixture.tokens.editor, 'POST', `/${id}/comments`, {
      cellId: 'query',
      body: 'Should this exclude closing entries?',
      range: { from: start, to: start + 'SUM(amount)'.length },
      mentions: [other.userId],
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      cellId: 'query',
      cellIndex: 1,
      orphaned: false,
      resolved: false,
      range: { from: start, to: start + 11, quote: 'SUM(amount)', followedBy: 'positions' },
    })
    expect(created.body.comments[0]).toMatchObject({
      body: 'Should this exclude closing entries?',
      mentions: [other.userId],
    })
    const threadId = created.body.id

    // Someone types before the range: it moves with the text.
    const editor = client(id)
    await editor.synced()
    editor.notebook.cells[1]?.updateSource(0, 0, '-- GL totals\n')
    await eventually(async () => {
      const [thread] = await threads(id)
      expect(thread.range).toMatchObject({ from: start + 13, quote: 'SUM(amount)', followedBy: 'positions' })
    })

    // Viewers may comment too (reviewing is what comments are for).
    const reply = await api(fixture.tokens.viewer, 'POST', `/${id}/comments/${threadId}/replies`, {
      body: 'Yes, filter them.',
    })
    expect(reply.status).toBe(201)
    expect(reply.body.comments.map((c: { body: string }) => c.body)).toEqual([
      'Should this exclude closing entries?',
      'Yes, filter them.',
    ])

    const resolved = await api(other.token, 'POST', `/${id}/comments/${threadId}/resolve`)
    expect(resolved.body).toMatchObject({ resolved: true, resolvedBy: other.userId })
    expect(await threads(id, '?status=open')).toEqual([])
    expect(await threads(id, '?status=resolved')).toHaveLength(1)
    const reopened = await api(fixture.tokens.editor, 'POST', `/${id}/comments/${threadId}/reopen`)
    expect(reopened.body).toMatchObject({ resolved: false, resolvedAt: null })

    // Mentions are limited to workspace members, with a clear error naming the others.
    const outsiderId = (await fixture.members.member(await fixture.members.workspace(), 'owner')).userId
    const bad = await api(fixture.tokens.editor, 'POST', `/${id}/comments/${threadId}/replies`, {
      body: 'ping',
      mentions: [other.userId, outsiderId, 'not-a-user'],
    })
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('mention_not_member')
    expect(bad.body.details.notMembers).toEqual([outsiderId, 'not-a-user'])
    expect((await threads(id))[0].comments).toHaveLength(2)

    // Unknown cells and ranges outside the source are refused.
    const unknown = await api(fixture.tokens.editor, 'POST', `/${id}/comments`, { cellId: 'nope', body: 'x' })
    expect([unknown.status, unknown.body.code]).toEqual([400, 'unknown_cell'])
    const outside = await api(fixture.tokens.editor, 'POST', `/${id}/comments`, {
      cellId: 'intro',
      body: 'x',
      range: { from: 2, to: 999 },
    })
    expect([outside.status, outside.body.code]).toEqual([400, 'invalid_range'])
  })

  it('lets authors alone edit and delete their comments; a thread with none left goes', async () => {
    const id = await newNotebook()
    const created = await api(fixture.tokens.editor, 'POST', `/${id}/comments`, { cellId: 'intro', body: 'Typo' })
    const threadId = created.body.id
    const commentId = created.body.comments[0].id
    const path = `/${id}/comments/${threadId}/comments/${commentId}`

    const notMine = await api(other.token, 'PATCH', path, { body: 'hijacked' })
    expect([notMine.status, notMine.body.code]).toEqual([403, 'not_comment_author'])
    expect((await api(other.token, 'DELETE', path)).status).toBe(403)

    const edited = await api(fixture.tokens.editor, 'PATCH', path, {
      body: 'Typo in the title',
      mentions: [other.userId],
    })
    expect(edited.status).toBe(200)
    expect(edited.body.comments[0]).toMatchObject({ body: 'Typo in the title', mentions: [other.userId] })
    expect(edited.body.comments[0].editedAt).not.toBeNull()

    const reply = await api(other.token, 'POST', `/${id}/comments/${threadId}/replies`, { body: 'Fixed' })
    expect((await api(fixture.tokens.editor, 'DELETE', path)).status).toBe(204)
    const [thread] = await threads(id)
    expect(thread.comments.map((c: { body: string; deleted: boolean }) => [c.body, c.deleted])).toEqual([
      ['', true],
      ['Fixed', false],
    ])
    const replyId = reply.body.comments[1].id
    expect((await api(other.token, 'DELETE', `/${id}/comments/${threadId}/comments/${replyId}`)).status).toBe(204)
    expect(await threads(id)).toEqual([])
    expect((await api(other.token, 'POST', `/${id}/comments/${threadId}/replies`, { body: 'x' })).status).toBe(404)
  })

  it('keeps threads on their cell across moves, and reports a deleted cell’s threads as orphaned', async () => {
    const id = await newNotebook()
    const editor = client(id)
    await editor.synced()
    const onQuery = await api(fixture.tokens.editor, 'POST', `/${id}/comments`, {
      cellId: 'query',
      body: 'Group by month too?',
      range: { from: 0, to: 6 },
    })
    await api(fixture.tokens.editor, 'POST', `/${id}/comments`, { cellId: 'notes', body: 'Who checked?' })

    // Move the commented cell to the top in the live document (YNotebook recreates the cell, same id).
    editor.notebook.moveCell(1, 0)
    await eventually(async () => {
      const [thread] = await threads(id)
      expect(thread).toMatchObject({ id: onQuery.body.id, cellId: 'query', cellIndex: 0, orphaned: false })
      // The range is found again by its text, since the moved cell's text is new.
      expect(thread.range).toMatchObject({ from: 0, to: 6, quote: 'SELECT' })
    })

    // Delete the other cell: its thread is still listed, marked orphaned.
    editor.notebook.deleteCell(2)
    await eventually(async () => {
      const [, orphan] = await threads(id)
      expect(orphan).toMatchObject({ cellId: 'notes', cellIndex: null, orphaned: true })
      expect(orphan.comments[0].body).toBe('Who checked?')
    })
  })

  it('tells connected collaborators about comment changes through the document (comments-rev)', async () => {
    const id = await newNotebook()
    const watcher = client(id, 'viewer')
    await watcher.synced()
    const revisions: unknown[] = []
    const map = watcher.notebook.ydoc.getMap('comments-rev')
    map.observe(() => revisions.push(map.get('rev')))

    const created = await api(other.token, 'POST', `/${id}/comments`, { cellId: 'intro', body: 'Nice' })
    await eventually(() =>
      expect(revisions.at(-1)).toEqual({ rev: 1, threadId: created.body.id, action: 'created', by: other.userId }),
    )
    await api(fixture.tokens.editor, 'POST', `/${id}/comments/${created.body.id}/resolve`)
    await eventually(() => expect(revisions.at(-1)).toMatchObject({ rev: 2, action: 'resolved' }))
    // The bump is an ordinary stored change: a late joiner sees the latest revision.
    const late = client(id)
    await late.synced()
    expect(late.notebook.ydoc.getMap('comments-rev').get('rev')).toMatchObject({ rev: 2 })
  })
})
