import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { ErrorCode, isJSONRPCRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'

/**
 * `npm run mcp`: the workbench's MCP server for desktop clients that speak stdio. It relays every JSON-RPC
 * message to a running instance's `/mcp` endpoint with the API token from the environment, so tools,
 * permissions, masking and audit are those of the HTTP server: one implementation, two transports.
 *
 *   WORKBENCH_URL   the instance (default http://localhost:8080)
 *   WORKBENCH_TOKEN a personal API token (wbt_…); a read-only one offers only the tools that read
 */
async function main(): Promise<void> {
  const token = process.env.WORKBENCH_TOKEN
  if (!token) {
    process.stderr.write('workbench-mcp: set WORKBENCH_TOKEN to a personal API token (wbt_…)\n')
    process.exit(2)
  }
  const base = process.env.WORKBENCH_URL ?? 'http://localhost:8080'
  let endpoint: URL
  try {
    endpoint = new URL('/mcp', base)
  } catch {
    process.stderr.write(`workbench-mcp: WORKBENCH_URL is not a URL: ${base}\n`)
    process.exit(2)
  }
  const upstream = new StreamableHTTPClientTransport(endpoint, {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  })
  const local = new StdioServerTransport()

  // A request the instance could not answer (unreachable, 401) gets a JSON-RPC error: the client never hangs.
  const relay = async (message: JSONRPCMessage) => {
    try {
      await upstream.send(message)
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      process.stderr.write(`workbench-mcp: ${endpoint.href}: ${reason}\n`)
      if (isJSONRPCRequest(message))
        await local.send({
          jsonrpc: '2.0',
          id: message.id,
          error: { code: ErrorCode.InternalError, message: `The workbench at ${endpoint.origin} answered: ${reason}` },
        })
    }
  }
  local.onmessage = (message) => void relay(message)
  upstream.onmessage = (message) => void local.send(message)
  upstream.onerror = (err) => process.stderr.write(`workbench-mcp: ${err.message}\n`)
  local.onclose = () => void upstream.close().finally(() => process.exit(0))
  await upstream.start()
  await local.start()
}

await main()
