import { randomUUID } from 'node:crypto'
import type { YCodeCell } from '@jupyter/ydoc'
import { TABLE_MIME_TYPE } from '@workbench/kernels'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestJupyterServer } from '../../../kernels/test/support/jupyter-server.ts'
import type { CellRunState } from '../../src/kernels/notebook-document.ts'
import { connectClient, createNotebookRow, eventually, type TestClient } from '../support/collab.ts'
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

const EMAILS = ['jane.doe@example.com', 'bob@example.org', 'cy@example.net']
/** What must never reach a viewer: the clear emails, and the parts of them a derived table keeps. */
const SECRETS = [...EMAILS, 'jane.doe', '"bob"', 'cy@']

/**
 * One masking rule on every path a viewer (no unmask) reads: a table a notebook derived from a tagged column
 * (`leads.handle` = the part of `customers.email` before the @, recorded through lineage) is masked in the catalog
 * preview, the profile, the notebook's result grid pages and its CSV export, and never leaves as Parquet.
 */
describe.each(DATABASE_KINDS)('PII masking of derived tables on every read path on %s', (kind) => {
  let database: TestDatabase
  let f: KernelFixture
  let client: TestClient
  let leadsId = ''
  const notebookId = randomUUID()
  const base = () => `/workspaces/${f.workspaceId}/catalog`

  const table = (cellId: string) => {
    const cell = client.notebook.cells.find((c) => c.id === cellId) as YCodeCell | undefined
    const output = cell?.getOutputs().at(-1) as unknown as { data: Record<string, any> }
    return output.data[TABLE_MIME_TYPE]
  }
  const resultUrl = (cellId: string) => {
    const session = f.sessions.findForNotebook(f.workspaceId, notebookId)
    return `/workspaces/${f.workspaceId}/kernels/sessions/${session?.id}/results/${encodeURIComponent(table(cellId).resultId)}`
  }
  const leaks = (value: unknown) => SECRETS.filter((s) => JSON.stringify(value).includes(s))

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    f = await startKernelFixture(database, NO_JUPYTER, {}, {}, undefined, { catalog: true })
    const catalog = f.catalog
    if (!catalog) throw new Error('the fixture has no catalog')
    const duckdb = await f.databases.get(f.workspaceId)
    await duckdb.query('CREATE TABLE customers (id INTEGER, email VARCHAR, spend DOUBLE)')
    await duckdb.query(
      `INSERT INTO customers VALUES (1, '${EMAILS[0]}', 10.5), (2, '${EMAILS[1]}', 20), (3, '${EMAILS[2]}', 7)`,
    )
    await catalog.startDiscovery(f.workspaceId, await catalog.workspaceSource(f.workspaceId), null)
    await catalog.idle()
    const customers = (await f.api('viewer', 'GET', `${base()}/search?q=customers`)).body.items[0]
    const accepted = await f.api('editor', 'POST', `${base()}/assets/${customers.id}/tags`, {
      changes: [{ column: 'email', tag: 'PII.email', status: 'accepted' }],
    })
    expect(accepted.status).toBe(200)

    await createNotebookRow(database, f.workspaceId, notebookId)
    const author = connectClient(f.notebooksUrl, notebookId, f.tokens.editor)
    await author.synced()
    author.notebook.insertCells(0, [
      // Nothing in `handle` looks like an email by value: only lineage knows where it comes from.
      sqlCell('derive', "CREATE TABLE leads AS SELECT id, split_part(email, '@', 1) AS handle, spend FROM customers"),
      sqlCell('read', 'SELECT id, handle FROM leads ORDER BY id'),
    ])
    await eventually(async () => {
      const room = await f.collab.room(notebookId)
      await room.flush()
      expect(room.doc.getArray('cells').length).toBe(2)
    })
    author.destroy()
    client = connectClient(f.notebooksUrl, notebookId, f.tokens.viewer)
    await client.synced()
    const run = await f.api('editor', 'POST', `/workspaces/${f.workspaceId}/notebooks/${notebookId}/execution/run`, {
      cellIds: ['derive', 'read'],
    })
    expect(run.status).toBe(202)
    const state = (id: string) => client.notebook.ydoc.getMap<CellRunState>('execution').get(id)?.state
    await eventually(() => expect(['derive', 'read'].map(state)).toEqual(['ok', 'ok']), 60_000)
    // The cell wrote a table: the catalog rediscovers the workspace DuckDB by itself (no button, no hourly run).
    await eventually(async () => {
      await catalog.idle()
      const found = await f.api('viewer', 'GET', `${base()}/search?q=leads`)
      expect(found.body.items.map((i: { name: string }) => i.name)).toEqual(['leads'])
      leadsId = found.body.items[0].id
    }, 30_000)
  })
  afterAll(async () => {
    client?.destroy()
    await f?.close()
    await database?.dispose()
  })

  it('the catalog preview of the derived table masks the derived column, as the notebook does', async () => {
    const preview = await f.api('viewer', 'GET', `${base()}/assets/${leadsId}/preview`)
    expect(preview.status).toBe(200)
    expect(preview.body.masked).toEqual(['handle'])
    expect(preview.body.rows.map((r: unknown[]) => r[1])).toEqual(['***', '***', '***'])
    expect(leaks(preview.body)).toEqual([])
    const random = await f.api('viewer', 'GET', `${base()}/assets/${leadsId}/preview?mode=random`)
    expect(leaks(random.body)).toEqual([])
    // Without the unmask capability, asking is refused; the admin may, and it is audited.
    expect((await f.api('editor', 'GET', `${base()}/assets/${leadsId}/preview?unmask=true`)).status).toBe(403)
    const clear = await f.api('admin', 'GET', `${base()}/assets/${leadsId}/preview?unmask=true`)
    expect(clear.body.rows.map((r: unknown[]) => r[1]).sort()).toEqual(['bob', 'cy', 'jane.doe'])
  })

  it('the profile (computed and cached) masks min, max and top values of the derived column', async () => {
    const computed = await f.api('editor', 'POST', `${base()}/assets/${leadsId}/profile`)
    expect(computed.status).toBe(200)
    const handle = computed.body.columns.find((c: { name: string }) => c.name === 'handle')
    expect([handle.min, handle.max, ...handle.topValues.map((t: { value: string }) => t.value)]).toEqual(
      Array(5).fill('***'),
    )
    const cached = await f.api('viewer', 'GET', `${base()}/assets/${leadsId}/profile`)
    expect(leaks(cached.body)).toEqual([])
    // Untagged columns keep their statistics.
    expect(cached.body.columns.find((c: { name: string }) => c.name === 'spend').max).toBe('20.0')
  })

  it('the notebook grid, its pages and its CSV export mask it; Parquet export is refused', async () => {
    expect(leaks(client.notebook.toJSON())).toEqual([])
    const page = await f.api('viewer', 'POST', `${resultUrl('read')}/page`, { offset: 0, limit: 10 })
    expect(page.body).toMatchObject({ masked: ['handle'], unmasked: false })
    expect(leaks(page.body)).toEqual([])
    const csv = await f.api('viewer', 'GET', `${resultUrl('read')}/export?format=csv`)
    expect(csv).toMatchObject({ status: 200, body: 'id,handle\r\n1,***\r\n2,***\r\n3,***\r\n' })
    const parquet = await f.api('viewer', 'GET', `${resultUrl('read')}/export?format=parquet`)
    expect(parquet).toMatchObject({ status: 403, body: { code: 'masked_export_csv_only' } })
  })

  it('search never answers with values: a clear email finds nothing', async () => {
    const found = await f.api('viewer', 'GET', `${base()}/search?q=${encodeURIComponent('jane.doe example')}`)
    expect(found.status).toBe(200)
    expect(found.body.total).toBe(0)
    const all = await f.api('viewer', 'GET', `${base()}/search?q=`)
    expect(leaks(all.body)).toEqual([])
  })
})
