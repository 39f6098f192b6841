import { randomUUID } from 'node:crypto'
import type { YCodeCell } from '@jupyter/ydoc'
import { discover, duckdbParser, ensureSource, planResultMasking, postgresSource, setTags } from '@workbench/catalog'
import { TABLE_MIME_TYPE } from '@workbench/kernels'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import { PostgresKernel } from '@workbench/kernels/postgres'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import * as Y from 'yjs'
import type { TestJupyterServer } from '../../../kernels/test/support/jupyter-server.ts'
import type { CellRunState } from '../../src/kernels/notebook-document.ts'
import { ConnectionUnavailableError } from '../../src/kernels/session-manager.ts'
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

const CELLS = {
  plain: 'SELECT id, email, last_name FROM customers ORDER BY id',
  aliased: 'SELECT email AS e, upper(email) AS x, id FROM customers ORDER BY id',
  unnamed: "SELECT upper(email), 'k' || id AS k FROM customers c ORDER BY id",
  joined: `WITH src AS (SELECT id, email FROM customers)
           SELECT s.id, (SELECT max(email) FROM customers) AS top, s.email AS contact FROM src s ORDER BY s.id`,
  untagged: 'SELECT id, last_name, spend FROM customers ORDER BY id',
  summary: 'SUMMARIZE customers',
  sameCell: 'CREATE TABLE contacts AS SELECT id, email AS mail FROM customers; SELECT * FROM contacts ORDER BY id',
  derive: 'CREATE TABLE leads AS SELECT id, lower(email) AS addr FROM customers',
  fromDerived: 'SELECT addr, id FROM leads ORDER BY id',
  returning:
    'CREATE TABLE kept (id INTEGER, email VARCHAR); INSERT INTO kept SELECT id, email FROM customers RETURNING email',
}

