import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { TEST_SIGNING_KEY } from '../../workbench/test/support/identity.ts'
import { createMembers } from '../../workbench/test/support/members.ts'
import { startTestWorkbench } from '../../workbench/test/support/workbench.ts'
import { type BenchResult, percentile, sample } from '../harness.ts'

/**
 * The MCP server's own cost over the REST API it adapts, on the real server (embedded mode, PGlite):
 * - `run_sql` over Streamable HTTP (one JSON-RPC POST, the tool's in-process REST call) against the same query
 *   sent to `POST /api/workspaces/{id}/sql/query` directly (target: ratio ≤ 1.2);
 * - `tools/list` against the cheapest authenticated REST read (`GET /api/workspaces`).
 * Each sample is one request from this process over a real socket; p50 of MCP_BENCH_ITERATIONS (default 200).
 */
const ITERATIONS = Number(process.env.MCP_BENCH_ITERATIONS ?? 200)
const ROWS = 10_000
const QUERY = 'SELECT city, count(*) AS n, sum(amount) AS total FROM sales GROUP BY city ORDER BY city'

export default async function mcpRoundTrip(): Promise<BenchResult[]> {
  const wb = await startTestWorkbench({ AUTH_JWT_SECRET: TEST_SIGNING_KEY })
  try {
    const members = createMembers(wb.db)
    const workspaceId = await members.workspace()
    const admin = await members.member(workspaceId, 'admin')
    const api = async (method: string, path: string, body?: unknown, token = admin.token) => {
      const res = await fetch(`${wb.url}/api${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await res.text()
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
      return text ? JSON.parse(text) : undefined
    }
    await setUpSales(wb, workspaceId)
    const sources = (await api('GET', `/workspaces/${workspaceId}/catalog/sources`)) as unknown
    const list = (Array.isArray(sources) ? sources : ((sources as { items?: unknown[] }).items ?? [])) as {
      id: string
      kind: string
    }[]
    const source = list.find((s) => s.kind === 'duckdb')
    if (!source) throw new Error('no workspace DuckDB catalog source')
    const { runId } = await api('POST', `/workspaces/${workspaceId}/catalog/sources/${source.id}/discover`)
    for (;;) {
      const run = await api('GET', `/workspaces/${workspaceId}/catalog/runs/${runId}`)
      if (run.status === 'succeeded') break
      if (run.status === 'failed') throw new Error(`discovery failed: ${JSON.stringify(run)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const { token } = await api('POST', '/me/tokens', { name: 'bench', scope: 'read', expiresInDays: 1 })

    const client = new Client({ name: 'bench', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${wb.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    )
    try {
      const viaRest = () => api('POST', `/workspaces/${workspaceId}/sql/query`, { sql: QUERY }, token)
      const viaMcp = async () => {
        const answer = await client.callTool({ name: 'run_sql', arguments: { workspaceId, sql: QUERY } })
        if (answer.isError) throw new Error(JSON.stringify(answer.content))
      }
      // Interleaved rounds, so both see the same machine state.
      const rest: number[] = []
      const mcp: number[] = []
      for (let round = 0; round < 4; round++) {
        rest.push(...(await sample(viaRest, ITERATIONS / 4)))
        mcp.push(...(await sample(viaMcp, ITERATIONS / 4)))
      }
      const listTools = await sample(() => client.listTools(), ITERATIONS)
      const listWorkspaces = await sample(() => api('GET', '/workspaces', undefined, token), ITERATIONS)
      return [
        {
          name: 'mcp run_sql vs REST sql/query (p50)',
          ours: percentile(mcp, 50),
          baseline: percentile(rest, 50),
          unit: 'ms',
          notes: {
            p95_ours: percentile(mcp, 95).toFixed(2),
            p95_baseline: percentile(rest, 95).toFixed(2),
            rows: ROWS,
          },
        },
        {
          name: 'mcp tools/list vs REST GET /workspaces (p50)',
          ours: percentile(listTools, 50),
          baseline: percentile(listWorkspaces, 50),
          unit: 'ms',
        },
      ]
    } finally {
      await client.close()
    }
  } finally {
    await wb.dispose()
  }
}

/** A `sales` table of ROWS rows in the workspace DuckDB. */
async function setUpSales(wb: Awaited<ReturnType<typeof startTestWorkbench>>, workspaceId: string): Promise<void> {
  const db = await wb.workspaceDatabases.get(workspaceId)
  await db.query(
    `CREATE TABLE sales AS SELECT range AS id, ['Lyon', 'Paris', 'Nice', 'Lille'][range % 4 + 1] AS city,
       (range * 7 % 1000) / 10.0 AS amount FROM range(${ROWS})`,
  )
}
