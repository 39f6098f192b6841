import { type OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../http/env.ts'
import { errorResponses } from './identity-schemas.ts'

const Id = z.string()

const upgrade = (what: string) => ({
  101: { description: `Switching Protocols: the websocket is open (${what})` },
  ...errorResponses,
})

/**
 * Documents the /api routes that are not JSON-in/JSON-out and so are written with plain Hono: the metrics
 * scrape, the document itself, the docs page and the three websockets. With these the OpenAPI document names
 * every /api route (a test checks), and `@workbench/client` can at least name their paths.
 */
export function documentOtherRoutes(api: OpenAPIHono<AppEnv>): void {
  const r = api.openAPIRegistry
  r.registerPath({
    method: 'get',
    path: '/metrics',
    tags: ['operations'],
    summary: 'Prometheus metrics (text exposition format)',
    responses: { 200: { description: 'Metrics', content: { 'text/plain': { schema: z.string() } } } },
  })
  r.registerPath({
    method: 'get',
    path: '/openapi.json',
    tags: ['operations'],
    summary: 'This OpenAPI 3.1 document',
    responses: {
      200: {
        description: 'The document',
        content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
      },
    },
  })
  r.registerPath({
    method: 'get',
    path: '/docs',
    tags: ['operations'],
    summary: 'Interactive API docs (Swagger UI)',
    responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } },
  })
  r.registerPath({
    method: 'get',
    path: '/docs/init.js',
    tags: ['operations'],
    summary: 'Script that starts the docs page',
    responses: { 200: { description: 'Script', content: { 'text/javascript': { schema: z.string() } } } },
  })
  r.registerPath({
    method: 'get',
    path: '/docs/assets/{file}',
    tags: ['operations'],
    summary: 'Swagger UI asset',
    request: { params: z.object({ file: z.enum(['swagger-ui.css', 'swagger-ui-bundle.js']) }) },
    responses: {
      200: {
        description: 'The asset',
        content: { 'text/css': { schema: z.string() }, 'text/javascript': { schema: z.string() } },
      },
      404: { description: 'No such asset' },
    },
  })
  r.registerPath({
    method: 'get',
    path: '/workspaces/{workspaceId}/notebooks/{notebookId}/collab',
    tags: ['notebooks'],
    summary: 'Websocket: the notebook document (y-websocket sync + awareness); viewers read, editors write',
    request: { params: z.object({ workspaceId: Id, notebookId: Id }) },
    responses: upgrade('Yjs binary messages'),
  })
  r.registerPath({
    method: 'get',
    path: '/workspaces/{workspaceId}/kernels/sessions/{sessionId}/ws',
    tags: ['kernels'],
    summary: 'Websocket: execute cells on a kernel session and stream their outputs (editor)',
    request: { params: z.object({ workspaceId: Id, sessionId: Id }) },
    responses: upgrade('JSON kernel messages, see @workbench/kernels/protocol'),
  })
  r.registerPath({
    method: 'get',
    path: '/workspaces/{workspaceId}/pipeline-runs/{runId}/logs/live',
    tags: ['pipelines'],
    summary: "Websocket: a run's log lines as they are written (viewer)",
    request: { params: z.object({ workspaceId: Id, runId: Id }) },
    responses: upgrade('one JSON log message per text frame'),
  })
}