describe.each(DATABASE_KINDS)('SQL results of PII-tagged columns on %s', (kind) => {
  let database: TestDatabase
  let f: KernelFixture
  let client: TestClient
  const notebookId = randomUUID()
  /** A schema of the test PostgreSQL, reached through the workspace connection `pg` (unique per suite). */
  const CRM = `crm_${randomUUID().slice(0, 8)}`
  const REMOTE_CELLS = {
    remote: `SELECT p.id, lower(p.email) AS contact FROM ${CRM}.people p ORDER BY p.id`,
  }

  const output = (cellId: string) => {
    const cell = client.notebook.cells.find((c) => c.id === cellId) as YCodeCell | undefined
    return cell?.getOutputs().at(-1) as unknown as { data: Record<string, any>; metadata: Record<string, any> }
  }
  const table = (cellId: string) => output(cellId).data[TABLE_MIME_TYPE]
  const resultUrl = (cellId: string) => {
    const session = f.sessions.findForNotebook(f.workspaceId, notebookId)
    return `/workspaces/${f.workspaceId}/kernels/sessions/${session?.id}/results/${encodeURIComponent(table(cellId).resultId)}`
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    f = await startKernelFixture(
      database,
      NO_JUPYTER,
      {},
      {},
      async (_workspaceId, connectionId) => {
        if (connectionId !== 'pg') throw new ConnectionUnavailableError(connectionId)
        return PostgresKernel.start({ connection: { connectionString: inject('postgresUrl') } })
      },
      { catalog: true },
    )
    const duckdb = await f.databases.get(f.workspaceId)
    await duckdb.query('CREATE TABLE customers (id INTEGER, email VARCHAR, last_name VARCHAR, spend DOUBLE)')
    await duckdb.query(`INSERT INTO customers VALUES
      (1, 'jane.doe@example.com', 'Doe', 10.5), (2, 'bob@example.org', 'Roe', 20), (3, 'cy@example.net', 'Poe', NULL)`)
    const catalog = f.catalog
    if (!catalog) throw new Error('the fixture has no catalog')
    await catalog.startDiscovery(f.workspaceId, await catalog.workspaceSource(f.workspaceId), null)
    await catalog.idle()
    const search = await f.api('viewer', 'GET', `/workspaces/${f.workspaceId}/catalog/search?q=customers`)
    const asset = search.body.items.find((i: { name: string }) => i.name === 'customers')
    const tagged = await f.api('editor', 'POST', `/workspaces/${f.workspaceId}/catalog/assets/${asset.id}/tags`, {
      changes: [{ column: 'email', tag: 'PII.email', status: 'accepted' }],
    })
    expect(tagged.status).toBe(200)

    // A connection source: PostgreSQL people with a tagged email, discovered into the catalog as connection `pg`.
    const remote = new pg.Client({ connectionString: inject('postgresUrl') })
    await remote.connect()
    try {
      await remote.query(`CREATE SCHEMA ${CRM}; CREATE TABLE ${CRM}.people (id int, email text);
        INSERT INTO ${CRM}.people VALUES (1, 'Ann@Corp.io'), (2, 'bo@corp.io')`)
      const pgSource = await ensureSource(catalog.db, {
        workspaceId: f.workspaceId,
        kind: 'connection',
        name: 'CRM',
        connectionId: 'pg',
      })
      const source = postgresSource(async (text, params) => (await remote.query(text, params)).rows)
      expect(await discover(catalog.db, { workspaceId: f.workspaceId, sourceId: pgSource, source })).toMatchObject({
        status: 'succeeded',
      })
      const people = await catalog.db
        .selectFrom('catalog_assets')
        .select('id')
        .where('source_id', '=', pgSource)
        .where('schema_name', '=', CRM)
        .executeTakeFirstOrThrow()
      await setTags(catalog.db, people.id, [{ column: 'email', tag: 'PII.email', status: 'accepted' }], null)
    } finally {
      await remote.end()
    }

    await createNotebookRow(database, f.workspaceId, notebookId)
    client = connectClient(f.notebooksUrl, notebookId, f.tokens.viewer)
    const author = connectClient(f.notebooksUrl, notebookId, f.tokens.editor)
    await author.synced()
    author.notebook.insertCells(0, [
      ...Object.entries(CELLS).map(([id, sql]) => sqlCell(id, sql)),
      // Run on its own: a failing cell stops the rest of its run.
      sqlCell('castError', "SELECT id FROM customers WHERE email::INTEGER > 0 AND email LIKE 'j%'"),
      ...Object.entries(REMOTE_CELLS).map(([id, sql]) => ({
        ...sqlCell(id, sql),
        metadata: { workbench: { type: 'sql', connection: 'pg' } },
      })),
    ])
    await eventually(async () => {
      const room = await f.collab.room(notebookId)
      await room.flush()
      expect(room.doc.getArray('cells').length).toBe(Object.keys(CELLS).length + Object.keys(REMOTE_CELLS).length + 1)
    })
    author.destroy()
    await client.synced()
    const ids = [...Object.keys(CELLS), ...Object.keys(REMOTE_CELLS)]
    const run = await f.api('editor', 'POST', `/workspaces/${f.workspaceId}/notebooks/${notebookId}/execution/run`, {
      cellIds: ids,
    })
    expect(run.status).toBe(202)
    const state = (id: string) => client.notebook.ydoc.getMap<CellRunState>('execution').get(id)?.state
    await eventually(() => expect(ids.map(state)).toEqual(ids.map(() => 'ok')), 60_000)
  })
  afterAll(async () => {
    const remote = new pg.Client({ connectionString: inject('postgresUrl') })
    await remote.connect()
    await remote.query(`DROP SCHEMA IF EXISTS ${CRM} CASCADE`).finally(() => remote.end())
    client?.destroy()
    await f?.close()
    await database?.dispose()
  })

  it('the shared document never carries the values of a tagged column, and says which columns are masked', async () => {
    expect(table('plain').rows).toEqual([
      [1, 'j***@example.com', 'Doe'],
      [2, 'b***@example.org', 'Roe'],
      [3, 'c***@example.net', 'Poe'],
    ])
    expect(output('plain').metadata.masked).toEqual(['email'])
    expect(output('plain').data['text/plain']).toContain('j***@example.com')
    // Nothing in the whole document (first pages, text renderings, stats) has a clear email, as every client gets it.
    const everything = JSON.stringify(client.notebook.toJSON())
    for (const email of ['jane.doe@example.com', 'bob@example.org', 'cy@example.net'])
      expect(everything).not.toContain(email)
    // The server's copy (what is stored) is the same document.
    const room = await f.collab.room(notebookId)
    expect(Buffer.from(Y.encodeStateAsUpdate(room.doc)).toString('latin1')).not.toContain('jane.doe')
  })

  it('aliases, expressions, CTEs and scalar subqueries over a tagged column are masked; untagged columns are not', () => {
    expect(table('aliased').rows[0]).toEqual(['j***@example.com', 'J***@EXAMPLE.COM', 1])
    expect(output('aliased').metadata.masked).toEqual(['e', 'x'])
    expect(table('unnamed').rows[0]).toEqual(['J***@EXAMPLE.COM', 'k1'])
    expect(output('unnamed').metadata.masked).toEqual(['upper(email)'])
    expect(output('joined').metadata.masked).toEqual(['top', 'contact'])
    expect(table('joined').rows[0]).toEqual([1, 'j***@example.com', 'j***@example.com'])
    expect(table('untagged').rows).toEqual([
      [1, 'Doe', 10.5],
      [2, 'Roe', 20],
      [3, 'Poe', null],
    ])
    expect(output('untagged').metadata.masked).toBeUndefined()
    // SUMMARIZE shows min and max of every column: it is not analysed, so every column is masked.
    expect(JSON.stringify(table('summary').rows)).not.toContain('@example.')
    expect(output('summary').metadata.masked.length).toBe(table('summary').columns.length)
  })

  it('tables computed from a tagged column, in the same cell or by an earlier one (recorded lineage), are masked', () => {
    expect(output('sameCell').metadata.masked).toEqual(['mail'])
    expect(table('sameCell').rows[0]).toEqual([1, 'j***@example.com'])
    expect(output('fromDerived').metadata.masked).toEqual(['addr'])
    expect(table('fromDerived').rows[0]).toEqual(['j***@example.com', 1])
  })

  it('a cell on a connection resolves its tables against that connection’s catalog source', async () => {
    expect(output('remote').metadata.masked).toEqual(['contact'])
    expect(table('remote').rows).toEqual([
      [1, 'a***@corp.io'],
      [2, 'b***@corp.io'],
    ])
    expect(table('remote').resultId).toMatch(/^c:pg:/)
    const page = await f.api('viewer', 'POST', `${resultUrl('remote')}/page`, { offset: 1 })
    expect(page.body).toMatchObject({ rows: [[2, 'b***@corp.io']], masked: ['contact'] })
    // Connection results could not be exported; masked ones can, as CSV read through the page API.
    const csv = await f.api('viewer', 'GET', `${resultUrl('remote')}/export?format=csv`)
    expect(csv).toMatchObject({ status: 200, body: 'id,contact\r\n1,a***@corp.io\r\n2,b***@corp.io\r\n' })
    // The same table name on the workspace DuckDB is another table: nothing there is tagged.
    const plan = await f.catalog?.planResultMasking({
      workspaceId: f.workspaceId,
      connection: 'duckdb',
      sql: `SELECT email FROM ${CRM}.people`,
    })
    expect(plan?.tagsFor(['email'])).toEqual([[]])
  })

  it('RETURNING rows of a write and the error messages of a cell reading a tagged table are masked too', async () => {
    expect(JSON.stringify(output('returning'))).not.toContain('jane.doe')
    expect(output('returning').metadata.masked).toEqual(['email'])
    const run = await f.api('editor', 'POST', `/workspaces/${f.workspaceId}/notebooks/${notebookId}/execution/run`, {
      cellIds: ['castError'],
    })
    expect(run.status).toBe(202)
    const state = () => client.notebook.ydoc.getMap<CellRunState>('execution').get('castError')?.state
    await eventually(() => expect(state()).toBe('error'), 60_000)
    const error = output('castError') as unknown as { ename: string; evalue: string; traceback: string[] }
    expect(error.evalue).toContain("'***'")
    expect(JSON.stringify(error)).not.toContain('@example')
  })

  it('paging and export mask for an editor without unmask, who may neither unmask nor filter on the column', async () => {
    const page = await f.api('editor', 'POST', `${resultUrl('plain')}/page`, { offset: 1, limit: 10 })
    expect(page.status).toBe(200)
    expect(page.body).toMatchObject({ masked: ['email'], unmasked: false })
    expect(page.body.rows).toEqual([
      [2, 'b***@example.org', 'Roe'],
      [3, 'c***@example.net', 'Poe'],
    ])
    const sorted = await f.api('viewer', 'POST', `${resultUrl('aliased')}/page`, {
      sort: [{ column: 'id', descending: true }],
    })
    expect(sorted.body.rows[0]).toEqual(['c***@example.net', 'C***@EXAMPLE.NET', 3])

    const unmask = await f.api('editor', 'POST', `${resultUrl('plain')}/page?unmask=true`, {})
    expect(unmask).toMatchObject({ status: 403, body: { code: 'unmask_not_allowed' } })
    const probe = await f.api('editor', 'POST', `${resultUrl('plain')}/page`, {
      filter: [{ column: 'email', op: 'contains', value: 'jane' }],
    })
    expect(probe).toMatchObject({ status: 403, body: { code: 'masked_column_filter' } })
    const byId = await f.api('editor', 'POST', `${resultUrl('plain')}/page`, {
      filter: [{ column: 'id', op: '=', value: 1 }],
    })
    expect(byId.body.rows).toEqual([[1, 'j***@example.com', 'Doe']])

    const csv = await f.api('editor', 'GET', `${resultUrl('plain')}/export?format=csv`)
    expect(csv.status).toBe(200)
    expect(csv.body).toBe(
      'id,email,last_name\r\n1,j***@example.com,Doe\r\n2,b***@example.org,Roe\r\n3,c***@example.net,Poe\r\n',
    )
    const parquet = await f.api('editor', 'GET', `${resultUrl('plain')}/export?format=parquet`)
    expect(parquet).toMatchObject({ status: 403, body: { code: 'masked_export_csv_only' } })

    // An untagged result pages and exports as it always did.
    const clear = await f.api('viewer', 'POST', `${resultUrl('untagged')}/page`, { limit: 1 })
    expect(clear.body).toMatchObject({ rows: [[1, 'Doe', 10.5]], masked: [] })
  })

  it('a workspace admin gets clear values on request, and every such read is audited', async () => {
    const before = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'kernels.results.unmasked')
      .execute()
    expect(before).toHaveLength(0)
    const masked = await f.api('admin', 'POST', `${resultUrl('plain')}/page`, { limit: 1 })
    expect(masked.body.rows).toEqual([[1, 'j***@example.com', 'Doe']])
    const page = await f.api('admin', 'POST', `${resultUrl('plain')}/page?unmask=true`, {
      filter: [{ column: 'email', op: 'contains', value: 'jane' }],
    })
    expect(page.status).toBe(200)
    expect(page.body).toMatchObject({ rows: [[1, 'jane.doe@example.com', 'Doe']], masked: [], unmasked: true })
    const csv = await f.api('admin', 'GET', `${resultUrl('plain')}/export?format=csv&unmask=true`)
    expect(csv.body).toContain('jane.doe@example.com')
    const audit = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'kernels.results.unmasked')
      .execute()
    expect(audit).toHaveLength(2)
    expect(audit[0]).toMatchObject({ workspace_id: f.workspaceId, outcome: 'success' })
    expect(audit.map((a) => a.resource).sort()).toEqual([
      expect.stringMatching(/^export of result .* \(columns email\)$/),
      expect.stringMatching(/^page of result .* \(columns email\)$/),
    ])
  })

  it('SQL that cannot be parsed masks the columns named like tagged columns of the tables it mentions', async () => {
    const scratch = await DuckdbDatabase.open({ path: ':memory:', sandboxed: true })
    try {
      const catalog = f.catalog
      if (!catalog) throw new Error('the fixture has no catalog')
      const sourceId = await catalog.workspaceSource(f.workspaceId)
      const plan = await planResultMasking(
        catalog.db,
        duckdbParser((q, o) => scratch.query(q, o)),
        {
          workspaceId: f.workspaceId,
          sourceIds: [sourceId],
          sql: 'SELECT id, email, lower(email) AS l FROM customers WHERE (',
          defaultSchema: 'main',
        },
      )
      expect(plan.tagsFor(['id', 'EMAIL', 'l'])).toEqual([[], ['PII.email'], []])
      expect(plan.notes.join(' ')).toContain('could not be parsed')
      // A query that does not mention a tagged table masks nothing, parsed or not.
      const other = await planResultMasking(
        catalog.db,
        duckdbParser((q, o) => scratch.query(q, o)),
        {
          workspaceId: f.workspaceId,
          sourceIds: [sourceId],
          sql: 'SELECT email FROM leads WHERE (',
          defaultSchema: 'main',
        },
      )
      expect(other.tagsFor(['email'])).toEqual([[]])
    } finally {
      scratch.close()
    }
  })
})
