import { z } from 'zod'
import { type RestBridge, RestError, segment } from '../rest-bridge.ts'
import { defineTool, Id, nextOffset, Paging, WorkspaceId } from '../tool.ts'

const notebooks = (workspaceId: string) => `/workspaces/${segment(workspaceId)}/notebooks`
const notebook = (workspaceId: string, notebookId: string) => `${notebooks(workspaceId)}/${segment(notebookId)}`

/** Output bundles larger than this (base64 images, big HTML) are replaced by a marker saying what was left out. */
const MAX_OUTPUT_DATA_CHARS = 20_000
/** Cells per get_notebook page. */
const CELLS_PER_PAGE = 100

interface IpynbCell {
  id?: string
  cell_type: string
  source: string | string[]
  metadata?: Record<string, unknown>
  execution_count?: number | null
  outputs?: Record<string, unknown>[]
}

/** A cell as agents read it: source as one string, its kind, and its outputs with large bundles marked omitted. */
export function agentCell(cell: IpynbCell) {
  const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source
  const workbench = cell.metadata?.workbench as { type?: unknown; connection?: unknown } | undefined
  const kind =
    cell.cell_type !== 'code'
      ? cell.cell_type
      : workbench?.type === 'sql' || source.startsWith('%%sql')
        ? 'sql'
        : 'python'
  return {
    id: cell.id ?? null,
    kind,
    source,
    ...(kind === 'sql'
      ? { connection: typeof workbench?.connection === 'string' ? workbench.connection : 'duckdb' }
      : {}),
    ...(cell.cell_type === 'code'
      ? { executionCount: cell.execution_count ?? null, outputs: (cell.outputs ?? []).map(agentOutput) }
      : {}),
  }
}

function agentOutput(output: Record<string, unknown>): Record<string, unknown> {
  const data = output.data as Record<string, unknown> | undefined
  if (!data) return output
  const kept: Record<string, unknown> = {}
  const omitted: { mimeType: string; chars: number }[] = []
  for (const [mime, value] of Object.entries(data)) {
    const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join('') : JSON.stringify(value)
    if (text.length > MAX_OUTPUT_DATA_CHARS && mime !== 'application/vnd.workbench.table+json')
      omitted.push({ mimeType: mime, chars: text.length })
    else kept[mime] = value
  }
  return omitted.length > 0 ? { ...output, data: kept, omitted } : output
}

async function readCells(rest: RestBridge, workspaceId: string, notebookId: string, signal: AbortSignal) {
  const exported = await rest.get<unknown>(`${notebook(workspaceId, notebookId)}/export`, { signal })
  const ipynb = (typeof exported === 'string' ? JSON.parse(exported) : exported) as { cells?: IpynbCell[] }
  return ipynb.cells ?? []
}

