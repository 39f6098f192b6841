import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { Kysely, Selectable, Updateable } from 'kysely'
import { DestinationNotAllowedError } from '../connections/outbound-http.ts'
import type { OutboundPolicy } from '../connections/outbound-policy.ts'
import { openJson, sealJson } from '../connections/secret-box.ts'
import type { WorkspaceKeys } from '../connections/workspace-keys.ts'
import type { Database, McpServersTable } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'

/** An external MCP server as the API shows it: credential headers only by name, never their values. */
export interface McpServerView {
  id: string
  name: string
  url: string
  headers: string[]
  createdAt: string
  updatedAt: string
  lastTest: { at: string; ok: boolean; error: string | null } | null
}

export interface McpServerInput {
  name: string
  url: string
  /** Headers sent with every request (e.g. `Authorization: Bearer …`): sealed, write-only. */
  headers?: Record<string, string>
  /** Keep the server even if it cannot be reached now. */
  saveAnyway?: boolean
}

export interface McpServerChange {
  name?: string
  /** A new URL needs the headers again (they would otherwise be sent to wherever it points). */
  url?: string
  /** Replaces every header; `{}` clears them. */
  headers?: Record<string, string>
}

export interface McpServerTest {
  ok: boolean
  server?: { name: string; version: string }
  tools?: { name: string; description?: string }[]
  error?: { code: string; message: string }
  durationMs: number
}

export interface McpCallOptions {
  signal?: AbortSignal
  /** Per request (connect, then the call); the step's own timeout is the bound that matters. */
  timeoutMs?: number
}

/** The MCP server could not be reached or answered with a protocol error (not a tool's own error result). */
export class McpServerProblem extends Error {
  constructor(
    readonly code: 'destination_not_allowed' | 'mcp_unreachable' | 'mcp_error',
    message: string,
  ) {
    super(message)
    this.name = 'McpServerProblem'
  }
}

export interface McpServersOptions {
  db: () => Kysely<Database>
  keys: WorkspaceKeys
  outbound: OutboundPolicy
  /** Connect and list-tools timeout of a test (10 s by default). */
  testTimeoutMs?: number
  /** Largest answer read from a server (8 MiB by default). */
  maxBodyBytes?: number
}

type Row = Selectable<McpServersTable>

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/
/** Headers the transport sets itself: a registered value would break the protocol or smuggle a body. */
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'accept',
  'host',
  'mcp-session-id',
  'mcp-protocol-version',
  'transfer-encoding',
  'connection',
])
const sealContext = (serverId: string) => `mcp-server:${serverId}`
/** Requests without a timeout of their own: bounded by their caller's signal (a step's timeout, a cancelled run). */
const NO_REQUEST_TIMEOUT_MS = 24 * 60 * 60_000

/**
 * The external MCP servers a workspace registered, for agents as pipeline steps (`mcp.call`). Workspace admins
 * register them (URL and credential headers sealed under the workspace data key); runs call their tools. Every
 * request goes through the instance's outbound policy, so a server on a blocked network is refused before a
 * socket is opened, and a registered URL can only be moved by someone who gives its credentials again.
 */
export class McpServers {
  readonly #testTimeoutMs: number
  readonly #maxBodyBytes: number

  constructor(private readonly options: McpServersOptions) {
    this.#testTimeoutMs = options.testTimeoutMs ?? 10_000
    this.#maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024
  }

  async list(workspaceId: string): Promise<McpServerView[]> {
    const rows = await this.options
      .db()
      .selectFrom('mcp_servers')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('name')
      .execute()
    return rows.map(view)
  }

