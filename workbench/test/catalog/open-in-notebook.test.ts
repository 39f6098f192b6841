import { randomUUID } from 'node:crypto'
import type { YCodeCell } from '@jupyter/ydoc'
import { discover, ensureSource } from '@workbench/catalog'
import { TABLE_MIME_TYPE } from '@workbench/kernels'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
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

describe.each(DATABASE_KINDS)('open a catalog asset in a notebook on %s', (kind) => {
  let database: TestDatabase
  let f: KernelFixture
  let assetId = ''
  const cellPath = () => `/workspaces/${f.workspaceId}/catalog/assets/${assetId}/notebook-cell`

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    f = await startKernelFixture(database, NO_JUPYTER, {}, {}, undefined, { catalog: true })
    const duckdb = await f.databases.get(f.workspaceId)
    await duckdb.query(`CREATE TABLE "Order Lines" (id INTEGER, qty INTEGER)`)
    await duckdb.query(`INSERT INTO "Order Lines" VALUES (1, 5), (2, 7)`)
    const catalog = f.catalog
    if (!catalog) throw new Error('the fixture has no catalog')
    await catalog.startDiscovery(f.workspaceId, await catalog.workspaceSource(f.workspaceId), null)
    await catalog.idle()
    const search = await f.api('viewer', 'GET', `/workspaces/${f.workspaceId}/catalog/search?q=order`)
    assetId = search.body.items.find((i: { name: string }) => i.name === 'Order Lines').id
  })
  afterAll(async () => {
    await f?.close()
    await database?.dispose()
  })

  it('appends a SQL cell to an open notebook: a connected collaborator sees it live, and it runs', async () => {
    const notebookId = randomUUID()
    await createNotebookRow(database, f.workspaceId, notebookId, 'Orders analysis')
    const author = connectClient(f.notebooksUrl, notebookId, f.tokens.editor)
    await author.synced()
    author.notebook.insertCells(0, [{ cell_type: 'markdown', source: '# Orders' }])
    const watcher = connectClient(f.notebooksUrl, notebookId, f.tokens.viewer)
    await watcher.synced()
    await eventually(() => expect(watcher.notebook.cells.length).toBe(1))

    const added = await f.api('editor', 'POST', cellPath(), { notebookId })
    expect(added.status).toBe(201)
    expect(added.body).toMatchObject({
      notebookId,
      notebookName: 'Orders analysis',
      created: false,
      connection: 'duckdb',
      source: '%%sql\nSELECT * FROM "main"."Order Lines" LIMIT 100',
    })
    // Live: the collaborator's document gets the cell at the end, with its SQL-cell metadata.
    await eventually(() => {
      const cells = watcher.notebook.cells
      expect(cells.map((c) => c.cell_type)).toEqual(['markdown', 'code'])
      expect(cells[1]?.id).toBe(added.body.cellId)
      expect(cells[1]?.getSource()).toBe(added.body.source)
      expect(cells[1]?.getMetadata()).toMatchObject({ workbench: { type: 'sql', connection: 'duckdb' } })
    })
    // Stored like any edit: a copy loaded from storage has it.
    await (await f.collab.room(notebookId)).flush()
    const stored = await f.store.load(notebookId)
    const ids = stored.doc
      .getArray<Y.Map<unknown>>('cells')
      .toArray()
      .map((c) => c.get('id'))
    stored.doc.destroy()
    expect(ids.at(-1)).toBe(added.body.cellId)

    const run = `/workspaces/${f.workspaceId}/notebooks/${notebookId}/execution/run`
    expect((await f.api('editor', 'POST', run, { cellIds: [added.body.cellId] })).status).toBe(202)
    const state = () => watcher.notebook.ydoc.getMap<CellRunState>('execution').get(added.body.cellId)?.state
    await eventually(() => expect(state()).toBe('ok'), 60_000)
    const cell = watcher.notebook.cells[1] as YCodeCell
    const data = cell.getOutputs()[0]?.data as Record<string, any> | undefined
    expect(data?.[TABLE_MIME_TYPE].rows).toEqual([
      [1, 5],
      [2, 7],
    ])
    author.destroy()
    watcher.destroy()
  })

  it('without a notebook, creates one named after the asset with the cell in it', async () => {
    const added = await f.api('editor', 'POST', cellPath(), {})
    expect(added).toMatchObject({ status: 201, body: { created: true, notebookName: 'Explore main.Order Lines' } })
    const list = await f.api('viewer', 'GET', `/workspaces/${f.workspaceId}/notebooks`)
    expect(list.body.items.map((n: { id: string }) => n.id)).toContain(added.body.notebookId)
    const reader = connectClient(f.notebooksUrl, added.body.notebookId, f.tokens.viewer)
    await reader.synced()
    expect(reader.notebook.cells.map((c) => c.getSource())).toEqual([added.body.source])
    reader.destroy()
  })

  it('an asset of a MySQL connection gets a cell on that connection, with MySQL quoting', async () => {
    const catalog = f.catalog
    if (!catalog) throw new Error('the fixture has no catalog')
    const [connection] = await database.db
      .insertInto('connections')
      .values({ workspace_id: f.workspaceId, name: 'Shop', type: 'mysql', params: {}, secret_fields: '[]' })
      .returning('id')
      .execute()
    const connectionId = connection?.id ?? ''
    const sourceId = await ensureSource(catalog.db, {
      workspaceId: f.workspaceId,
      kind: 'connection',
      name: 'Shop',
      connectionId,
    })
    const columns = [{ name: 'id', type: 'int', nullable: false, comment: null, ordinal: 1 }]
    await discover(catalog.db, {
      workspaceId: f.workspaceId,
      sourceId,
      source: {
        kind: 'mysql',
        dialect: 'mysql',
        introspect: async function* () {
          yield { schema: 'shop', name: 'odd`name', kind: 'table' as const, comment: null, rowEstimate: 1, columns }
        },
      },
    })
    const asset = await catalog.db
      .selectFrom('catalog_assets')
      .select('id')
      .where('source_id', '=', sourceId)
      .executeTakeFirstOrThrow()
    const added = await f.api(
      'editor',
      'POST',
      `/workspaces/${f.workspaceId}/catalog/assets/${asset.id}/notebook-cell`,
      {},
    )
    expect(added).toMatchObject({
      status: 201,
      body: { connection: connectionId, source: '%%sql\nSELECT * FROM `shop`.`odd``name` LIMIT 100' },
    })
    const reader = connectClient(f.notebooksUrl, added.body.notebookId, f.tokens.viewer)
    await reader.synced()
    expect(reader.notebook.cells[0]?.getMetadata()).toMatchObject({
      workbench: { type: 'sql', connection: connectionId },
    })
    reader.destroy()
  })

  it('is for editors: a viewer gets 403; unknown assets and notebooks of other workspaces are 404', async () => {
    const notebookId = randomUUID()
    await createNotebookRow(database, f.workspaceId, notebookId)
    expect((await f.api('viewer', 'POST', cellPath(), { notebookId })).status).toBe(403)
    expect((await f.api('outsider', 'POST', cellPath(), { notebookId })).status).toBe(404)
    const unknownAsset = `/workspaces/${f.workspaceId}/catalog/assets/${randomUUID()}/notebook-cell`
    expect((await f.api('editor', 'POST', unknownAsset, { notebookId })).status).toBe(404)
    const elsewhere = randomUUID()
    const other = await database.db.insertInto('workspaces').values({ name: 'other' }).returning('id').execute()
    await createNotebookRow(database, other[0]?.id ?? '', elsewhere)
    expect((await f.api('editor', 'POST', cellPath(), { notebookId: elsewhere })).status).toBe(404)
    // Nothing was added to the notebook the viewer tried.
    const reader = connectClient(f.notebooksUrl, notebookId, f.tokens.viewer)
    await reader.synced()
    expect(reader.notebook.cells).toHaveLength(0)
    reader.destroy()
  })
})
