import { z } from 'zod'
import { segment } from '../rest-bridge.ts'
import { defineTool, Id, WorkspaceId } from '../tool.ts'

const files = (workspaceId: string) => `/workspaces/${segment(workspaceId)}/files`

/**
 * Read options as the Files page sends them (encoding, delimiter, quote, header, sheet, columns…): passed to the
 * REST API as they are, which validates them and names a wrong field.
 */
const ReadOptions = z
  .record(z.string(), z.unknown())
  .default({})
  .describe('Read options (see the preview answer’s detected settings); empty: detected')

/** File tools: uploaded files, how one would import, importing it, and the workspace's tables. */
export const fileTools = [
  defineTool({
    name: 'list_files',
    title: 'List uploaded files',
    description: 'Files uploaded to the workspace (CSV, JSON, Parquet, XLSX…), with their size and state.',
    writes: false,
    input: z.object({ workspaceId: WorkspaceId }),
    run: ({ workspaceId }, { rest, signal }) => rest.get(files(workspaceId), { signal }),
  }),
  defineTool({
    name: 'preview_file',
    title: 'Preview a file import',
    description:
      'How a file would import: first rows, the detected settings and column types, and problems found. Nothing is written.',
    writes: false,
    input: z.object({ workspaceId: WorkspaceId, fileId: Id, options: ReadOptions }),
    run: ({ workspaceId, fileId, options }, { rest, signal }) =>
      rest.post(`${files(workspaceId)}/${segment(fileId)}/preview`, { body: options, signal }),
  }),
  defineTool({
    name: 'import_file',
    title: 'Import a file into a table',
    description:
      'Import an uploaded file into the workspace DuckDB (replace or append). Rows that do not fit the column types are kept as rejects with their line and reason; the answer counts them.',
    writes: true,
    input: z.object({
      workspaceId: WorkspaceId,
      fileId: Id,
      table: z.string().min(1).max(63),
      mode: z.enum(['replace', 'append']).default('replace'),
      options: ReadOptions,
    }),
    run: ({ workspaceId, fileId, table, mode, options }, { rest, signal }) =>
      rest.post(`${files(workspaceId)}/${segment(fileId)}/import`, { body: { table, mode, options }, signal }),
  }),
  defineTool({
    name: 'list_tables',
    title: 'List workspace tables',
    description:
      'Tables of the workspace DuckDB with their row and column counts. For columns, tags and samples use search_catalog and describe_table.',
    writes: false,
    input: z.object({ workspaceId: WorkspaceId }),
    run: ({ workspaceId }, { rest, signal }) => rest.get(`${files(workspaceId)}/tables`, { signal }),
  }),
]