  async get(workspaceId: string, idOrName: string): Promise<McpServerView> {
    return view(await this.#row(workspaceId, idOrName))
  }

  /** Registers a server after testing it; a failing test saves nothing (422) unless `saveAnyway`. */
  async create(
    workspaceId: string,
    input: McpServerInput,
    userId: string | null,
  ): Promise<{ server: McpServerView; test: McpServerTest }> {
    const url = await this.#checkedUrl(input.url)
    const headers = checkedHeaders(input.headers ?? {})
    const test = await this.#test(url, headers)
    if (!test.ok && !input.saveAnyway)
      throw new AppError(
        422,
        test.error?.code ?? 'mcp_unreachable',
        test.error?.message ?? 'The server did not answer',
        {
          test,
        },
      )
    const id = crypto.randomUUID()
    const key = await this.options.keys.get(workspaceId)
    const names = Object.keys(headers)
    try {
      await this.options
        .db()
        .insertInto('mcp_servers')
        .values({
          id,
          workspace_id: workspaceId,
          name: input.name,
          url: url.toString(),
          headers_sealed: names.length > 0 ? sealJson(key, headers, sealContext(id)) : null,
          header_names: JSON.stringify(names),
          created_by: userId,
          last_test_at: new Date(),
          last_test_error: test.ok ? null : (test.error?.message ?? 'failed'),
        })
        .execute()
    } catch (err) {
      throw duplicateName(err, input.name)
    }
    return { server: await this.get(workspaceId, id), test }
  }

  async update(workspaceId: string, idOrName: string, change: McpServerChange): Promise<McpServerView> {
    const row = await this.#row(workspaceId, idOrName)
    const values: Updateable<McpServersTable> = { updated_at: new Date() }
    if (change.name !== undefined) values.name = change.name
    if (change.url !== undefined) {
      const url = await this.#checkedUrl(change.url)
      const moved = url.toString() !== row.url
      if (moved && row.header_names.length > 0 && change.headers === undefined)
        throw new AppError(
          400,
          'secret_required',
          'Changing the URL of a server with credentials needs its headers again, so they cannot be sent elsewhere',
          { fields: [{ field: 'headers', message: 'required when the URL changes' }] },
        )
      values.url = url.toString()
    }
    if (change.headers !== undefined) {
      const headers = checkedHeaders(change.headers)
      const names = Object.keys(headers)
      const key = await this.options.keys.get(workspaceId)
      values.headers_sealed = names.length > 0 ? sealJson(key, headers, sealContext(row.id)) : null
      values.header_names = JSON.stringify(names)
    }
    try {
      await this.options.db().updateTable('mcp_servers').set(values).where('id', '=', row.id).execute()
    } catch (err) {
      throw duplicateName(err, change.name ?? row.name)
    }
    return this.get(workspaceId, row.id)
  }

  async delete(workspaceId: string, idOrName: string): Promise<void> {
    const row = await this.#row(workspaceId, idOrName)
    await this.options.db().deleteFrom('mcp_servers').where('id', '=', row.id).execute()
  }

  /** Connects with the stored credentials and lists the tools; the outcome is kept as the server's last test. */
  async test(workspaceId: string, idOrName: string): Promise<McpServerTest> {
    const row = await this.#row(workspaceId, idOrName)
    const result = await this.#test(new URL(row.url), await this.#headers(row))
    await this.options
      .db()
      .updateTable('mcp_servers')
      .set({ last_test_at: new Date(), last_test_error: result.ok ? null : (result.error?.message ?? 'failed') })
      .where('id', '=', row.id)
      .execute()
    return result
  }

  /**
   * Calls one tool of a registered server. Resolves with the tool's result, `isError` included (a tool's failure
   * is an answer); rejects with {@link McpServerProblem} when the server cannot be reached or breaks the protocol,
   * and with `NotFoundError` for an unknown server.
   */
  async callTool(
    workspaceId: string,
    idOrName: string,
    tool: string,
    args: Record<string, unknown>,
    options: McpCallOptions = {},
  ): Promise<{ server: McpServerView; result: CallToolResult }> {
    const row = await this.#row(workspaceId, idOrName)
    const result = await this.#session(new URL(row.url), await this.#headers(row), options, async (client) => {
      const answer = await client.callTool({ name: tool, arguments: args }, undefined, {
        signal: options.signal,
        // The SDK's own default (60 s) would cut long agent tasks: the step's timeout (the signal) is the bound.
        timeout: options.timeoutMs ?? NO_REQUEST_TIMEOUT_MS,
        resetTimeoutOnProgress: true,
      })
      return answer as CallToolResult
    })
    return { server: view(row), result }
  }

  async #test(url: URL, headers: Record<string, string>): Promise<McpServerTest> {
    const started = Date.now()
    try {
      return await this.#session(url, headers, { timeoutMs: this.#testTimeoutMs }, async (client) => {
        const { tools } = await client.listTools(undefined, { timeout: this.#testTimeoutMs })
        const info = client.getServerVersion()
        return {
          ok: true,
          ...(info ? { server: { name: info.name, version: info.version } } : {}),
          tools: tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}) })),
          durationMs: Date.now() - started,
        }
      })
    } catch (err) {
      const problem = err instanceof McpServerProblem ? err : new McpServerProblem('mcp_error', String(err))
      return { ok: false, error: { code: problem.code, message: problem.message }, durationMs: Date.now() - started }
    }
  }

  /** One MCP session (initialize, `body`, close) over Streamable HTTP, every request through the outbound policy. */
  async #session<T>(
    url: URL,
    headers: Record<string, string>,
    options: McpCallOptions,
    body: (client: Client) => Promise<T>,
  ): Promise<T> {
    const transport = new StreamableHTTPClientTransport(url, {
      fetch: this.options.outbound.fetch({
        maxBodyBytes: this.#maxBodyBytes,
        // The guarded fetch's own bound is a backstop: calls end at their step's timeout (the signal).
        timeoutMs: NO_REQUEST_TIMEOUT_MS,
      }),
      requestInit: { headers },
    })
    const client = new Client({ name: 'workbench', version: '1' })
    try {
      try {
        await client.connect(transport, { signal: options.signal, timeout: options.timeoutMs ?? NO_REQUEST_TIMEOUT_MS })
      } catch (err) {
        throw connectProblem(err, url)
      }
      return await body(client).catch((err: unknown) => {
        if (options.signal?.aborted) throw options.signal.reason ?? err
        throw connectProblem(err, url)
      })
    } finally {
      await client.close().catch(() => {})
    }
  }

  async #checkedUrl(text: string): Promise<URL> {
    const problem = await this.options.outbound.urlProblem(text)
    if (problem) {
      const code = problem.includes('destination_not_allowed') ? 'destination_not_allowed' : 'validation_failed'
      throw new AppError(400, code, `The server URL ${problem}`, { fields: [{ field: 'url', message: problem }] })
    }
    return new URL(text)
  }

  async #headers(row: Row): Promise<Record<string, string>> {
    if (!row.headers_sealed) return {}
    return openJson<Record<string, string>>(
      await this.options.keys.get(row.workspace_id),
      row.headers_sealed,
      sealContext(row.id),
    )
  }

  async #row(workspaceId: string, idOrName: string): Promise<Row> {
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrName)
    const row = await this.options
      .db()
      .selectFrom('mcp_servers')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where((eb) => (isUuid ? eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]) : eb('name', '=', idOrName)))
      .executeTakeFirst()
    if (!row) throw new NotFoundError('mcp_server', idOrName)
    return row
  }
}

