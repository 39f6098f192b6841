import { randomUUID } from 'node:crypto'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { appendCell, type NewCell, sqlCell } from '../catalog/asset-cell.ts'
import { findNotebookOrThrow } from '../collab/notebook-access.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError, NotFoundError, requireStarted } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import type { NotebookService } from '../notebooks/notebook-service.ts'
import { body, errors, json } from './catalog-schemas.ts'
import { NotebookParams } from './kernel-schemas.ts'

const NewCellRequest = z
  .object({
    kind: z.enum(['sql', 'python', 'markdown']),
    source: z.string().max(1_000_000),
    /** SQL cells: `duckdb` (the workspace database, the default) or a connection id of the workspace. */
    connection: z.string().min(1).max(100).optional(),
    /** SQL cells: the Python variable the result is bound to as a DataFrame (`%%sql name <<`). */
    bindTo: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Python identifier')
      .max(100)
      .optional(),
  })
  .openapi('NotebookNewCell')

const addCellRoute = createRoute({
  method: 'post',
  path: '/workspaces/{workspaceId}/notebooks/{notebookId}/cells',
  tags: ['notebooks'],
  summary: 'Append a cell (SQL, Python or markdown), live for every collaborator',
  request: { params: NotebookParams, body: body(NewCellRequest) },
  responses: { 201: json(z.object({ cellId: z.string(), source: z.string() }), 'The cell was added'), ...errors },
})

/**
 * Adding a cell without a browser (API clients, MCP agents): appended through the notebook's collaboration room,
 * stored and broadcast like any edit.
 */
export function notebookCellRoutes(identity: Identity, deps: () => NotebookService | undefined) {
  const notebooks = requireStarted(deps, 'notebooks_unavailable', 'Notebooks are still starting')
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
    { ...addCellRoute, middleware: [authorize(identity, can.workspace('editor'), 'notebooks.cells.add')] },
    async (c) => {
      const { workspaceId, notebookId } = c.req.valid('param')
      const input = c.req.valid('json')
      const collab = notebooks().collab
      if (!collab) throw new AppError(503, 'collab_unavailable', 'Collaboration is still starting')
      const notebook = await findNotebookOrThrow(identity.db(), workspaceId, notebookId)
      if (input.kind !== 'sql' && (input.connection || input.bindTo))
        throw new AppError(400, 'invalid_cell', 'connection and bindTo are for SQL cells')
      const connection = input.connection ?? 'duckdb'
      if (connection !== 'duckdb') {
        const found = await identity
          .db()
          .selectFrom('connections')
          .select('id')
          .where('id', '=', connection)
          .where('workspace_id', '=', workspaceId)
          .executeTakeFirst()
        if (!found) throw new NotFoundError('connection', connection)
      }
      const cell: NewCell =
        input.kind === 'sql'
          ? withBinding(sqlCell(input.source, connection), input.bindTo)
          : input.kind === 'python'
            ? {
                id: randomUUID(),
                cell_type: 'code',
                source: input.source,
                metadata: {},
                outputs: [],
                execution_count: null,
              }
            : { id: randomUUID(), cell_type: 'markdown', source: input.source, metadata: {} }
      await collab.withRoom(notebook.id, (room) => room.change((doc) => appendCell(doc, cell)))
      return c.json({ cellId: cell.id, source: cell.source }, 201)
    },
  )
}

function withBinding(cell: ReturnType<typeof sqlCell>, bindTo: string | undefined) {
  return bindTo ? { ...cell, source: cell.source.replace(/^%%sql/, `%%sql ${bindTo} <<`) } : cell
}
