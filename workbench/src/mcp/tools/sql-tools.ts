import { z } from 'zod'
import { segment } from '../rest-bridge.ts'
import { defineTool, WorkspaceId } from '../tool.ts'

/** SQL tools: read-only queries on the workspace database, validated and masked by the REST route. */
export const sqlTools = [
  defineTool({
    name: 'run_sql',
    title: 'Run a read-only SQL query',
    description:
      "Run one DuckDB SELECT on the workspace's database over catalogued tables (find them with search_catalog). Writes, other statements, file-reading table functions and uncatalogued tables are refused with the reason. Columns derived from personal data are masked and listed in `masked`. Paged: pass offset = nextOffset.",
    writes: false,
    input: z.object({
      workspaceId: WorkspaceId,
      sql: z.string().min(1).max(100_000),
      limit: z.number().int().min(1).max(10_000).default(200),
      offset: z.number().int().min(0).max(100_000).default(0),
    }),
    run: ({ workspaceId, sql, limit, offset }, { rest, signal }) =>
      rest.post(`/workspaces/${segment(workspaceId)}/sql/query`, { body: { sql, limit, offset }, signal }),
  }),
  defineTool({
    name: 'ask',
    title: 'Ask a question about the data',
    description:
      'Answer a question in plain language with the workspace assistant: it finds candidate tables in the catalog, writes one read-only DuckDB SELECT, validates and runs it (catalogued tables only, personal data masked) and returns {status, sql, explanation, result (first page), chart (Vega-Lite), insights, tables}. `status` is answered, refused (nothing ran; `reason` says why), not_found or failed.',
    writes: false,
    input: z.object({ workspaceId: WorkspaceId, question: z.string().min(1).max(4_000) }),
    run: ({ workspaceId, question }, { rest, signal }) =>
      rest.post(`/workspaces/${segment(workspaceId)}/assistant/ask`, { body: { question }, signal }),
  }),
]
