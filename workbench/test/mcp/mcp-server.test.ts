import path from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOOLS } from '../../src/mcp/mcp-server.ts'
import { eventually } from '../support/collab.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { EMAILS, type McpStack, startMcpStack } from './mcp-stack.ts'

type ToolAnswer = { isError?: boolean; structuredContent?: any; content: { type: string; text?: string }[] }

const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as ToolAnswer

/** The whole answer as the model would read it: no masked value may appear anywhere in it. */
const everything = (answer: unknown) => JSON.stringify(answer)

/**
 * Issue 19: the MCP server at /mcp, driven by the SDK's own client over Streamable HTTP against a real
 * workbench. Tools go through the REST routes with the caller's credential, so roles, token scopes, the
 * workspace wall, masking and audit are the API's own.
 */
describe.each(DATABASE_KINDS)('the MCP server over Streamable HTTP (%s)', (kind) => {
  let m: McpStack
  let viewer: Client
  let editor: Client
  let readOnlyEditor: Client
  let outsider: Client

  beforeAll(async () => {
    m = await startMcpStack(kind)
    viewer = await m.client(m.tokens.viewer)
    editor = await m.client(m.tokens.editorWrite)
    readOnlyEditor = await m.client(m.tokens.editorRead)
    outsider = await m.client(m.tokens.outsider)
  })
  afterAll(async () => {
    await m?.dispose()
  })

  it('lists every tool with a JSON-schema object input, and says which ones only read', async () => {
    const { tools } = await viewer.listTools()
    expect(tools.map((t) => t.name)).toEqual(TOOLS.map((t) => t.name))
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object')
      expect(tool.description?.length).toBeGreaterThan(20)
    }
    const search = tools.find((t) => t.name === 'search_catalog')
    expect(search?.annotations?.readOnlyHint).toBe(true)
    expect(search?.inputSchema.required).toContain('workspaceId')
    expect(tools.find((t) => t.name === 'run_cells')?.annotations?.readOnlyHint).toBe(false)
  })

  it('finds, describes and previews a catalogued table, with personal data masked for a viewer', async () => {
    const workspaces = await call(viewer, 'list_workspaces', {})
    expect(workspaces.structuredContent.workspaces.map((w: { id: string }) => w.id)).toContain(m.workspace)

    const found = await call(viewer, 'search_catalog', { workspaceId: m.workspace, q: 'customers' })
    expect(found.isError).toBeFalsy()
    expect(found.structuredContent.items.map((i: { name: string }) => i.name)).toContain('customers')
    expect(found.structuredContent).toHaveProperty('nextOffset')

    const described = await call(viewer, 'describe_table', { workspaceId: m.workspace, assetId: m.customersAssetId })
    expect(described.isError, everything(described)).toBeFalsy()
    const email = described.structuredContent.asset.columns.find((c: { name: string }) => c.name === 'email')
    expect(everything(email)).toContain('PII.email')

    const preview = await call(viewer, 'preview_table', { workspaceId: m.workspace, assetId: m.customersAssetId })
    expect(preview.isError, everything(preview)).toBeFalsy()
    expect(preview.structuredContent.rows).toHaveLength(3)
    for (const address of EMAILS) expect(everything(preview)).not.toContain(address)
    // The cities are not personal data: they come through as they are.
    expect(everything(preview)).toContain('Lyon')
  })

  it('table_stats counts rows, nulls and distinct values of a table, with min and max of personal data masked', async () => {
    const stats = await call(editor, 'table_stats', { workspaceId: m.workspace, assetId: m.customersAssetId })
    expect(stats.isError, everything(stats)).toBeFalsy()
    expect(stats.structuredContent).toMatchObject({ name: 'customers', rows: 3 })
    type Stat = { name: string; nulls: number; distinct: number; min: string | null; max: string | null }
    const byName: Record<string, Stat> = Object.fromEntries(
      (stats.structuredContent.columns as Stat[]).map((c) => [c.name, c]),
    )
    expect(byName.id).toMatchObject({ nulls: 0, distinct: 3, min: '1', max: '3' })
    expect(byName.city).toMatchObject({ nulls: 0, distinct: 3, min: 'Lyon', max: 'Paris' })
    expect(byName.email?.distinct).toBe(3)
    expect(byName.email?.min).not.toBeNull()
    for (const address of EMAILS) expect(everything(stats)).not.toContain(address)
    // A viewer reads the statistics last computed, masked the same way.
    const seen = await call(viewer, 'table_stats', { workspaceId: m.workspace, assetId: m.customersAssetId })
    expect(seen.isError, everything(seen)).toBeFalsy()
    expect(seen.structuredContent.rows).toBe(3)
    expect(seen.structuredContent.computedAt).toBe(stats.structuredContent.computedAt)
    for (const address of EMAILS) expect(everything(seen)).not.toContain(address)
  })

  it('run_sql reads catalogued tables read-only, masks personal data, pages, and refuses anything else', async () => {
    const ws = m.workspace
    const counted = await call(viewer, 'run_sql', {
      workspaceId: ws,
      sql: 'WITH c AS (SELECT * FROM customers) SELECT city, count(*) AS n FROM c GROUP BY city ORDER BY city',
    })
    expect(counted.isError, everything(counted)).toBeFalsy()
    expect(counted.structuredContent).toMatchObject({
      // BIGINT counts arrive exactly, as strings (DuckDB's JSON form for 64-bit integers).
      rows: [
        ['Lyon', '1'],
        ['Nice', '1'],
        ['Paris', '1'],
      ],
      tables: ['main.customers'],
      nextOffset: null,
    })

    const emails = await call(viewer, 'run_sql', {
      workspaceId: ws,
      sql: 'SELECT id, lower(email) AS contact FROM customers ORDER BY id',
    })
    expect(emails.structuredContent.masked).toEqual(['contact'])
    for (const address of EMAILS) expect(everything(emails)).not.toContain(address)

    const first = await call(viewer, 'run_sql', {
      workspaceId: ws,
      sql: 'SELECT id FROM customers ORDER BY id',
      limit: 2,
    })
    expect(first.structuredContent).toMatchObject({ rows: [['1'], ['2']], nextOffset: 2 })
    const second = await call(viewer, 'run_sql', {
      workspaceId: ws,
      sql: 'SELECT id FROM customers ORDER BY id',
      limit: 2,
      offset: 2,
    })
    expect(second.structuredContent).toMatchObject({ rows: [['3']], nextOffset: null })

    const refused = async (sql: string, code: string) => {
      const answer = await call(editor, 'run_sql', { workspaceId: ws, sql })
      expect(answer.isError, `${sql}: ${everything(answer)}`).toBe(true)
      expect(answer.structuredContent.error.code, sql).toBe(code)
    }
    await refused('DELETE FROM customers', 'read_only_query_refused')
    await refused('SELECT 1; DROP TABLE customers', 'read_only_query_refused')
    await refused("SELECT * FROM read_csv('customers.csv')", 'read_only_query_refused')
    await refused("SELECT * FROM query('SELECT 1')", 'read_only_query_refused')
    await refused('SELECT * FROM information_schema.tables', 'table_not_found')
    await refused('SELECT * FROM system.main.duckdb_settings()', 'read_only_query_refused')
    await refused("SELECT * FROM 'customers.csv'", 'table_not_found')
    // Nothing was changed by any of them.
    const still = await call(viewer, 'run_sql', { workspaceId: ws, sql: 'SELECT count(*) AS n FROM customers' })
    expect(still.structuredContent.rows).toEqual([['3']])

    const outside = await call(outsider, 'run_sql', { workspaceId: ws, sql: 'SELECT 1' })
    expect(outside.structuredContent.error.status).toBe(404)
  })

  it('ask: the assistant behind the same REST route (no model configured here: a clear error; outsiders refused)', async () => {
    const answer = await call(viewer, 'ask', { workspaceId: m.workspace, question: 'How many customers?' })
    expect(answer.isError, everything(answer)).toBe(true)
    expect(answer.structuredContent.error.code).toBe('assistant_not_configured')
    const outside = await call(outsider, 'ask', { workspaceId: m.workspace, question: 'How many customers?' })
    expect(outside.isError).toBe(true)
    expect(outside.structuredContent.error.status).toBe(404)
    // With a model (test/assistant/assistant-api.test.ts): answered, masked for a viewer, writes refused.
  })

  it('an editor creates a notebook, adds a SQL cell, runs it and reads its output', async () => {
    const created = await call(editor, 'create_notebook', { workspaceId: m.workspace, name: 'MCP analysis' })
    expect(created.isError, everything(created)).toBeFalsy()
    const notebookId = created.structuredContent.id as string
    const added = await call(editor, 'add_cell', {
      workspaceId: m.workspace,
      notebookId,
      kind: 'sql',
      source: "SELECT count(*) AS n, count(*) FILTER (WHERE city = 'Paris') AS paris FROM customers",
    })
    expect(added.isError, everything(added)).toBeFalsy()
    const ran = await call(editor, 'run_cells', { workspaceId: m.workspace, notebookId, timeoutSeconds: 120 })
    expect(ran.isError, everything(ran)).toBeFalsy()
    expect(ran.structuredContent.finished).toBe(true)
    expect(ran.structuredContent.cells).toHaveLength(1)
    expect(everything(ran.structuredContent.cells[0].outputs)).toMatch(/"n"/)
    expect(ran.structuredContent.cells[0].executionCount).toBe(1)

    const output = await call(viewer, 'get_cell_output', {
      workspaceId: m.workspace,
      notebookId,
      cellId: added.structuredContent.cellId,
    })
    expect(output.structuredContent).toMatchObject({ kind: 'sql', executionCount: 1 })

    const listed = await call(viewer, 'list_notebooks', { workspaceId: m.workspace, q: 'MCP analysis' })
    expect(listed.structuredContent.items.map((n: { id: string }) => n.id)).toContain(notebookId)
  })

  it('a notebook output holding tagged emails reaches a viewer masked, as collaborators see it', async () => {
    const created = await call(editor, 'create_notebook', { workspaceId: m.workspace, name: 'emails' })
    const notebookId = created.structuredContent.id as string
    await call(editor, 'add_cell', {
      workspaceId: m.workspace,
      notebookId,
      kind: 'sql',
      source: 'SELECT id, email FROM customers ORDER BY id',
    })
    const ran = await call(editor, 'run_cells', { workspaceId: m.workspace, notebookId })
    expect(ran.structuredContent.finished, everything(ran)).toBe(true)
    const read = await call(viewer, 'get_notebook', { workspaceId: m.workspace, notebookId })
    expect(read.isError, everything(read)).toBeFalsy()
    expect(read.structuredContent.totalCells).toBe(1)
    expect(everything(read)).toContain('"masked"')
    for (const address of EMAILS) expect(everything(read)).not.toContain(address)
    const resource = await viewer.readResource({ uri: `workbench://workspaces/${m.workspace}/notebooks/${notebookId}` })
    for (const address of EMAILS) expect(everything(resource)).not.toContain(address)
  })

  it('roles and token scopes hold: a viewer cannot write, a read-only token cannot call write tools', async () => {
    const byViewer = await call(viewer, 'create_notebook', { workspaceId: m.workspace, name: 'not allowed' })
    expect(byViewer.isError).toBe(true)
    // The viewer's token is read-only: refused before the route is reached.
    expect(byViewer.structuredContent.error.code).toBe('token_scope_insufficient')

    const byReadToken = await call(readOnlyEditor, 'create_notebook', { workspaceId: m.workspace, name: 'nope' })
    expect(byReadToken.isError).toBe(true)
    expect(byReadToken.structuredContent.error.code).toBe('token_scope_insufficient')
    // It reads as any editor does.
    const search = await call(readOnlyEditor, 'search_catalog', { workspaceId: m.workspace, q: 'customers' })
    expect(search.isError).toBeFalsy()

    // With the viewer's session, the route's role check answers.
    const bySession = await call(await m.client(m.tokens.viewerSession), 'create_notebook', {
      workspaceId: m.workspace,
      name: 'not allowed',
    })
    expect(bySession.structuredContent.error).toMatchObject({ status: 403, code: 'role_insufficient' })

    const listed = await call(viewer, 'list_notebooks', { workspaceId: m.workspace, q: 'not allowed' })
    expect(listed.structuredContent.total).toBe(0)
  })

  it('an account outside the workspace finds nothing there, as if it did not exist', async () => {
    for (const [tool, args] of [
      ['search_catalog', { workspaceId: m.workspace, q: 'customers' }],
      ['preview_table', { workspaceId: m.workspace, assetId: m.customersAssetId }],
      ['list_notebooks', { workspaceId: m.workspace }],
      ['list_pipelines', { workspaceId: m.workspace }],
      ['list_files', { workspaceId: m.workspace }],
    ] as const) {
      const answer = await call(outsider, tool, args)
      expect(answer.isError, `${tool}: ${everything(answer)}`).toBe(true)
      expect(answer.structuredContent.error.status).toBe(404)
      for (const address of EMAILS) expect(everything(answer)).not.toContain(address)
    }
    const workspaces = await call(outsider, 'list_workspaces', {})
    expect(workspaces.structuredContent.workspaces).toEqual([])
    await expect(
      outsider.readResource({ uri: `workbench://workspaces/${m.workspace}/assets/${m.customersAssetId}` }),
    ).rejects.toMatchObject({ code: -32002 })
  })

  it('every tool holds the workspace wall, the token scope and the role, whoever calls it', async () => {
    const none = '00000000-0000-4000-8000-000000000000'
    const ws = m.workspace
    const sample: Record<string, Record<string, unknown>> = {
      list_workspaces: {},
      search_catalog: { workspaceId: ws, q: 'customers' },
      describe_table: { workspaceId: ws, assetId: m.customersAssetId },
      preview_table: { workspaceId: ws, assetId: m.customersAssetId },
      table_stats: { workspaceId: ws, assetId: m.customersAssetId },
      run_sql: { workspaceId: ws, sql: 'SELECT count(*) FROM customers' },
      ask: { workspaceId: ws, question: 'How many customers are there?' },
      list_files: { workspaceId: ws },
      preview_file: { workspaceId: ws, fileId: none },
      import_file: { workspaceId: ws, fileId: none, table: 'never' },
      list_tables: { workspaceId: ws },
      list_notebooks: { workspaceId: ws },
      get_notebook: { workspaceId: ws, notebookId: none },
      create_notebook: { workspaceId: ws, name: 'matrix' },
      add_cell: { workspaceId: ws, notebookId: none, kind: 'markdown', source: 'x' },
      run_cells: { workspaceId: ws, notebookId: none, cellIds: [none] },
      get_cell_output: { workspaceId: ws, notebookId: none, cellId: none },
      list_pipelines: { workspaceId: ws },
      get_pipeline: { workspaceId: ws, pipelineId: none },
      validate_pipeline_yaml: { workspaceId: ws, yaml: 'steps: []' },
      trigger_pipeline: { workspaceId: ws, pipelineId: none },
      list_runs: { workspaceId: ws },
      get_run: { workspaceId: ws, runId: none },
      get_run_logs: { workspaceId: ws, runId: none },
      cancel_run: { workspaceId: ws, runId: none },
    }
    expect(Object.keys(sample).sort()).toEqual(TOOLS.map((t) => t.name).sort())
    const viewerSession = await m.client(m.tokens.viewerSession)
    const failures: string[] = []
    for (const tool of TOOLS) {
      const args = sample[tool.name] ?? {}
      const answers = {
        outsider: await call(outsider, tool.name, args),
        viewerToken: await call(viewer, tool.name, args),
        viewerSession: await call(viewerSession, tool.name, args),
        editor: await call(editor, tool.name, args),
      }
      const status = (a: ToolAnswer) => (a.isError ? (a.structuredContent?.error?.status as number) : 200)
      const code = (a: ToolAnswer) => a.structuredContent?.error?.code as string | undefined
      if (tool.name !== 'list_workspaces' && status(answers.outsider) !== 404)
        failures.push(`${tool.name} as an outsider: ${status(answers.outsider)}`)
      if (tool.writes && code(answers.viewerToken) !== 'token_scope_insufficient')
        failures.push(`${tool.name} with a read token: ${everything(answers.viewerToken).slice(0, 200)}`)
      if (tool.writes && status(answers.viewerSession) !== 403)
        failures.push(`${tool.name} as a viewer: ${everything(answers.viewerSession).slice(0, 200)}`)
      for (const [who, answer] of Object.entries(answers)) {
        if (!tool.writes && status(answer) === 403 && who !== 'outsider')
          failures.push(`${tool.name} refused to a member (${who}): ${everything(answer).slice(0, 200)}`)
        for (const address of EMAILS)
          if (everything(answer).includes(address)) failures.push(`${tool.name} as ${who} shows ${address}`)
      }
      if (tool.writes && status(answers.editor) === 403)
        failures.push(`${tool.name} refused to an editor: ${everything(answers.editor).slice(0, 200)}`)
    }
    expect(failures).toEqual([])
  })

  it('answers an unknown tool and invalid arguments with JSON-RPC errors naming the field', async () => {
    const unknown = await viewer.callTool({ name: 'drop_everything', arguments: {} }).catch((err: unknown) => err)
    expect(unknown).toBeInstanceOf(McpError)
    expect(unknown).toMatchObject({ code: -32602, message: expect.stringContaining('drop_everything') })

    const invalid = await viewer.callTool({ name: 'search_catalog', arguments: { q: 7 } }).catch((err: unknown) => err)
    expect(invalid).toBeInstanceOf(McpError)
    expect((invalid as McpError).code).toBe(-32602)
    expect((invalid as McpError).message).toContain('workspaceId')
    expect((invalid as McpError).message).toContain('q')

    // An id is never a path into another route.
    const traversal = await call(viewer, 'get_pipeline', { workspaceId: m.workspace, pipelineId: '..' }).catch(
      (err: unknown) => err,
    )
    expect(traversal).toMatchObject({ code: -32602 })
  })

  it('validates, triggers and follows a pipeline run, and reads its logs', async () => {
    const yaml = [
      'apiVersion: workbench/v1',
      'kind: Pipeline',
      'metadata: { name: mcp-counts }',
      'steps:',
      "  - { id: count, type: sql, with: { sql: 'CREATE OR REPLACE TABLE city_counts AS SELECT city, count(*) AS n FROM customers GROUP BY city' } }",
      '',
    ].join('\n')
    const invalid = await call(viewer, 'validate_pipeline_yaml', { workspaceId: m.workspace, yaml: 'steps: 3' })
    expect(invalid.isError).toBe(true)
    // Validation is a POST: read-only tokens do not reach it (the REST API refuses them), an editor's token does.
    const checked = await call(editor, 'validate_pipeline_yaml', { workspaceId: m.workspace, yaml: 'steps: 3' })
    expect(checked.isError).toBe(true)
    expect(checked.structuredContent.error.code).toBe('invalid_pipeline')
    expect((await call(editor, 'validate_pipeline_yaml', { workspaceId: m.workspace, yaml })).isError).toBeFalsy()

    const created = await m.stack.api(m.tokens.editorWrite, 'POST', `/workspaces/${m.workspace}/pipelines`, { yaml })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const pipelines = await call(viewer, 'list_pipelines', { workspaceId: m.workspace })
    expect(everything(pipelines)).toContain(created.body.id)

    const started = await call(editor, 'trigger_pipeline', { workspaceId: m.workspace, pipelineId: created.body.id })
    expect(started.isError, everything(started)).toBeFalsy()
    const runId = started.structuredContent.id as string
    await eventually(async () => {
      const run = await call(viewer, 'get_run', { workspaceId: m.workspace, runId })
      expect(run.structuredContent.status).toBe('succeeded')
    }, 120_000)
    const logs = await call(viewer, 'get_run_logs', { workspaceId: m.workspace, runId })
    expect(logs.isError).toBeFalsy()
    expect(everything(logs)).toContain('count')
    const runs = await call(viewer, 'list_runs', { workspaceId: m.workspace, pipelineId: created.body.id })
    expect(runs.structuredContent.items.map((r: { id: string }) => r.id)).toContain(runId)

    const cancelByViewer = await call(viewer, 'cancel_run', { workspaceId: m.workspace, runId })
    expect(cancelByViewer.isError).toBe(true)
  })

  it('audits every tool call with its arguments and outcome, in the workspace log', async () => {
    await call(viewer, 'search_catalog', { workspaceId: m.workspace, q: 'audit-marker-q' })
    await call(outsider, 'search_catalog', { workspaceId: m.workspace, q: 'outsider-probe' })
    const log = await m.stack.api(m.tokens.admin, 'GET', `/workspaces/${m.workspace}/audit?limit=200`)
    expect(log.status, JSON.stringify(log.body)).toBe(200)
    const event = log.body.events.find(
      (e: { action: string; detail?: string }) =>
        e.action === 'mcp.search_catalog' && e.detail?.includes('audit-marker-q'),
    )
    expect(event).toMatchObject({ outcome: 'success', resource: '/mcp' })
    // The outsider's probe is not written into the workspace's log (it would reveal the workspace to its admins
    // as if the outsider had been inside).
    expect(everything(log.body)).not.toContain('outsider-probe')
  })

  it('refuses a request without a bearer token and tells MCP clients where the resource metadata is', async () => {
    const res = await fetch(`${m.stack.wb.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(res.status).toBe(401)
    const challenge = res.headers.get('www-authenticate') ?? ''
    const url = /resource_metadata="([^"]+)"/.exec(challenge)?.[1]
    expect(url).toBeDefined()
    const metadata = await (await fetch(url as string)).json()
    expect(metadata).toMatchObject({ resource: `${m.stack.wb.url}/mcp`, bearer_methods_supported: ['header'] })

    const expired = await fetch(`${m.stack.wb.url}/mcp`, {
      method: 'POST',
      headers: { authorization: 'Bearer wbt_not-a-token', 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(expired.status).toBe(401)
    expect(expired.headers.get('www-authenticate')).toContain('invalid_token')
  })

  it('serves the same tools over stdio (npm run mcp), relayed to the instance with the token', async () => {
    const stdio = new Client({ name: 'workbench-stdio-test', version: '1.0.0' })
    const root = path.resolve(import.meta.dirname, '../../..')
    await stdio.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ['--import', 'tsx', path.join(root, 'workbench/src/cli/mcp-stdio.ts')],
        cwd: root,
        env: { PATH: process.env.PATH ?? '', WORKBENCH_URL: m.stack.wb.url, WORKBENCH_TOKEN: m.tokens.viewer },
        stderr: 'pipe',
      }),
    )
    try {
      const { tools } = await stdio.listTools()
      expect(tools.map((t) => t.name)).toEqual(TOOLS.map((t) => t.name))
      const preview = await call(stdio, 'preview_table', { workspaceId: m.workspace, assetId: m.customersAssetId })
      expect(preview.structuredContent.rows).toHaveLength(3)
      for (const address of EMAILS) expect(everything(preview)).not.toContain(address)
      const write = await call(stdio, 'create_notebook', { workspaceId: m.workspace, name: 'over stdio' })
      expect(write.structuredContent.error.code).toBe('token_scope_insufficient')
    } finally {
      await stdio.close()
    }
  })
})