/** Polls the notebook's execution until none of `cellIds` is queued or running, or the deadline passes. */
async function waitForCells(
  rest: RestBridge,
  workspaceId: string,
  notebookId: string,
  cellIds: readonly string[],
  deadline: number,
  signal: AbortSignal,
): Promise<boolean> {
  const pending = new Set(cellIds)
  for (;;) {
    const status = await rest.get<{ kernel: string; queue: string[] }>(
      `${notebook(workspaceId, notebookId)}/execution`,
      {
        signal,
      },
    )
    // The running cell has left the queue: done only once the kernel is no longer busy with it either.
    if (!status.queue.some((id) => pending.has(id)) && status.kernel !== 'busy') return true
    if (Date.now() >= deadline || signal.aborted) return false
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Notebook tools: list, read (outputs masked as stored for collaborators), create, add cells and run them. */
export const notebookTools = [
  defineTool({
    name: 'list_notebooks',
    title: 'List notebooks',
    description: 'Notebooks of a workspace, by folder or by words in their name or content.',
    writes: false,
    input: z.object({
      workspaceId: WorkspaceId,
      q: z.string().max(200).optional().describe('Words in the name or content'),
      folder: z.string().max(500).optional(),
      ...Paging,
    }),
    run: async ({ workspaceId, q, folder, limit, offset }, { rest, signal }) => {
      const page = await rest.get<{ items: unknown[]; total: number }>(notebooks(workspaceId), {
        query: { q, folder, limit, offset },
        signal,
      })
      return { ...page, nextOffset: nextOffset(offset, page.items.length, page.total) }
    },
  }),
  defineTool({
    name: 'get_notebook',
    title: 'Read a notebook',
    description:
      'A notebook with its cells (kind sql/python/markdown, source, outputs). Personal-data columns in results are masked as collaborators see them. Output bundles over 20,000 characters (images, large HTML) are listed under `omitted`. Pages of 100 cells: pass cellOffset = nextCellOffset.',
    writes: false,
    input: z.object({ workspaceId: WorkspaceId, notebookId: Id, cellOffset: z.number().int().min(0).default(0) }),
    run: async ({ workspaceId, notebookId, cellOffset }, { rest, signal }) => {
      const meta = await rest.get<Record<string, unknown>>(notebook(workspaceId, notebookId), { signal })
      const cells = await readCells(rest, workspaceId, notebookId, signal)
      const page = cells.slice(cellOffset, cellOffset + CELLS_PER_PAGE).map(agentCell)
      return {
        notebook: meta,
        totalCells: cells.length,
        cells: page,
        nextCellOffset: nextOffset(cellOffset, page.length, cells.length),
      }
    },
  }),
  defineTool({
    name: 'create_notebook',
    title: 'Create a notebook',
    description: 'A new notebook, blank or from a template (ids from the notebook-templates list).',
    writes: true,
    input: z.object({
      workspaceId: WorkspaceId,
      name: z.string().trim().min(1).max(200),
      folder: z.string().max(500).optional(),
      template: z.string().max(100).optional(),
    }),
    run: ({ workspaceId, name, folder, template }, { rest, signal }) =>
      rest.post(notebooks(workspaceId), { body: { name, folder, template }, signal }),
  }),
  defineTool({
    name: 'add_cell',
    title: 'Add a cell',
    description:
      'Append a SQL, Python or markdown cell to a notebook; collaborators see it arrive. A SQL cell runs on the workspace DuckDB unless `connection` names a connection; `bindTo` makes its result a pandas DataFrame of that name.',
    writes: true,
    input: z.object({
      workspaceId: WorkspaceId,
      notebookId: Id,
      kind: z.enum(['sql', 'python', 'markdown']),
      source: z.string().max(1_000_000),
      connection: Id.optional(),
      bindTo: z.string().max(100).optional(),
    }),
    run: ({ workspaceId, notebookId, kind, source, connection, bindTo }, { rest, signal }) =>
      rest.post(`${notebook(workspaceId, notebookId)}/cells`, { body: { kind, source, connection, bindTo }, signal }),
  }),
  defineTool({
    name: 'run_cells',
    title: 'Run cells',
    description:
      "Run cells on the server (all code cells when cellIds is omitted), as the notebook's Run button does; outputs are written into the shared notebook. With wait (default), answers the cells' outputs once they finished or when timeoutSeconds passes (finished: false; call get_cell_output later).",
    writes: true,
    input: z.object({
      workspaceId: WorkspaceId,
      notebookId: Id,
      cellIds: z.array(Id).min(1).max(10_000).optional(),
      wait: z.boolean().default(true),
      timeoutSeconds: z.number().int().min(1).max(600).default(120),
    }),
    run: async ({ workspaceId, notebookId, cellIds, wait, timeoutSeconds }, { rest, signal }) => {
      const deadline = Date.now() + timeoutSeconds * 1000
      const ids =
        cellIds ??
        (await readCells(rest, workspaceId, notebookId, signal))
          .filter((cell) => cell.cell_type === 'code' && cell.id)
          .map((cell) => cell.id as string)
      if (ids.length === 0) return { queued: [], finished: true, cells: [] }
      const { queued } = await rest.post<{ queued: string[] }>(`${notebook(workspaceId, notebookId)}/execution/run`, {
        body: { cellIds: ids },
        signal,
      })
      if (!wait) return { queued, finished: false, cells: [] }
      const finished = await waitForCells(rest, workspaceId, notebookId, queued, deadline, signal)
      const wanted = new Set(queued)
      const cells = (await readCells(rest, workspaceId, notebookId, signal))
        .filter((cell) => cell.id && wanted.has(cell.id))
        .map(agentCell)
      return { queued, finished, cells }
    },
  }),
  defineTool({
    name: 'get_cell_output',
    title: 'Read a cell and its outputs',
    description: "One cell's source, execution count and outputs (masked as collaborators see them).",
    writes: false,
    input: z.object({ workspaceId: WorkspaceId, notebookId: Id, cellId: Id }),
    run: async ({ workspaceId, notebookId, cellId }, { rest, signal }) => {
      const cell = (await readCells(rest, workspaceId, notebookId, signal)).find((c) => c.id === cellId)
      if (!cell) throw new RestError(404, 'cell_not_found', `No cell ${cellId} in this notebook`)
      return agentCell(cell)
    },
  }),
]
