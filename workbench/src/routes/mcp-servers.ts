import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { McpServers } from '../agents/mcp-servers.ts'
import { authorize, can, currentPrincipal, currentWorkspace } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import { errorResponses, json, jsonBody } from './identity-schemas.ts'

const WorkspaceParams = z.object({ workspaceId: z.string().openapi({ param: { name: 'workspaceId', in: 'path' } }) })
const ServerParams = WorkspaceParams.extend({
  serverId: z.string().openapi({ param: { name: 'serverId', in: 'path' }, description: 'Id or name' }),
})
const McpServerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    url: z.string(),
    headers: z.array(z.string()).openapi({ description: 'Names of the credential headers that are set' }),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastTest: z.object({ at: z.string(), ok: z.boolean(), error: z.string().nullable() }).nullable(),
  })
  .openapi('McpServer')
const McpServerTestSchema = z
  .object({
    ok: z.boolean(),
    server: z.object({ name: z.string(), version: z.string() }).optional(),
    tools: z.array(z.object({ name: z.string(), description: z.string().optional() })).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    durationMs: z.number(),
  })
  .openapi('McpServerTest')
const Name = z.string().trim().min(1).max(100)
const Url = z.string().url().max(2000)
const Headers = z
  .record(z.string(), z.string())
  .openapi({ description: 'Credential headers sent with every request (write-only; sealed at rest)' })
const base = '/workspaces/{workspaceId}/mcp-servers'

const list = createRoute({
  method: 'get',
  path: base,
  tags: ['agents'],
  summary: "The workspace's external MCP servers (viewer); credential headers only by name",
  request: { params: WorkspaceParams },
  responses: { 200: json(z.object({ servers: z.array(McpServerSchema) })), ...errorResponses },
})
const create = createRoute({
  method: 'post',
  path: base,
  tags: ['agents'],
  summary:
    'Register an external MCP server (workspace admin). Tested first (connect, list tools): a failing test saves nothing (422) unless `saveAnyway`',
  request: {
    params: WorkspaceParams,
    ...jsonBody(z.object({ name: Name, url: Url, headers: Headers.optional(), saveAnyway: z.boolean().optional() })),
  },
  responses: {
    201: json(z.object({ server: McpServerSchema, test: McpServerTestSchema }), 'Created'),
    ...errorResponses,
    409: errorResponses[400],
    422: errorResponses[400],
  },
})
const get = createRoute({
  method: 'get',
  path: `${base}/{serverId}`,
  tags: ['agents'],
  summary: 'One MCP server (viewer)',
  request: { params: ServerParams },
  responses: { 200: json(McpServerSchema), ...errorResponses },
})
const update = createRoute({
  method: 'patch',
  path: `${base}/{serverId}`,
  tags: ['agents'],
  summary:
    'Change an MCP server (workspace admin). `headers` replaces them all; a new URL needs them again (400 secret_required)',
  request: {
    params: ServerParams,
    ...jsonBody(z.object({ name: Name.optional(), url: Url.optional(), headers: Headers.optional() })),
  },
  responses: { 200: json(McpServerSchema), ...errorResponses, 409: errorResponses[400] },
})
const remove = createRoute({
  method: 'delete',
  path: `${base}/{serverId}`,
  tags: ['agents'],
  summary: 'Remove an MCP server (workspace admin); pipelines naming it fail validation from then on',
  request: { params: ServerParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
})
const test = createRoute({
  method: 'post',
  path: `${base}/{serverId}/test`,
  tags: ['agents'],
  summary: 'Connect to a saved MCP server with its stored credentials and list its tools (editor)',
  request: { params: ServerParams },
  responses: { 200: json(McpServerTestSchema), ...errorResponses },
})

/**
 * External MCP servers, for agents as pipeline steps (`mcp.call`). Workspace admins register and change them
 * (their credentials are sealed); editors test them and use them in pipelines; viewers see which exist.
 */
export function mcpServerRoutes(identity: Identity, servers: () => McpServers | undefined) {
  const service = requireStarted(servers, 'mcp_servers_unavailable', 'MCP servers are still starting')
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...list, middleware: [authorize(identity, can.workspace('viewer'), 'mcp_servers.list')] }, async (c) =>
      c.json({ servers: await service().list(currentWorkspace(c).id) }, 200),
    )
    .openapi(
      { ...create, middleware: [authorize(identity, can.workspace('admin'), 'mcp_servers.create')] },
      async (c) => {
        const result = await service().create(currentWorkspace(c).id, c.req.valid('json'), currentPrincipal(c).userId)
        return c.json(result, 201)
      },
    )
    .openapi({ ...get, middleware: [authorize(identity, can.workspace('viewer'), 'mcp_servers.get')] }, async (c) =>
      c.json(await service().get(currentWorkspace(c).id, c.req.valid('param').serverId), 200),
    )
    .openapi(
      { ...update, middleware: [authorize(identity, can.workspace('admin'), 'mcp_servers.update')] },
      async (c) =>
        c.json(await service().update(currentWorkspace(c).id, c.req.valid('param').serverId, c.req.valid('json')), 200),
    )
    .openapi(
      { ...remove, middleware: [authorize(identity, can.workspace('admin'), 'mcp_servers.delete')] },
      async (c) => {
        await service().delete(currentWorkspace(c).id, c.req.valid('param').serverId)
        return c.body(null, 204)
      },
    )
    .openapi({ ...test, middleware: [authorize(identity, can.workspace('editor'), 'mcp_servers.test')] }, async (c) =>
      c.json(await service().test(currentWorkspace(c).id, c.req.valid('param').serverId), 200),
    )
}
