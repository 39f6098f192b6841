import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { z as zod } from 'zod'
import { authorize, can, currentPrincipal, currentWorkspace } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { roleAtLeast } from '../auth/principal.ts'
import type { ConnectionService } from '../connections/connection-service.ts'
import type { IntrospectionItem } from '../connections/introspection.ts'
import {
  KERNEL_EGRESS_MODES,
  readAllowedNetworks,
  readKernelEgress,
  writeAllowedNetworks,
  writeKernelEgress,
} from '../connections/network-settings.ts'
import { ConnectionProblem } from '../connections/problems.ts'
import { connectionTypes } from '../connections/types/registry.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError, requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import { errorResponses, json, jsonBody } from './identity-schemas.ts'

const WorkspaceParams = z.object({ workspaceId: z.string().openapi({ param: { name: 'workspaceId', in: 'path' } }) })
const ConnectionParams = WorkspaceParams.extend({
  connectionId: z.string().openapi({ param: { name: 'connectionId', in: 'path' } }),
})
const Params = z.record(z.string(), z.unknown()).openapi({ description: "Fields of the type's parameter schema" })
const ConnectionSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.string(),
    params: z.record(z.string(), z.unknown()),
    secrets: z.record(z.string(), z.enum(['set', 'unset'])),
    writable: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastTest: z.object({ at: z.string(), ok: z.boolean(), error: z.string().nullable() }).nullable(),
  })
  .openapi('Connection')
const TestResultSchema = z
  .object({
    ok: z.boolean(),
    serverVersion: z.string().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    durationMs: z.number(),
  })
  .openapi('ConnectionTestResult')
const ConnectionName = z.string().trim().min(1).max(100)
const failed = { 409: errorResponses[400], 422: errorResponses[400] }
const base = '/workspaces/{workspaceId}/connections'

const ConnectionTypeSchema = z
  .object({
    id: z.string(),
    label: z.string(),
    secretFields: z.array(z.string()),
    hostFields: z.array(z.string()),
    multilineFields: z.array(z.string()),
    schema: z
      .record(z.string(), z.unknown())
      .openapi({ description: "The parameters' JSON Schema (draft 2020-12, as zod writes it)" }),
  })
  .openapi('ConnectionType')

