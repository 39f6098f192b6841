import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { expect } from 'vitest'
import { type LimitsStack, loneAccount, startLimitsStack } from '../security/limits-stack.ts'
import { eventually } from '../support/collab.ts'
import type { DatabaseKind } from '../support/databases.ts'

/** Rows of the workspace's `customers` table: the emails are tagged PII.email and must stay masked. */
export const CUSTOMERS_CSV =
  'id,email,city\n1,jane.doe@example.com,Lyon\n2,bob.roe@example.org,Paris\n3,cy.poe@example.net,Nice\n'
export const EMAILS = ['jane.doe@example.com', 'bob.roe@example.org', 'cy.poe@example.net']

/**
 * The whole workbench (as `npm start` runs it) with one workspace holding a catalogued `customers` table whose
 * email column is tagged PII.email (accepted), its members by role, an outsider, and API tokens.
 */
export interface McpStack {
  stack: LimitsStack
  workspace: string
  customersAssetId: string
  tokens: {
    admin: string
    editorWrite: string
    editorRead: string
    viewer: string
    /** The viewer's session access token (not a read-only API token): refused by role, not by scope. */
    viewerSession: string
    outsider: string
  }
  /** A connected MCP client over Streamable HTTP with `token` as its bearer credential. */
  client(token: string): Promise<Client>
  dispose(): Promise<void>
}

export async function startMcpStack(kind: DatabaseKind, env: Record<string, string> = {}): Promise<McpStack> {
  const stack = await startLimitsStack(kind, env)
  const workspace = await stack.members.workspace()
  const admin = await stack.members.member(workspace, 'admin')
  const editor = await stack.members.member(workspace, 'editor')
  const viewer = await stack.members.member(workspace, 'viewer')
  const outsider = await loneAccount(stack)
  const apiToken = async (session: string, scope: 'read' | 'write') => {
    const res = await stack.api(session, 'POST', '/me/tokens', { name: `mcp ${scope}`, scope, expiresInDays: 1 })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body.token as string
  }
  const base = `/workspaces/${workspace}`

  // customers.csv uploaded and imported by the editor, then catalogued and its email tagged.
  const bytes = Buffer.from(CUSTOMERS_CSV)
  const begun = await stack.api(editor.token, 'POST', `${base}/files/uploads`, {
    name: 'customers.csv',
    size: bytes.length,
  })
  expect(begun.status, JSON.stringify(begun.body)).toBe(201)
  const put = await stack.api(editor.token, 'PUT', `${base}/files/uploads/${begun.body.id}?offset=0`, undefined, {
    body: bytes,
    headers: { authorization: `Bearer ${editor.token}`, 'content-type': 'application/octet-stream' },
  })
  expect(put.status).toBe(200)
  expect((await stack.api(editor.token, 'POST', `${base}/files/uploads/${begun.body.id}/complete`)).status).toBe(200)
  const imported = await stack.api(editor.token, 'POST', `${base}/files/${begun.body.id}/import`, {
    table: 'customers',
  })
  expect(imported.status, JSON.stringify(imported.body)).toBeLessThan(300)

  const sources = await stack.api(admin.token, 'GET', `${base}/catalog/sources`)
  const list = (Array.isArray(sources.body) ? sources.body : (sources.body.items ?? sources.body.sources)) as {
    id: string
    kind: string
  }[]
  const duckdb = list.find((s) => s.kind === 'duckdb')
  if (!duckdb) throw new Error(`no workspace DuckDB source in ${JSON.stringify(sources.body)}`)
  const discovery = await stack.api(admin.token, 'POST', `${base}/catalog/sources/${duckdb.id}/discover`)
  expect(discovery.status).toBe(202)
  await eventually(async () => {
    const run = await stack.api(admin.token, 'GET', `${base}/catalog/runs/${discovery.body.runId}`)
    expect(run.body.status).toBe('succeeded')
  }, 60_000)
  let customersAssetId = ''
  await eventually(async () => {
    const found = await stack.api(viewer.token, 'GET', `${base}/catalog/search?q=customers`)
    // main.customers, not its rejects table import_rejects.customers.
    const asset = found.body.items?.find(
      (i: { schema: string; name: string }) => i.schema === 'main' && i.name === 'customers',
    )
    expect(asset).toBeDefined()
    customersAssetId = asset.id
  }, 60_000)
  const tagged = await stack.api(editor.token, 'POST', `${base}/catalog/assets/${customersAssetId}/tags`, {
    changes: [{ column: 'email', tag: 'PII.email', status: 'accepted' }],
  })
  expect(tagged.status, JSON.stringify(tagged.body)).toBe(200)

  const tokens = {
    admin: admin.token,
    editorWrite: await apiToken(editor.token, 'write'),
    editorRead: await apiToken(editor.token, 'read'),
    viewer: await apiToken(viewer.token, 'read'),
    viewerSession: viewer.token,
    outsider: outsider.token,
  }
  const clients: Client[] = []
  return {
    stack,
    workspace,
    customersAssetId,
    tokens,
    client: async (token) => {
      const client = new Client({ name: 'workbench-test', version: '1.0.0' })
      const transport = new StreamableHTTPClientTransport(new URL(`${stack.wb.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      })
      await client.connect(transport)
      clients.push(client)
      return client
    },
    dispose: async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => {})))
      await stack.dispose()
    },
  }
}
