import { ApplicationFailure } from '@temporalio/client'
import type { StepArtifacts, StepHandler, StepInput } from '@workbench/orchestrator/activities'
import { defineStepType } from '@workbench/orchestrator/spec'
import { z } from 'zod'
import { AppError } from '../http/errors.ts'
import { McpServerProblem, type McpServers } from './mcp-servers.ts'

/** Most characters of a tool's text kept in the step output (the whole result is the step's artifact). */
const OUTPUT_TEXT_LIMIT = 20_000

/**
 * `mcp.call`: dispatches a task to an external agent, a tool of an MCP server the workspace registered. The
 * result is the step's output and its artifact; a tool answering `isError` fails the step.
 */
export const mcpCallStep = defineStepType({
  type: 'mcp.call',
  description: "Calls a tool of one of the workspace's MCP servers; its result is the step's output (and artifact).",
  with: z.strictObject({
    server: z.string().min(1).describe('Name (or id) of an MCP server registered in the workspace.'),
    tool: z.string().min(1).max(128),
    arguments: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Tool arguments; `{{ params.x }}` and `{{ steps.a.output… }}` templates are rendered first.'),
    fail_on_tool_error: z
      .boolean()
      .optional()
      .describe('Fail the step when the tool answers with isError (default true); false keeps it as output.'),
  }),
  references: (withBlock) =>
    typeof withBlock.server === 'string' ? [{ kind: 'mcp_server', name: withBlock.server, path: ['server'] }] : [],
})

export interface McpCallDeps {
  servers: () => McpServers | undefined
  /** Where the step's artifacts go (the workspace's pipeline artifact folder, per step execution). */
  artifacts: (input: StepInput, idempotencyKey: string) => StepArtifacts
}

/**
 * The worker side of `mcp.call`. An unknown server, a refused destination or a tool error never gets better by
 * asking again (non-retryable); an unreachable server or a protocol error is retried by the step's retry policy.
 * The step's `timeout` (and cancelling the run) ends a call to a server that hangs.
 */
export function mcpCallHandler(deps: McpCallDeps): StepHandler {
  return async (withBlock, context, input) => {
    const servers = deps.servers()
    if (!servers) throw new Error('MCP servers are not available yet')
    if (!input.workspaceId)
      throw ApplicationFailure.nonRetryable('mcp.call needs the run of a workspace pipeline', 'NoWorkspace')
    const server = withBlock.server as string
    const tool = withBlock.tool as string
    const started = Date.now()
    context.log(`calling ${tool} on MCP server ${server}`)
    let called: Awaited<ReturnType<McpServers['callTool']>>
    try {
      called = await servers.callTool(
        input.workspaceId,
        server,
        tool,
        (withBlock.arguments as Record<string, unknown> | undefined) ?? {},
        { signal: context.signal },
      )
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw ApplicationFailure.nonRetryable(err.message, err.code)
      if (err instanceof McpServerProblem && err.code === 'destination_not_allowed')
        throw ApplicationFailure.nonRetryable(err.message, err.code)
      throw err
    }
    const { result } = called
    const durationMs = Date.now() - started
    const artifact = deps.artifacts(input, context.idempotencyKey).write('result.json', `${JSON.stringify(result)}\n`)
    const output = {
      server: called.server.name,
      tool,
      isError: result.isError === true,
      durationMs,
      text: textOf(result),
      ...(result.structuredContent ? { structured: result.structuredContent } : {}),
      artifact: { ...artifact, name: 'result.json', format: 'json', kind: 'agent-result' },
    }
    if (output.isError && withBlock.fail_on_tool_error !== false) {
      context.log(`${tool} answered with an error after ${durationMs} ms`, 'error')
      throw ApplicationFailure.nonRetryable(
        `MCP tool ${tool} on ${called.server.name} answered with an error: ${output.text.slice(0, 500)}`,
        'McpToolError',
        output,
      )
    }
    context.log(`${tool} answered in ${durationMs} ms`)
    return output
  }
}

/** The text parts of a tool result, joined and bounded; other content kinds are named, not inlined. */
function textOf(result: { content?: unknown }): string {
  const parts = Array.isArray(result.content) ? (result.content as { type?: string; text?: string }[]) : []
  const text = parts.map((p) => (p.type === 'text' ? (p.text ?? '') : `[${p.type ?? 'content'}]`)).join('\n')
  return text.length > OUTPUT_TEXT_LIMIT ? `${text.slice(0, OUTPUT_TEXT_LIMIT)}… (truncated; see the artifact)` : text
}
