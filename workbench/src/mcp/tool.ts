import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import type { RestBridge } from './rest-bridge.ts'

/** What a tool gets besides its arguments. */
export interface ToolContext {
  /** The REST API, as the caller. */
  rest: RestBridge
  /** Aborts when the client cancels the call or goes away. */
  signal: AbortSignal
}

/** A tool as the server sees it: arguments already validated against `input`. */
export interface Tool {
  name: string
  title: string
  description: string
  input: z.ZodObject
  /** True when the tool changes something: read-only API tokens are refused before it runs. */
  writes: boolean
  annotations?: ToolAnnotations
  /** The tool's structured result (an object: MCP's `structuredContent`). */
  run(args: Record<string, unknown>, context: ToolContext): Promise<Record<string, unknown>>
}

/**
 * Declares a tool with typed arguments.
 *
 * @example
 * defineTool({ name: 'list_notebooks', title: 'List notebooks', description: '…', writes: false,
 *   input: z.object({ workspaceId: Id }), run: ({ workspaceId }, { rest }) => rest.get(`/workspaces/${segment(workspaceId)}/notebooks`) })
 */
export function defineTool<I extends z.ZodObject>(tool: {
  name: string
  title: string
  description: string
  input: I
  writes: boolean
  annotations?: ToolAnnotations
  run(args: z.output<I>, context: ToolContext): Promise<Record<string, unknown>>
}): Tool {
  return {
    ...tool,
    annotations: { readOnlyHint: !tool.writes, openWorldHint: false, ...tool.annotations },
    run: (args, context) => tool.run(args as z.output<I>, context),
  }
}

/** An id argument (workspace, notebook, asset, pipeline, run, file): never a path. */
export const Id = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'an id: letters, digits and _ . : - only')
  .refine((v) => v !== '.' && v !== '..', 'an id, not a path')

export const WorkspaceId = Id.describe('The workspace (see list_workspaces)')

/** Paging arguments every listing tool takes: results are paged, never cut silently. */
export const Paging = {
  limit: z.number().int().min(1).max(200).default(50).describe('Items per page'),
  offset: z.number().int().min(0).default(0).describe('Items to skip (the previous answer gives nextOffset)'),
}

/** `nextOffset` for a page of `count` items out of `total`, or null on the last page. */
export function nextOffset(offset: number, count: number, total: number): number | null {
  return offset + count < total ? offset + count : null
}
