import { TABLE_MIME_TYPE } from '@workbench/kernels'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CellRunState } from '../../src/kernels/notebook-document.ts'
import { connectClient, eventually } from '../support/collab.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type LimitsStack, loneAccount, startLimitsStack } from './limits-stack.ts'

/** What an attacker makes `json_serialize_sql` answer: a query over an untagged table, so nothing is masked. */
const FAKE_TREE = "system.main.json_serialize_sql('SELECT id, note AS email FROM notes')"

/**
 * Macros shadowing every built-in the planner (lineage, masking, compile) and the server's introspection of a
 * workspace DuckDB (discovery, imports, profile) call. DuckDB resolves an unqualified name to a user macro first.
 */
const SHADOWS = [
  `CREATE OR REPLACE MACRO json_serialize_sql(q) AS ${FAKE_TREE}`,
  `CREATE OR REPLACE MACRO json_serialize_sql(q, skip_null := false) AS ${FAKE_TREE}`,
  "CREATE OR REPLACE MACRO duckdb_tables() AS TABLE SELECT * FROM system.main.duckdb_tables() WHERE table_name <> 'customers'",
  "CREATE OR REPLACE MACRO duckdb_columns() AS TABLE SELECT * FROM system.main.duckdb_columns() WHERE column_name <> 'email'",
  'CREATE OR REPLACE MACRO duckdb_views() AS TABLE SELECT * FROM system.main.duckdb_views() WHERE false',
  "CREATE OR REPLACE MACRO current_database() AS 'elsewhere'",
  'CREATE OR REPLACE MACRO approx_count_distinct(x) AS 0',
  'CREATE OR REPLACE MACRO stddev_samp(x) AS 0',
]
const EMAILS = ['jane.doe@example.com', 'bob@example.org']

/**
 * Finding 5 of issue 14: the scratch database was also the masking planner, so `CREATE OR REPLACE MACRO
 * json_serialize_sql(…)` from scratch made tagged emails land unmasked in a shared notebook. The planner is now a
 * private DuckDB, and the server names `system.main` built-ins on databases users write to.
 */