function view(row: Row): McpServerView {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    headers: row.header_names,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    lastTest: row.last_test_at
      ? { at: new Date(row.last_test_at).toISOString(), ok: row.last_test_error === null, error: row.last_test_error }
      : null,
  }
}

function checkedHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    const field = { field: `headers.${name}` }
    if (!HEADER_NAME.test(name))
      throw new AppError(400, 'validation_failed', `'${name}' is not a valid header name`, {
        fields: [{ ...field, message: 'invalid header name' }],
      })
    if (RESERVED_HEADERS.has(name.toLowerCase()))
      throw new AppError(400, 'validation_failed', `The ${name} header is set by the MCP transport`, {
        fields: [{ ...field, message: 'reserved header' }],
      })
    if (/[\r\n\0]/.test(value) || value.length > 8192)
      throw new AppError(400, 'validation_failed', `The ${name} header value is not valid`, {
        fields: [{ ...field, message: 'invalid header value' }],
      })
    out[name] = value
  }
  return out
}

/** What went wrong reaching a server, without its address (the policy's refusal names none either). */
function connectProblem(err: unknown, url: URL): McpServerProblem {
  if (err instanceof McpServerProblem) return err
  const causes: unknown[] = []
  for (let e: unknown = err; e instanceof Error && causes.length < 5; e = e.cause) causes.push(e)
  if (causes.some((e) => e instanceof DestinationNotAllowedError)) {
    const refusal = causes.find((e) => e instanceof DestinationNotAllowedError) as Error
    return new McpServerProblem('destination_not_allowed', refusal.message)
  }
  const message = err instanceof Error ? err.message : String(err)
  if (causes.some((e) => e instanceof TypeError && /fetch failed|ECONNREFUSED|socket|timed? ?out/i.test(e.message)))
    return new McpServerProblem('mcp_unreachable', `The MCP server at ${url.origin} could not be reached: ${message}`)
  return new McpServerProblem('mcp_error', `The MCP server at ${url.origin} answered with an error: ${message}`)
}

function duplicateName(err: unknown, name: string): unknown {
  if ((err as { code?: string } | undefined)?.code === '23505')
    return new AppError(409, 'mcp_server_exists', `This workspace already has an MCP server named '${name}'`)
  return err
}
