import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { waitFor } from '../../../orchestrator/test/support/pipeline-env.ts'
import { writeAllowedNetworks } from '../../src/connections/network-settings.ts'
import { header, workspaceCaller } from '../pipelines/support.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { TEST_SIGNING_KEY } from '../support/identity.ts'
import { createMembers } from '../support/members.ts'
import { startTestWorkbench, type TestWorkbench } from '../support/workbench.ts'

const TOKEN = 'agent-secret-4f1c'

/**
 * A real MCP server (the SDK's, stateless Streamable HTTP) standing in for an external agent: `add` answers with
 * text and structured content, `refuse` answers with a tool error, `hang` never answers. It counts connections and
 * requests, and refuses requests without the bearer token.
 */
async function agentServer(host: string) {
  let connections = 0
  const seen: { tool: string; args: unknown }[] = []
  const unauthorized: string[] = []
  const requests: string[] = []
  const build = () => {
    const server = new McpServer({ name: 'test-agent', version: '2.1.0' })
    server.registerTool(
      'add',
      {
        description: 'Adds two numbers',
        inputSchema: { a: z.number(), b: z.number() },
        outputSchema: { sum: z.number() },
      },
      async ({ a, b }) => {
        seen.push({ tool: 'add', args: { a, b } })
        return { content: [{ type: 'text', text: `the sum is ${a + b}` }], structuredContent: { sum: a + b } }
      },
    )
    server.registerTool(
      'refuse',
      { description: 'Always fails', inputSchema: { why: z.string() } },
      async ({ why }) => {
        seen.push({ tool: 'refuse', args: { why } })
        return { isError: true, content: [{ type: 'text', text: `refused: ${why}` }] }
      },
    )
    server.registerTool('hang', { description: 'Never answers' }, async () => {
      seen.push({ tool: 'hang', args: {} })
      return new Promise(() => {})
    })
    return server
  }
  const httpServer = http.createServer(async (req, res) => {
    requests.push(req.url ?? '')
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      unauthorized.push(`${req.method} ${req.url}`)
      return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}')
    }
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
    const server = build()
    res.on('close', () => {
      void transport.close()
      void server.close()
    })
    await server.connect(transport)
    await transport.handleRequest(req, res, body)
  })
  httpServer.on('connection', () => {
    connections++
  })
  await new Promise<void>((resolve) => httpServer.listen(0, host, resolve))
  const port = (httpServer.address() as AddressInfo).port
  return {
    url: `http://${host}:${port}/mcp`,
    seen,
    unauthorized,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections()
        httpServer.close(() => resolve())
      }),
  }
}

/**
 * Agents as pipeline steps (issue 19, item 3): workspace admins register external MCP servers with sealed
 * credentials behind the outbound policy, and `mcp.call` steps call their tools, against the whole embedded stack
 * (API, Temporal dev server, in-process worker) and a real MCP server.
 */
