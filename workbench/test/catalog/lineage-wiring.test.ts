import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestJupyterServer } from '../../../kernels/test/support/jupyter-server.ts'
import type { CellRunState } from '../../src/kernels/notebook-document.ts'
import { connectClient, createNotebookRow, eventually } from '../support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { type KernelFixture, startKernelFixture } from '../support/kernels.ts'

/** DuckDB SQL cells never start Python, so no Jupyter server is needed (nor reached) here. */
const NO_JUPYTER: TestJupyterServer = {
  baseUrl: 'http://127.0.0.1:9',
  token: 'unused',
  rootDir: '',
  stop: async () => {},
}

const sqlCell = (id: string, source: string) => ({
  id,
  cell_type: 'code' as const,
  source: `%%sql\n${source}`,
  metadata: { workbench: { type: 'sql', connection: 'duckdb' } },
})

describe.each(DATABASE_KINDS)('catalog lineage of notebook SQL cells on %s', (kind) => {
  let database: TestDatabase
  let f: KernelFixture

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    f = await startKernelFixture(database, NO_JUPYTER, {}, {}, undefined, { catalog: true })
  })
  afterAll(async () => {
    await f?.close()
    await database?.dispose()
  })

  it('a cell run through the execution API records column lineage and usage with the notebook as producer', async () => {
    const notebookId = randomUUID()
    await createNotebookRow(database, f.workspaceId, notebookId, 'Weekly revenue')
    const author = connectClient(f.notebooksUrl, notebookId, f.tokens.editor)
    await author.synced()
    author.notebook.insertCells(0, [
      sqlCell('src', 'CREATE TABLE s AS SELECT 1 AS a, 2 AS b, 3 AS c'),
      sqlCell('derive', 'CREATE TABLE t2 AS SELECT a, b + c AS d FROM s'),
      // Runs fine but is not analysed for lineage (a note, not an error): the cell stays ok.
      sqlCell('touch', 'UPDATE t2 SET d = d WHERE a = 1'),
    ])
    await eventually(async () => {
      const room = await f.collab.room(notebookId)
      await room.flush()
      expect(room.doc.getArray('cells').length).toBe(3)
    })
    const path = `/workspaces/${f.workspaceId}/notebooks/${notebookId}/execution/run`
    expect((await f.api('editor', 'POST', path, { cellIds: ['src', 'derive', 'touch'] })).status).toBe(202)
    const state = (id: string) => author.notebook.ydoc.getMap<CellRunState>('execution').get(id)?.state
    await eventually(() => expect(['src', 'derive', 'touch'].map(state)).toEqual(['ok', 'ok', 'ok']), 60_000)

    // The workspace DuckDB is discovered, so t2 is an asset with a lineage page.
    const catalog = f.catalog
    if (!catalog) throw new Error('the fixture has no catalog')
    await catalog.startDiscovery(f.workspaceId, await catalog.workspaceSource(f.workspaceId), null)
    await catalog.idle()
    const base = `/workspaces/${f.workspaceId}/catalog`
    const hit = (await f.api('viewer', 'GET', `${base}/search?q=t2`)).body.items.find((i: any) => i.name === 't2')
    expect(hit).toBeDefined()

    await eventually(async () => {
      const graph = await f.api('viewer', 'GET', `${base}/assets/${hit.id}/lineage?column=d&direction=upstream`)
      expect(graph.status).toBe(200)
      const edges = graph.body.edges.map((e: any) => `${e.from} -> ${e.to}`).sort()
      expect(edges).toEqual(['main.s.b -> main.t2.d', 'main.s.c -> main.t2.d'])
      for (const e of graph.body.edges)
        expect(e.producers).toEqual([{ kind: 'notebook', id: notebookId, version: expect.stringMatching(/^seq:\d+$/) }])
    })
    const a = await f.api('viewer', 'GET', `${base}/assets/${hit.id}/lineage?column=a&direction=upstream`)
    expect(a.body.edges.map((e: any) => `${e.from} -> ${e.to}`)).toEqual(['main.s.a -> main.t2.a'])
    // Nodes carry their catalog asset, so the page links to it.
    const s = (await f.api('viewer', 'GET', `${base}/search?q=s`)).body.items.find((i: any) => i.name === 's')
    expect(a.body.nodes.map((n: any) => `${n.id}:${n.assetId}`).sort()).toEqual([
      `main.s.a:${s.id}`,
      `main.t2.a:${hit.id}`,
    ])

    // Usage follows: the notebook wrote t2 and read s, and t2's usage count ranks it in search. It names the notebook.
    const usage = await f.api('viewer', 'GET', `${base}/assets/${hit.id}/usage`)
    expect(usage.body).toEqual([
      expect.objectContaining({ kind: 'notebook', id: notebookId, name: 'Weekly revenue', mode: 'write', count: 1 }),
    ])
    await eventually(async () => {
      const again = (await f.api('viewer', 'GET', `${base}/search?q=t2`)).body.items.find((i: any) => i.name === 't2')
      expect(again.usageCount).toBe(1)
    })
    author.destroy()
  })

  it('a failing lineage hook never fails nor holds up the cells', async () => {
    const seen: string[] = []
    const broken = await startKernelFixture(database, NO_JUPYTER, {}, {}, undefined, {
      onSqlExecuted: (event) => {
        seen.push(event.cellId)
        if (event.cellId === 'one') throw new Error('catalog down')
        return new Promise<void>(() => {}) // never settles
      },
    })
    try {
      const notebookId = randomUUID()
      await createNotebookRow(database, broken.workspaceId, notebookId)
      const author = connectClient(broken.notebooksUrl, notebookId, broken.tokens.editor)
      await author.synced()
      author.notebook.insertCells(0, [sqlCell('one', 'SELECT 1 AS x'), sqlCell('two', 'SELECT 2 AS y')])
      await eventually(async () => {
        const room = await broken.collab.room(notebookId)
        await room.flush()
        expect(room.doc.getArray('cells').length).toBe(2)
      })
      const path = `/workspaces/${broken.workspaceId}/notebooks/${notebookId}/execution/run`
      expect((await broken.api('editor', 'POST', path, { cellIds: ['one', 'two'] })).status).toBe(202)
      const state = (id: string) => author.notebook.ydoc.getMap<CellRunState>('execution').get(id)?.state
      await eventually(() => expect(['one', 'two'].map(state)).toEqual(['ok', 'ok']), 60_000)
      await eventually(() => expect(seen).toEqual(['one', 'two']))
      author.destroy()
    } finally {
      await broken.close()
    }
  })
})