const types = createRoute({
  method: 'get',
  path: '/connection-types',
  tags: ['connections'],
  summary: 'Connection types and their parameter schemas (JSON Schema), with secret fields marked',
  responses: { 200: json(z.object({ types: z.array(ConnectionTypeSchema) })), ...errorResponses },
})
const list = createRoute({
  method: 'get',
  path: base,
  tags: ['connections'],
  summary: "The workspace's connections (viewer); secret fields only as set/unset",
  request: { params: WorkspaceParams },
  responses: { 200: json(z.object({ connections: z.array(ConnectionSchema) })), ...errorResponses },
})
const create = createRoute({
  method: 'post',
  path: base,
  tags: ['connections'],
  summary:
    'Create a connection (workspace admin). Tested first: a failing test saves nothing (422 with its code) unless `saveAnyway`',
  request: {
    params: WorkspaceParams,
    ...jsonBody(
      z.object({
        name: ConnectionName,
        type: z.string(),
        params: Params,
        writable: z.boolean().optional(),
        saveAnyway: z.boolean().optional(),
      }),
    ),
  },
  responses: {
    201: json(z.object({ connection: ConnectionSchema, test: TestResultSchema }), 'Created'),
    ...errorResponses,
    ...failed,
  },
})
const testUnsaved = createRoute({
  method: 'post',
  path: `${base}/test`,
  tags: ['connections'],
  summary: 'Test parameters without saving them (workspace admin); unreachable targets answer alike after the timeout',
  request: { params: WorkspaceParams, ...jsonBody(z.object({ type: z.string(), params: Params })) },
  responses: { 200: json(TestResultSchema), ...errorResponses },
})
const get = createRoute({
  method: 'get',
  path: `${base}/{connectionId}`,
  tags: ['connections'],
  summary: 'One connection (viewer)',
  request: { params: ConnectionParams },
  responses: { 200: json(ConnectionSchema), ...errorResponses },
})
const update = createRoute({
  method: 'patch',
  path: `${base}/{connectionId}`,
  tags: ['connections'],
  summary:
    'Change a connection (workspace admin). A secret left out keeps its value (null clears it); changing host, port, user, database or TLS settings needs it again (400 secret_required)',
  request: {
    params: ConnectionParams,
    ...jsonBody(
      z.object({
        name: ConnectionName.optional(),
        params: Params.optional(),
        writable: z.boolean().optional(),
        saveAnyway: z.boolean().optional(),
      }),
    ),
  },
  responses: {
    200: json(z.object({ connection: ConnectionSchema, test: TestResultSchema.nullable() })),
    ...errorResponses,
    ...failed,
  },
})
const remove = createRoute({
  method: 'delete',
  path: `${base}/{connectionId}`,
  tags: ['connections'],
  summary: 'Delete a connection (workspace admin); its pool is closed',
  request: { params: ConnectionParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
})
const testSaved = createRoute({
  method: 'post',
  path: `${base}/{connectionId}/test`,
  tags: ['connections'],
  summary:
    'Test a saved connection (editor), or unsaved changes over it (workspace admin; a moved target needs the secret again)',
  request: { params: ConnectionParams },
  responses: { 200: json(TestResultSchema), ...errorResponses },
})
const introspection = createRoute({
  method: 'get',
  path: `${base}/{connectionId}/introspection`,
  tags: ['connections'],
  summary: 'Schemas, tables, views, columns, comments, row estimates (viewer), streamed as NDJSON: one table per line',
  request: { params: ConnectionParams },
  responses: {
    200: { description: 'One IntrospectionItem per line', content: { 'application/x-ndjson': { schema: z.string() } } },
    ...errorResponses,
  },
})
const Networks = z.object({ networks: z.array(z.string().max(64)).max(1000) })
const getNetworks = createRoute({
  method: 'get',
  path: '/admin/connections/allowed-networks',
  tags: ['admin'],
  summary: 'Networks (CIDR) connections may reach although the SSRF guard blocks them (instance admins)',
  responses: { 200: json(Networks), ...errorResponses },
})
const putNetworks = createRoute({
  method: 'put',
  path: '/admin/connections/allowed-networks',
  tags: ['admin'],
  summary: 'Replace the allowed networks (instance admins)',
  request: jsonBody(Networks),
  responses: { 200: json(Networks), ...errorResponses },
})
const Egress = z.object({ mode: z.enum(KERNEL_EGRESS_MODES) })
const getKernelEgress = createRoute({
  method: 'get',
  path: '/admin/kernels/egress',
  tags: ['admin'],
  summary: 'How sandboxed Python kernels reach the network: off, or policy (the outbound policy) (instance admins)',
  responses: { 200: json(Egress), ...errorResponses },
})
const putKernelEgress = createRoute({
  method: 'put',
  path: '/admin/kernels/egress',
  tags: ['admin'],
  summary: 'Set kernel egress (instance admins); applies to every open and new kernel connection at once',
  request: jsonBody(Egress),
  responses: { 200: json(Egress), ...errorResponses },
})

/**
 * Connections of a workspace, and the allow-list. Workspace admins manage connections (create, change,
 * delete, test unsaved settings); editors use them (list, introspect, SQL, test a saved one as it is).
 */
export function connectionRoutes(identity: Identity, connections: () => ConnectionService | undefined) {
  const service = requireStarted(connections, 'connections_unavailable', 'Connections are still starting')
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...types, middleware: [authorize(identity, can.user, 'connections.types')] }, (c) =>
      c.json(
        {
          types: [...connectionTypes.values()].map((t) => ({
            id: t.id,
            label: t.label,
            secretFields: [...t.secretFields],
            hostFields: [...t.hostFields],
            multilineFields: [...(t.multilineFields ?? [])],
            schema: { ...zod.toJSONSchema(t.params, { io: 'input', unrepresentable: 'any' }) } as Record<
              string,
              unknown
            >,
          })),
        },
        200,
      ),
    )
    .openapi({ ...list, middleware: [authorize(identity, can.workspace('viewer'), 'connections.list')] }, async (c) =>
      c.json({ connections: await service().list(currentWorkspace(c).id) }, 200),
    )
    .openapi(
      { ...create, middleware: [authorize(identity, can.workspace('admin'), 'connections.create')] },
      async (c) => {
        const body = c.req.valid('json')
        const workspace = currentWorkspace(c)
        const result = await service().create(workspace.id, body, currentPrincipal(c).userId)
        return c.json(result, 201)
      },
    )
    .openapi(
      { ...testUnsaved, middleware: [authorize(identity, can.workspace('admin'), 'connections.test')] },
      async (c) => {
        const { type, params } = c.req.valid('json')
        return c.json(await service().testParams(type, params), 200)
      },
    )
    .openapi({ ...get, middleware: [authorize(identity, can.workspace('viewer'), 'connections.get')] }, async (c) => {
      const { connectionId } = c.req.valid('param')
      return c.json(await service().get(currentWorkspace(c).id, connectionId), 200)
    })
    .openapi(
      { ...update, middleware: [authorize(identity, can.workspace('admin'), 'connections.update')] },
      async (c) => {
        const { connectionId } = c.req.valid('param')
        const body = c.req.valid('json')
        const workspace = currentWorkspace(c)
        return c.json(await service().update(workspace.id, connectionId, body), 200)
      },
    )
    .openapi(
      { ...remove, middleware: [authorize(identity, can.workspace('admin'), 'connections.delete')] },
      async (c) => {
        const { connectionId } = c.req.valid('param')
        await service().delete(currentWorkspace(c).id, connectionId)
        return c.body(null, 204)
      },
    )
    .openapi(
      { ...testSaved, middleware: [authorize(identity, can.workspace('editor'), 'connections.test')] },
      async (c) => {
        const { connectionId } = c.req.valid('param')
        // The body is optional (`{ params }`: unsaved changes to try), so it is parsed here, not by the route.
        const text = await c.req.text()
        let body: { params?: Record<string, unknown> } = {}
        try {
          body = text.trim() ? z.object({ params: Params.optional() }).parse(JSON.parse(text)) : {}
        } catch {
          throw new AppError(400, 'validation_failed', 'The body must be {"params": {...}} or empty')
        }
        const workspace = currentWorkspace(c)
        // Trying changed settings is managing the connection: an admin's, like saving them.
        if (body.params && Object.keys(body.params).length > 0 && !roleAtLeast(workspace.role, 'admin'))
          throw new AppError(403, 'role_insufficient', 'Only workspace admins test changed connection settings', {
            required: 'admin',
            actual: workspace.role,
          })
        return c.json(await service().testSaved(workspace.id, connectionId, body.params), 200)
      },
    )
    .openapi(
      { ...introspection, middleware: [authorize(identity, can.workspace('viewer'), 'connections.introspect')] },
      async (c) => {
        const { connectionId } = c.req.valid('param')
        const items = service().introspect(currentWorkspace(c).id, connectionId)[Symbol.asyncIterator]()
        // The first item is read before answering, so an unreachable source is a proper error status.
        let first: IteratorResult<IntrospectionItem>
        try {
          first = await items.next()
        } catch (err) {
          if (err instanceof ConnectionProblem) throw new AppError(502, err.code, err.message)
          throw err
        }
        const encoder = new TextEncoder()
        let pending: IteratorResult<IntrospectionItem> | undefined = first
        const stream = new ReadableStream<Uint8Array>({
          async pull(controller) {
            try {
              const next = pending ?? (await items.next())
              pending = undefined
              if (next.done) controller.close()
              else controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`))
            } catch (err) {
              // Headers are sent: a failure half-way is the last line, never a silently short list.
              const message = err instanceof Error ? err.message : String(err)
              controller.enqueue(encoder.encode(`${JSON.stringify({ error: message })}\n`))
              controller.close()
            }
          },
          async cancel() {
            await items.return?.()
          },
        })
        // zod-openapi types only JSON answers; this one is an NDJSON stream.
        return new Response(stream, { status: 200, headers: { 'content-type': 'application/x-ndjson' } }) as never
      },
    )
    .openapi(
      { ...getNetworks, middleware: [authorize(identity, can.instanceAdmin, 'admin.connections.networks.get')] },
      async (c) => c.json({ networks: await readAllowedNetworks(identity.db()) }, 200),
    )
    .openapi(
      { ...putNetworks, middleware: [authorize(identity, can.instanceAdmin, 'admin.connections.networks.update')] },
      async (c) => c.json({ networks: await writeAllowedNetworks(identity.db(), c.req.valid('json').networks) }, 200),
    )
    .openapi(
      { ...getKernelEgress, middleware: [authorize(identity, can.instanceAdmin, 'admin.kernels.egress.get')] },
      async (c) => c.json({ mode: await readKernelEgress(identity.db()) }, 200),
    )
    .openapi(
      { ...putKernelEgress, middleware: [authorize(identity, can.instanceAdmin, 'admin.kernels.egress.update')] },
      async (c) => c.json({ mode: await writeKernelEgress(identity.db(), c.req.valid('json').mode) }, 200),
    )
}