describe.each(DATABASE_KINDS)('agents as pipeline steps (%s)', (kind) => {
  let database: TestDatabase | undefined
  let wb: TestWorkbench
  let agent: Awaited<ReturnType<typeof agentServer>>
  let admin: ReturnType<typeof workspaceCaller>
  let editor: ReturnType<typeof workspaceCaller>
  let viewer: ReturnType<typeof workspaceCaller>
  let outsider: ReturnType<typeof workspaceCaller>
  const auth = { Authorization: `Bearer ${TOKEN}` }

  beforeAll(async () => {
    agent = await agentServer('127.0.0.3')
    if (kind === 'postgres') database = await createTestDatabase('postgres')
    wb = await startTestWorkbench({
      AUTH_JWT_SECRET: TEST_SIGNING_KEY,
      ...(database?.url ? { DATABASE_URL: database.url } : {}),
    })
    const members = createMembers(wb.db)
    const ws = await members.workspace()
    admin = workspaceCaller(wb.app, ws, (await members.member(ws, 'admin')).token)
    editor = workspaceCaller(wb.app, ws, (await members.member(ws, 'editor')).token)
    viewer = workspaceCaller(wb.app, ws, (await members.member(ws, 'viewer')).token)
    const other = await members.workspace()
    outsider = workspaceCaller(wb.app, ws, (await members.member(other, 'admin')).token)
  }, 240_000)
  afterAll(async () => {
    await wb?.dispose()
    await database?.dispose()
    await agent?.close()
  })

  const runToEnd = async (name: string, steps: string[], params: string[] = []) => {
    const yaml = [`${header(name)}`, ...(params.length ? ['params:', ...params] : []), 'steps:', ...steps, ''].join(
      '\n',
    )
    const created = await editor('POST', '/pipelines', { yaml })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await editor('POST', `/pipelines/${created.body.id}/runs`, {})
    expect(started.status).toBe(201)
    let detail: any
    await waitFor(
      async () => {
        detail = (await editor('GET', `/pipeline-runs/${started.body.id}`)).body
        return ['succeeded', 'failed', 'cancelled'].includes(detail.status)
      },
      'the run to finish',
      120_000,
    )
    return { runId: started.body.id as string, detail }
  }

  it('admins register a server behind the outbound policy; its credentials are sealed, never shown, and follow no moved URL', async () => {
    // Loopback is outside the policy until an instance admin allows it: refused before any socket opens.
    const blocked = await admin('POST', '/mcp-servers', { name: 'agents', url: agent.url, headers: auth })
    expect([blocked.status, blocked.body.code]).toEqual([400, 'destination_not_allowed'])
    expect(agent.connections()).toBe(0)

    await writeAllowedNetworks(wb.db.db, ['127.0.0.3/32'])
    // Editors use servers, admins manage them; another workspace's admin does not see this one.
    expect((await editor('POST', '/mcp-servers', { name: 'x', url: agent.url, headers: auth })).status).toBe(403)
    expect((await outsider('GET', '/mcp-servers')).status).toBe(404)
    // Wrong credentials: the test fails and nothing is saved.
    const wrong = await admin('POST', '/mcp-servers', {
      name: 'agents',
      url: agent.url,
      headers: { Authorization: 'Bearer nope' },
    })
    expect(wrong.status, JSON.stringify(wrong.body)).toBe(422)
    expect(wrong.body.details.test.ok).toBe(false)
    expect(JSON.stringify(wrong.body)).not.toContain('nope')
    expect((await admin('GET', '/mcp-servers')).body.servers).toEqual([])

    const created = await admin('POST', '/mcp-servers', { name: 'agents', url: agent.url, headers: auth })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    expect(created.body.test).toMatchObject({ ok: true, server: { name: 'test-agent', version: '2.1.0' } })
    expect(created.body.test.tools.map((t: { name: string }) => t.name).sort()).toEqual(['add', 'hang', 'refuse'])
    expect(created.body.server).toMatchObject({ name: 'agents', url: agent.url, headers: ['Authorization'] })
    const listed = await viewer('GET', '/mcp-servers')
    expect(listed.body.servers).toHaveLength(1)
    for (const body of [created.body, listed.body, (await viewer('GET', '/mcp-servers/agents')).body])
      expect(JSON.stringify(body)).not.toContain(TOKEN)
    // At rest too: the stored row holds only the sealed value.
    const row = await wb.db.db.selectFrom('mcp_servers').selectAll().executeTakeFirstOrThrow()
    expect(JSON.stringify(row)).not.toContain(TOKEN)

    expect((await editor('POST', '/mcp-servers/agents/test')).body).toMatchObject({ ok: true })
    expect((await viewer('POST', '/mcp-servers/agents/test')).status).toBe(403)
    // Moving the URL without giving the credentials again would send them elsewhere: refused.
    const moved = await admin('PATCH', '/mcp-servers/agents', { url: 'http://127.0.0.3:9/elsewhere' })
    expect([moved.status, moved.body.code]).toEqual([400, 'secret_required'])
    expect((await admin('GET', '/mcp-servers/agents')).body.url).toBe(agent.url)
    const duplicate = await admin('POST', '/mcp-servers', { name: 'agents', url: agent.url, headers: auth })
    expect([duplicate.status, duplicate.body.code]).toEqual([409, 'mcp_server_exists'])
    const reserved = await admin('POST', '/mcp-servers', {
      name: 'bad',
      url: agent.url,
      headers: { 'Mcp-Session-Id': 'x' },
    })
    expect([reserved.status, reserved.body.code]).toEqual([400, 'validation_failed'])
  })

  it('an mcp.call step calls the tool with templated arguments; the result is its output and artifact', async () => {
    const { runId, detail } = await runToEnd(
      `agent-add-${kind}`,
      [
        "  - { id: ask, type: mcp.call, with: { server: agents, tool: add, arguments: { a: '{{ params.a }}', b: 2 } } }",
        "  - { id: again, type: mcp.call, depends_on: [ask], with: { server: agents, tool: add, arguments: { a: '{{ steps.ask.output.structured.sum }}', b: 1 } } }",
      ],
      ['  a: { type: number, default: 40 }'],
    )
    expect(detail.status, JSON.stringify(detail)).toBe('succeeded')
    const ask = detail.steps.find((s: any) => s.stepId === 'ask')
    expect(ask.output).toMatchObject({
      server: 'agents',
      tool: 'add',
      isError: false,
      text: 'the sum is 42',
      structured: { sum: 42 },
    })
    expect(detail.steps.find((s: any) => s.stepId === 'again').output.structured).toEqual({ sum: 43 })
    expect(agent.seen.filter((s) => s.tool === 'add').map((s) => s.args)).toEqual([
      { a: 40, b: 2 },
      { a: 42, b: 1 },
    ])
    expect(ask.artifacts).toEqual([expect.objectContaining({ name: 'result.json', mediaType: 'application/json' })])
    const artifact = await viewer('GET', `/pipeline-runs/${runId}/steps/ask/artifacts/result.json`)
    expect(artifact.status).toBe(200)
    expect(artifact.body).toMatchObject({ structuredContent: { sum: 42 }, content: [{ text: 'the sum is 42' }] })
    expect(JSON.stringify(detail)).not.toContain(TOKEN)
  })

  it('a tool error fails the step without retries; a hanging server is cut by the step timeout; unknown servers fail validation', async () => {
    const before = agent.seen.length
    const { detail } = await runToEnd(`agent-fail-${kind}`, [
      "  - { id: no, type: mcp.call, retry: { attempts: 3 }, with: { server: agents, tool: refuse, arguments: { why: 'closed books' } } }",
      '  - { id: stuck, type: mcp.call, timeout: 3s, retry: { attempts: 1 }, with: { server: agents, tool: hang } }',
    ])
    expect(detail.status).toBe('failed')
    const no = detail.steps.find((s: any) => s.stepId === 'no')
    expect(no.status).toBe('failed')
    expect(no.error).toContain('refused: closed books')
    // A tool's own error is an answer: asking again would get the same one.
    expect(agent.seen.slice(before).filter((s) => s.tool === 'refuse')).toHaveLength(1)
    const stuck = detail.steps.find((s: any) => s.stepId === 'stuck')
    expect(stuck.status).toBe('timed_out')

    const unknown = await editor('POST', '/pipelines', {
      yaml: `${header(`agent-unknown-${kind}`)}steps:\n  - { id: a, type: mcp.call, with: { server: nobody, tool: add } }\n`,
    })
    expect(unknown.status).toBe(400)
    expect(unknown.body.details.problems[0]).toMatchObject({
      code: 'unknown_mcp_server',
      path: ['steps', 0, 'with', 'server'],
    })
  })

  it('a server whose network the policy no longer allows is refused at call time, before connecting', async () => {
    // A server of its own URL, so no late request of an earlier test is mistaken for one of this run.
    const fenced = await admin('POST', '/mcp-servers', { name: 'fenced', url: `${agent.url}?fenced`, headers: auth })
    expect(fenced.status, JSON.stringify(fenced.body)).toBe(201)
    await writeAllowedNetworks(wb.db.db, [])
    const calls = () => agent.seen.filter((c) => JSON.stringify(c.args) === '{"a":1,"b":1}').length
    const { detail } = await runToEnd(`agent-blocked-${kind}`, [
      '  - { id: a, type: mcp.call, retry: { attempts: 3 }, with: { server: fenced, tool: add, arguments: { a: 1, b: 1 } } }',
    ])
    const step = detail.steps.find((s: any) => s.stepId === 'a')
    expect(step.status).toBe('failed')
    expect(step.error).toContain("not allowed by this instance's network policy")
    expect(step.attempts ?? 1).toBeLessThanOrEqual(1)
    // The call never reached the server. (A request of an earlier session still in flight may land late, so this
    // counts the tool call itself, not connections.)
    expect(calls()).toBe(0)
    await writeAllowedNetworks(wb.db.db, ['127.0.0.3/32'])
  })
})
