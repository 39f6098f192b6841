import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { Hono } from 'hono'
import { ACTING_PRINCIPAL } from '../auth/authenticate.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { createMcpServer } from '../mcp/mcp-server.ts'
import { RestBridge, type RestFetch } from '../mcp/rest-bridge.ts'

/** Audit detail (a tool's arguments as JSON) is cut here: a long SQL text or YAML is not worth a huge row. */
const MAX_AUDIT_DETAIL_CHARS = 2000

export interface McpRouteDeps {
  /** The REST API in-process: `app.request` of the same application. */
  api: (path: string, init: RequestInit, env: unknown) => Response | Promise<Response>
  version: string
}

/**
 * The MCP server over Streamable HTTP at `/mcp` (stateless: every POST carries its own JSON-RPC exchange and
 * credential), and the protected-resource metadata (RFC 9728) that tells MCP clients to bring a bearer token.
 * Only bearer credentials count (a personal API token `wbt_…` or a session access token): a browser's
 * cookie never does, so no web page can drive a signed-in user's tools.
 */
export function mcpRoutes(identity: Identity, deps: McpRouteDeps) {
  const metadataPath = '/.well-known/oauth-protected-resource/mcp'
  const origin = (url: string) => identity.options.publicUrl ?? new URL(url).origin
  const metadata = (url: string) => ({
    resource: `${origin(url)}/mcp`,
    resource_name: 'Workbench',
    bearer_methods_supported: ['header'],
    scopes_supported: ['read', 'write'],
    resource_documentation: `${origin(url)}/api/docs`,
  })

  return new Hono<AppEnv>()
    .get(metadataPath, (c) => c.json(metadata(c.req.url)))
    .get('/.well-known/oauth-protected-resource', (c) => c.json(metadata(c.req.url)))
    .on(['GET', 'DELETE'], '/mcp', (c) =>
      // Stateless: no session to resume or end, and no server-initiated stream.
      c.json({ code: 'method_not_allowed', message: 'POST JSON-RPC messages to /mcp' }, 405, { allow: 'POST' }),
    )
    .post('/mcp', async (c) => {
      const principal = c.get('principal')
      if (!principal || principal.via === 'cookie') {
        const problem = c.get('credentialProblem')
        c.header(
          'WWW-Authenticate',
          `Bearer resource_metadata="${origin(c.req.url)}${metadataPath}"${problem ? `, error="invalid_token"` : ''}`,
        )
        return c.json(
          {
            code: problem === 'token_expired' ? 'token_expired' : 'authentication_required',
            message: 'Send a personal API token (or a session access token) as Authorization: Bearer',
          },
          401,
        )
      }
      const headers: Record<string, string> = { authorization: c.req.header('authorization') ?? '' }
      const requestId = c.get('requestId')
      if (requestId) headers['x-request-id'] = requestId
      if (identity.options.trustProxy)
        for (const name of ['x-forwarded-for', 'x-forwarded-proto']) {
          const value = c.req.header(name)
          if (value) headers[name] = value
        }
      // The inner REST calls act as this principal (resolved once, above) and keep the client's socket for its IP.
      const env = { ...(c.env as object), [ACTING_PRINCIPAL]: principal }
      const api: RestFetch = async (path, init) => deps.api(path, init, env)
      const server = createMcpServer({
        rest: new RestBridge(api, headers),
        canWrite: principal.via !== 'api_token' || principal.tokenScope === 'write',
        signal: c.req.raw.signal,
        version: deps.version,
        audit: (call) =>
          identity.audit.record({
            actorId: principal.userId,
            actorEmail: principal.email,
            workspaceId: call.workspaceId,
            action: `mcp.${call.tool}`,
            resource: '/mcp',
            requestId: requestId ?? null,
            ip: c.get('clientIp') ?? null,
            outcome: call.outcome,
            status: call.status,
            detail: JSON.stringify(call.args).slice(0, MAX_AUDIT_DETAIL_CHARS),
          }),
      })
      const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true })
      await server.connect(transport)
      try {
        return await transport.handleRequest(c.req.raw)
      } finally {
        await server.close()
      }
    })
}