describe.each(DATABASE_KINDS)('the planner and introspection cannot be shadowed on %s', (kind) => {
  let stack: LimitsStack
  let workspace: string
  let admin: { token: string }
  let editor: { token: string }
  let viewer: { token: string }
  let outsider: { token: string }
  let sessionId: string
  const base = () => `/workspaces/${workspace}`
  const execute = async (code: string) => {
    const res = await stack.api(editor.token, 'POST', `${base()}/kernels/sessions/${sessionId}/execute`, {
      language: 'sql',
      code,
    })
    expect(res.status, code).toBe(200)
    const error = res.body.outputs.find((o: { output_type: string }) => o.output_type === 'error')
    expect(error, code).toBeUndefined()
    return res.body
  }
  const discover = async () => {
    const sources = await stack.api(viewer.token, 'GET', `${base()}/catalog/sources`)
    const started = await stack.api(admin.token, 'POST', `${base()}/catalog/sources/${sources.body[0].id}/discover`)
    expect(started.status).toBe(202)
    await eventually(async () => {
      const run = await stack.api(viewer.token, 'GET', `${base()}/catalog/runs/${started.body.runId}`)
      expect(run.body.status).toBe('succeeded')
    }, 30_000)
  }
  const asset = async (name: string) => {
    const found = await stack.api(viewer.token, 'GET', `${base()}/catalog/search?q=${name}`)
    return found.body.items.find((i: { name: string }) => i.name === name)
  }

  beforeAll(async () => {
    stack = await startLimitsStack(kind)
    workspace = await stack.members.workspace()
    admin = await stack.members.member(workspace, 'admin')
    editor = await stack.members.member(workspace, 'editor')
    viewer = await stack.members.member(workspace, 'viewer')
    outsider = await loneAccount(stack)
    const notebook = await stack.api(editor.token, 'POST', `${base()}/notebooks`, { name: 'setup' })
    const session = await stack.api(editor.token, 'POST', `${base()}/kernels/sessions`, {
      notebookId: notebook.body.id,
    })
    sessionId = session.body.id
    await execute(`CREATE TABLE customers (id INTEGER, email VARCHAR);
      INSERT INTO customers VALUES (1, '${EMAILS[0]}'), (2, '${EMAILS[1]}');
      CREATE TABLE notes (id INTEGER, note VARCHAR); INSERT INTO notes VALUES (1, 'n1'), (2, 'n2')`)
    await discover()
    const customers = await asset('customers')
    const tagged = await stack.api(editor.token, 'POST', `${base()}/catalog/assets/${customers.id}/tags`, {
      changes: [{ column: 'email', tag: 'PII.email', status: 'accepted' }],
    })
    expect(tagged.status).toBe(200)
  })
  afterAll(async () => {
    await stack?.dispose()
  })

  /** Runs SQL cells of a new shared notebook as the editor; answers the first cell's output as a viewer sees it. */
  const runShared = async (cells: Record<string, string>) => {
    const created = await stack.api(editor.token, 'POST', `${base()}/notebooks`, { name: 'shared' })
    const notebookId = created.body.id as string
    const wsUrl = `${stack.wb.url.replace('http', 'ws')}/api${base()}/notebooks`
    const author = connectClient(wsUrl, notebookId, editor.token)
    const reader = connectClient(wsUrl, notebookId, viewer.token)
    try {
      await author.synced()
      author.notebook.insertCells(
        0,
        Object.entries(cells).map(([id, source]) => ({
          id,
          cell_type: 'code' as const,
          source: `%%sql\n${source}`,
          metadata: { workbench: { type: 'sql', connection: 'duckdb' } },
        })),
      )
      const ids = Object.keys(cells)
      await eventually(async () => {
        const run = await stack.api(editor.token, 'POST', `${base()}/notebooks/${notebookId}/execution/run`, {
          cellIds: ids,
        })
        expect(run.status).toBe(202)
        expect(run.body.queued).toEqual(ids)
      })
      await reader.synced()
      const state = (id: string) => reader.notebook.ydoc.getMap<CellRunState>('execution').get(id)?.state
      await eventually(() => expect(ids.map(state)).toEqual(ids.map(() => 'ok')), 60_000)
      const output = reader.notebook.cells[0]?.toJSON().outputs as { data: Record<string, any>; metadata: any }[]
      return { output: output[0], document: JSON.stringify(reader.notebook.toJSON()) }
    } finally {
      author.destroy()
      reader.destroy()
    }
  }
  const expectMasked = (shared: Awaited<ReturnType<typeof runShared>>) => {
    expect(shared.output?.data[TABLE_MIME_TYPE].rows).toEqual([
      [1, 'j***@example.com'],
      [2, 'b***@example.org'],
    ])
    expect(shared.output?.metadata.masked).toEqual(['email'])
    for (const email of EMAILS) expect(shared.document).not.toContain(email)
  }
  const upstream = async (table: string, column: string) => {
    await discover()
    const found = await asset(table)
    expect(found).toBeDefined()
    const graph = await stack.api(
      viewer.token,
      'GET',
      `${base()}/catalog/assets/${found.id}/lineage?column=${column}&direction=upstream`,
    )
    expect(graph.status).toBe(200)
    return graph.body.edges.map((e: { from: string; to: string }) => `${e.from} -> ${e.to}`)
  }

  it('shadowing macros from scratch (any account) change neither masking in the shared document nor lineage', async () => {
    for (const token of [outsider.token, editor.token])
      for (const sql of [
        ...SHADOWS,
        'CREATE OR REPLACE MACRO min(x) AS NULL',
        'CREATE OR REPLACE MACRO max(x) AS NULL',
      ]) {
        const res = await stack.api(token, 'POST', '/sql/scratch', { sql })
        expect(res.status, `${sql}: ${JSON.stringify(res.body)}`).toBe(200)
      }
    expectMasked(
      await runShared({
        plain: 'SELECT id, email FROM customers ORDER BY id',
        derive: 'CREATE TABLE leads AS SELECT id, lower(email) AS addr FROM customers',
      }),
    )
    await eventually(async () =>
      expect(await upstream('leads', 'addr')).toEqual(['main.customers.email -> main.leads.addr']),
    )
  })

  it('shadowing macros in the workspace database change neither discovery, masking nor lineage', async () => {
    for (const sql of SHADOWS) await execute(sql)
    // The shadows are real: user SQL on the workspace database sees them.
    expect((await execute('SELECT current_database() AS db')).outputs[0].data[TABLE_MIME_TYPE].rows).toEqual([
      ['elsewhere'],
    ])
    // Discovery again: customers keeps its tagged email column (introspection names system.main).
    await discover()
    const customers = await asset('customers')
    expect(customers).toBeDefined()
    const detail = await stack.api(viewer.token, 'GET', `${base()}/catalog/assets/${customers.id}`)
    expect(detail.body.columns.map((c: { name: string }) => c.name)).toContain('email')
    expectMasked(
      await runShared({
        plain: 'SELECT id, email FROM customers ORDER BY id',
        derive: 'CREATE TABLE contacts AS SELECT id, upper(email) AS mail FROM customers',
      }),
    )
    await eventually(async () =>
      expect(await upstream('contacts', 'mail')).toEqual(['main.customers.email -> main.contacts.mail']),
    )
  })

  it('pipeline compile parses on the private planner too', async () => {
    // The editor's scratch macros (above) are in the editor's own scratch database only.
    const parsed = await stack.api(editor.token, 'POST', '/sql/scratch', {
      sql: "SELECT json_serialize_sql('SELECT email FROM customers') LIKE '%notes%' AS poisoned",
    })
    expect(parsed.body.rows).toEqual([[true]])
    const created = await stack.api(editor.token, 'POST', `${base()}/notebooks`, { name: 'compile' })
    const notebookId = created.body.id as string
    const wsUrl = `${stack.wb.url.replace('http', 'ws')}/api${base()}/notebooks`
    const author = connectClient(wsUrl, notebookId, editor.token)
    try {
      await author.synced()
      author.notebook.insertCells(0, [
        {
          id: 'a',
          cell_type: 'code',
          source: '%%sql\nCREATE TABLE derived AS SELECT id, email FROM customers',
          metadata: { workbench: { type: 'sql', connection: 'duckdb' } },
        },
      ])
      await eventually(async () => {
        const compiled = await stack.api(editor.token, 'POST', `${base()}/notebooks/${notebookId}/compile-pipeline`, {})
        expect(compiled.status).toBe(200)
        const steps = JSON.stringify(compiled.body.steps)
        expect(steps).toContain('customers')
        expect(steps).not.toContain('notes')
      })
    } finally {
      author.destroy()
    }
  })
})
