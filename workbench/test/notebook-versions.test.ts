import type { ICodeCell, INotebookContent } from '@jupyterlab/nbformat'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { prepareImport } from '../src/notebooks/ipynb.ts'
import { type CollabFixture, connectClient, eventually, startCollabFixture, type TestClient } from './support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'
import { callApi } from './support/http.ts'

const code = (id: string, source: string, outputs: ICodeCell['outputs'] = []): ICodeCell => ({
  id,
  cell_type: 'code',
  source,
  metadata: {},
  outputs,
  execution_count: null,
})
const notebookOf = (...cells: INotebookContent['cells']): INotebookContent => ({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3' } },
  cells,
})
const sources = (client: TestClient) => client.notebook.cells.map((c) => c.getSource())

describe.each(DATABASE_KINDS)('notebook versions on %s', (kind) => {
  let database: TestDatabase
  let fixture: CollabFixture
  const clients: TestClient[] = []
  const api = (token: string, method: string, path: string, body?: unknown) =>
    callApi(fixture.baseUrl, token, method, `/workspaces/${fixture.workspaceId}/notebooks${path}`, body)
  const newNotebook = async (content: INotebookContent) =>
    (await fixture.notebooks.create(fixture.workspaceId, { name: 'versions', content })).id
  const client = (notebookId: string) => {
    const c = connectClient(fixture.notebooksUrl, notebookId, fixture.tokens.editor)
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    fixture = await startCollabFixture(database, {
      idleVersionMs: 300,
      versions: { keepAutomatic: 3, maxNamed: 2 },
    })
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
  })
  afterAll(async () => {
    await fixture?.close()
    await database?.dispose()
  })

  it('names versions (editors), lists them in pages and shows one as nbformat JSON (viewers)', async () => {
    const id = await newNotebook(notebookOf(code('a', 'x = 1')))
    const first = await api(fixture.tokens.editor, 'POST', `/${id}/versions`, { label: 'first draft' })
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({ kind: 'named', label: 'first draft', cellCount: 1 })
    expect(first.body.bytes).toBeGreaterThan(0)
    const refused = await api(fixture.tokens.viewer, 'POST', `/${id}/versions`, { label: 'nope' })
    expect(refused.status).toBe(403)

    const editor = client(id)
    await editor.synced()
    editor.notebook.insertCell(1, { cell_type: 'markdown', source: 'two' })
    await eventually(async () =>
      expect((await fixture.notebooks.content(fixture.workspaceId, id)).cells).toHaveLength(2),
    )
    const second = await api(fixture.tokens.editor, 'POST', `/${id}/versions`, { label: 'second' })
    expect(second.status).toBe(201)

    const page1 = await api(fixture.tokens.viewer, 'GET', `/${id}/versions?kind=named&limit=1`)
    expect(page1.status).toBe(200)
    expect(page1.body.total).toBe(2)
    expect(page1.body.items.map((v: { label: string }) => v.label)).toEqual(['second'])
    const page2 = await api(fixture.tokens.viewer, 'GET', `/${id}/versions?kind=named&limit=1&offset=1`)
    expect(page2.body.items.map((v: { label: string }) => v.label)).toEqual(['first draft'])

    const view = await api(fixture.tokens.viewer, 'GET', `/${id}/versions/${first.body.id}`)
    expect(view.status).toBe(200)
    expect(view.body.notebook.cells.map((c: { id: string; source: string }) => [c.id, c.source])).toEqual([
      ['a', 'x = 1'],
    ])
    expect(view.body.notebook.metadata.kernelspec.name).toBe('python3')

    // Bounded: a third named version is refused; unknown and foreign versions are 404.
    const third = await api(fixture.tokens.editor, 'POST', `/${id}/versions`, { label: 'third' })
    expect([third.status, third.body.code]).toEqual([409, 'version_limit'])
    const other = await newNotebook(notebookOf())
    expect((await api(fixture.tokens.viewer, 'GET', `/${other}/versions/${first.body.id}`)).status).toBe(404)
  })

  it('takes an automatic version once a document is quiet, and only when it changed', async () => {
    const id = await newNotebook(notebookOf(code('a', 'x = 1')))
    const editor = client(id)
    await editor.synced()
    editor.notebook.cells[0]?.updateSource(0, 0, '# edited\n')
    const autos = async () => (await api(fixture.tokens.viewer, 'GET', `/${id}/versions?kind=auto`)).body
    await eventually(async () => expect((await autos()).total).toBe(1))
    const [version] = (await autos()).items
    const view = await api(fixture.tokens.viewer, 'GET', `/${id}/versions/${version.id}`)
    expect(view.body.notebook.cells[0].source).toBe('# edited\nx = 1')

    // An edit that leaves the content as it was makes no new version.
    editor.notebook.cells[0]?.updateSource(0, 1, '#')
    await new Promise((r) => setTimeout(r, 1000))
    await fixture.collab.room(id).then((room) => room.flush())
    expect((await autos()).total).toBe(1)

    // Automatic kinds keep only the newest few (keepAutomatic = 3 here).
    for (let i = 0; i < 4; i++) {
      editor.notebook.cells[0]?.updateSource(0, 0, `${i}`)
      await fixture.collab.room(id).then((room) => room.flush())
      await eventually(async () =>
        expect((await fixture.notebooks.content(fixture.workspaceId, id)).cells[0]?.source).toMatch(
          new RegExp(`^${i}`),
        ),
      )
      await fixture.versions.create(id, { kind: 'pre-compile' })
    }
    const all = await api(fixture.tokens.viewer, 'GET', `/${id}/versions`)
    expect(all.body.items.filter((v: { kind: string }) => v.kind !== 'named')).toHaveLength(3)
  })

  it('returns the latest version instead of a duplicate before a compile when nothing changed', async () => {
    const id = await newNotebook(notebookOf(code('a', 'SELECT 1')))
    const a = await fixture.versions.create(id, { kind: 'pre-compile', userId: null })
    const b = await fixture.versions.create(id, { kind: 'pre-compile' })
    expect(b.id).toBe(a.id)
    expect(a.kind).toBe('pre-compile')
  })

  it('diffs cells by id: added, removed, moved, modified source as hunks, outputs with a summary', async () => {
    const id = await newNotebook(
      notebookOf(
        code('a', 'import pandas as pd'),
        code('b', 'df = load()\ndf.head()\nprint(len(df))', [{ output_type: 'stream', name: 'stdout', text: '10\n' }]),
        { id: 'c', cell_type: 'markdown', source: '# Gone', metadata: {} },
        code('e', 'done()'),
      ),
    )
    const base = await api(fixture.tokens.editor, 'POST', `/${id}/versions`, { label: 'base' })
    const editor = client(id)
    await editor.synced()
    const nb = editor.notebook
    nb.transact(() => {
      // b: change the middle line and its output; c: delete; d: add; a: move to the end.
      const b = nb.cells[1] as unknown as {
        updateSource(s: number, e: number, t: string): void
        setOutputs(o: unknown[]): void
      }
      b.updateSource(12, 21, 'df.tail()')
      b.setOutputs([
        { output_type: 'stream', name: 'stdout', text: '12\n' },
        { output_type: 'display_data', data: { 'image/png': 'iVBOR', 'text/plain': '<Figure>' }, metadata: {} },
      ])
      nb.deleteCell(2)
      nb.insertCell(3, { id: 'd', cell_type: 'code', source: 'new()' })
    })
    nb.moveCell(0, 3)
    await eventually(async () =>
      expect((await fixture.notebooks.content(fixture.workspaceId, id)).cells.map((c) => c.id)).toEqual([
        'b',
        'e',
        'd',
        'a',
      ]),
    )

    const diff = await api(fixture.tokens.viewer, 'GET', `/${id}/versions/diff?from=${base.body.id}&to=live`)
    expect(diff.status).toBe(200)
    const byId = Object.fromEntries(diff.body.cells.map((c: { cellId: string }) => [c.cellId, c]))
    expect(diff.body.summary).toMatchObject({ added: 1, removed: 1, modified: 1, moved: 1, outputsChanged: 1 })
    expect(byId.d).toMatchObject({ status: 'added', newIndex: 2, oldIndex: null })
    expect(byId.c).toMatchObject({ status: 'removed', oldIndex: 2, newIndex: null })
    expect(byId.a).toMatchObject({ status: 'unchanged', moved: true, oldIndex: 0, newIndex: 3 })
    expect(byId.e).toMatchObject({ status: 'unchanged', moved: false })
    expect(byId.b.status).toBe('modified')
    expect(byId.b.sourceHunks).toEqual([
      {
        oldStart: 1,
        oldLines: 3,
        newStart: 1,
        newLines: 3,
        lines: [' df = load()', '-df.head()', '+df.tail()', ' print(len(df))'],
      },
    ])
    expect(byId.b.outputs).toEqual({
      changed: true,
      summary: '1 output (stream) → 2 outputs (stream, display_data: image/png)',
    })

    // Between two versions too; a version against itself is all unchanged.
    const now = await api(fixture.tokens.editor, 'POST', `/${id}/versions`, { label: 'now' })
    const between = await api(
      fixture.tokens.viewer,
      'GET',
      `/${id}/versions/diff?from=${base.body.id}&to=${now.body.id}`,
    )
    expect(between.body.summary).toEqual(diff.body.summary)
    const same = await api(fixture.tokens.viewer, 'GET', `/${id}/versions/diff?from=${now.body.id}&to=${now.body.id}`)
    expect(same.body.summary).toMatchObject({ added: 0, removed: 0, modified: 0, moved: 0, unchanged: 4 })
  })

  it('restores a version into the live document: collaborators see it, it is stored, and it can be undone', async () => {
    const id = await newNotebook(notebookOf(code('a', 'first'), code('b', 'second')))
    const v1 = await api(fixture.tokens.editor, 'POST', `/${id}/versions`, { label: 'v1' })
    const alice = client(id)
    const bob = client(id)
    await Promise.all([alice.synced(), bob.synced()])
    alice.notebook.deleteCell(0)
    alice.notebook.insertCell(1, { id: 'z', cell_type: 'code', source: 'third' })
    await eventually(() => expect(sources(bob)).toEqual(['second', 'third']))

    expect((await api(fixture.tokens.viewer, 'POST', `/${id}/versions/${v1.body.id}/restore`)).status).toBe(403)
    const restored = await api(fixture.tokens.editor, 'POST', `/${id}/versions/${v1.body.id}/restore`)
    expect(restored.status).toBe(200)
    expect(restored.body.previous.kind).toBe('pre-restore')

    // Every collaborator receives the restore as an ordinary change…
    await eventually(() => expect(sources(alice)).toEqual(['first', 'second']))
    await eventually(() => expect(sources(bob)).toEqual(['first', 'second']))
    expect(alice.notebook.cells.map((c) => c.id)).toEqual(['a', 'b'])
    // …that is in the update log (a fresh load from storage has it)…
    const stored = await fixture.store.load(id)
    expect(stored.doc.getArray<{ get(k: string): unknown }>('cells').map((c) => String(c.get('id')))).toEqual([
      'a',
      'b',
    ])
    stored.doc.destroy()
    // …and editing continues on top of it.
    bob.notebook.cells[1]?.updateSource(0, 0, '# ')
    await eventually(() => expect(sources(alice)).toEqual(['first', '# second']))

    // Undo the restore by restoring the state it replaced.
    const undo = await api(fixture.tokens.editor, 'POST', `/${id}/versions/${restored.body.previous.id}/restore`)
    expect(undo.status).toBe(200)
    await eventually(() => expect(sources(bob)).toEqual(['second', 'third']))
    await eventually(() => expect(sources(alice)).toEqual(['second', 'third']))
  })

  it('keeps the exact text of numbers (1.0, -0.0, big integers) through a restore', async () => {
    const text = JSON.stringify(notebookOf(code('n', 'x = 1'))).replace(
      '"metadata":{}',
      '"metadata":{"weight":1.0,"zero":-0.0,"big":9007199254740993}',
    )
    const created = await fixture.notebooks.create(fixture.workspaceId, {
      name: 'exact',
      prepared: prepareImport(text),
    })
    const exported = () => fixture.notebooks.exportNotebook(fixture.workspaceId, created.id)
    expect(await exported()).toContain('"weight":1.0')
    const v1 = await fixture.versions.create(created.id, { kind: 'named', label: 'exact' })
    // The document is replaced by other content (numbers and all), then the version comes back.
    const editor = client(created.id)
    await editor.synced()
    editor.notebook.cells[0]?.setMetadata({ weight: 2 })
    await eventually(async () => expect(await exported()).toContain('"weight":2'))
    editor.destroy()
    await fixture.versions.restore(created.id, v1.id, null)
    const after = await exported()
    expect(after).toContain('"weight":1.0')
    expect(after).toContain('"zero":-0.0')
    expect(after).toContain('"big":9007199254740993')
  })

  it('restores a notebook nobody has open', async () => {
    const id = await newNotebook(notebookOf(code('a', 'old')))
    const v1 = await fixture.versions.create(id, { kind: 'named', label: 'old' })
    const editor = client(id)
    await editor.synced()
    editor.notebook.cells[0]?.updateSource(0, 3, 'new')
    await fixture.collab.room(id).then((room) => room.flush())
    editor.destroy()
    await fixture.versions.restore(id, v1.id, null)
    expect((await fixture.notebooks.content(fixture.workspaceId, id)).cells[0]?.source).toBe('old')
  })
})
