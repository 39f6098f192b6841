import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { getPrompt, PROMPTS } from './prompts.ts'
import { listResources, RESOURCE_TEMPLATES, readResource } from './resources.ts'
import { type RestBridge, RestError } from './rest-bridge.ts'
import type { Tool } from './tool.ts'
import { catalogTools } from './tools/catalog-tools.ts'
import { fileTools } from './tools/file-tools.ts'
import { notebookTools } from './tools/notebook-tools.ts'
import { pipelineTools } from './tools/pipeline-tools.ts'
import { sqlTools } from './tools/sql-tools.ts'
import { workspaceTools } from './tools/workspace-tools.ts'

/** Every tool the server offers, in the order `tools/list` shows them. */
export const TOOLS: readonly Tool[] = [
  ...workspaceTools,
  ...catalogTools,
  ...sqlTools,
  ...fileTools,
  ...notebookTools,
  ...pipelineTools,
]

const BY_NAME = new Map(TOOLS.map((tool) => [tool.name, tool]))

/** `tools/list`, computed once: the JSON Schemas do not change while the server runs. */
const TOOL_LIST = TOOLS.map((tool) => ({
  name: tool.name,
  title: tool.title,
  description: tool.description,
  inputSchema: z.toJSONSchema(tool.input, { io: 'input' }) as { type: 'object' },
  annotations: { title: tool.title, ...tool.annotations },
}))

/** One finished tool call, for the audit log. */
export interface ToolCallRecord {
  tool: string
  /** The arguments as validated (ids, queries, options; tools take no secrets). */
  args: Record<string, unknown>
  outcome: 'success' | 'failure' | 'denied'
  /** The REST status the call ended with (200 on success). */
  status: number
  /** The workspace the call acted in, once the API let the caller in. */
  workspaceId: string | null
}

export interface McpServerOptions {
  rest: RestBridge
  /** False for a read-only API token: tools that write are refused before they run. */
  canWrite: boolean
  /** Written once per tool call, whatever its outcome. */
  audit(record: ToolCallRecord): Promise<void>
  /** Aborts when the HTTP client goes away. */
  signal?: AbortSignal
  version: string
}

const INSTRUCTIONS =
  'Workbench: collaborative SQL/Python notebooks, a data catalog and scheduled pipelines. Start with ' +
  'list_workspaces; every other tool takes a workspaceId. Find data with search_catalog and describe_table, ' +
  'read samples with preview_table (personal data stays masked). Results are paged: pass nextOffset back.'

/**
 * The MCP server for one caller: tools, resources and prompts over the REST API with the caller's credential.
 * Built per request (the transport is stateless), so nothing of one caller can reach another's call.
 */
export function createMcpServer(options: McpServerOptions): Server {
  const server = new Server(
    { name: 'workbench', title: 'Workbench', version: options.version },
    { capabilities: { tools: {}, resources: {}, prompts: {} }, instructions: INSTRUCTIONS },
  )
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOL_LIST }))

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const tool = BY_NAME.get(request.params.name)
    // Protocol errors (JSON-RPC): the client asked for something that does not exist or sent bad arguments.
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`)
    const parsed = tool.input.safeParse(request.params.arguments ?? {})
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }))
      const named = issues.map((i) => `${i.field || '(arguments)'}: ${i.message}`).join('; ')
      throw new McpError(ErrorCode.InvalidParams, `Invalid arguments for ${tool.name}: ${named}`, { issues })
    }
    const args = parsed.data as Record<string, unknown>
    const workspaceId = typeof args.workspaceId === 'string' ? args.workspaceId : null
    if (tool.writes && !options.canWrite) {
      await options.audit({ tool: tool.name, args, outcome: 'denied', status: 403, workspaceId: null })
      return toolError(403, 'token_scope_insufficient', `${tool.name} changes data: this API token is read-only`)
    }
    const signal = options.signal ? AbortSignal.any([extra.signal, options.signal]) : extra.signal
    try {
      const result = await tool.run(args, { rest: options.rest, signal })
      await options.audit({ tool: tool.name, args, outcome: 'success', status: 200, workspaceId })
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result }
    } catch (err) {
      if (!(err instanceof RestError)) throw err
      // A workspace the caller may not enter answers 404 and is logged without its id, as the REST API does.
      const entered = err.status !== 404 && err.status !== 401
      const outcome = err.status === 401 || err.status === 403 ? 'denied' : 'failure'
      await options.audit({
        tool: tool.name,
        args,
        outcome,
        status: err.status,
        workspaceId: entered ? workspaceId : null,
      })
      return toolError(err.status, err.code, err.message, err.details)
    }
  })

  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({ resourceTemplates: RESOURCE_TEMPLATES }))
  server.setRequestHandler(ListResourcesRequestSchema, (_request, extra) => listResources(options.rest, extra.signal))
  server.setRequestHandler(ReadResourceRequestSchema, (request, extra) =>
    readResource(options.rest, request.params.uri, extra.signal),
  )
  server.setRequestHandler(ListPromptsRequestSchema, () => ({ prompts: PROMPTS }))
  server.setRequestHandler(GetPromptRequestSchema, (request) =>
    getPrompt(request.params.name, request.params.arguments ?? {}),
  )
  return server
}

/** A tool execution error: the REST API's stable code and message, for the model to read and act on. */
function toolError(status: number, code: string, message: string, details?: unknown): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `${code}: ${message}` }],
    structuredContent: { error: { status, code, message, ...(details === undefined ? {} : { details }) } },
  }
}
