import { z } from '@hono/zod-openapi'

/** OpenAPI schemas shared by the kernel and notebook execution routes. */
export const ErrorBody = z
  .object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() })
  .openapi('ErrorBody')

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

export const errors = {
  400: json(ErrorBody, 'Invalid request'),
  404: json(ErrorBody, 'No such workspace, notebook, session or result'),
  503: json(ErrorBody, 'Execution is still starting'),
}

export const WorkspaceParam = z.object({ workspaceId: z.string().min(1).max(100) })
export const SessionParams = WorkspaceParam.extend({ sessionId: z.string().min(1).max(100) })
export const ResultParams = SessionParams.extend({ resultId: z.string().min(1).max(300) })
export const NotebookParams = WorkspaceParam.extend({ notebookId: z.string().min(1).max(100) })

export const Session = z
  .object({ id: z.string(), workspaceId: z.string(), notebookId: z.string(), createdAt: z.string() })
  .openapi('KernelSession')

export const SessionStatus = Session.extend({
  idle: z.boolean(),
  kernels: z.object({ sql: z.string().optional(), python: z.string().optional() }),
}).openapi('KernelSessionStatus')

export const Output = z
  .looseObject({ output_type: z.enum(['stream', 'display_data', 'execute_result', 'error']) })
  .openapi('Output', { description: 'A Jupyter (nbformat 4) output' })

export const ExecuteRequest = z
  .object({
    code: z.string().max(1_000_000),
    language: z.enum(['sql', 'python']),
    bindTo: z
      .string()
      .max(128)
      .optional()
      .openapi({ description: 'SQL only: also bind the result to this pandas name' }),
  })
  .openapi('ExecuteRequest')

export const ExecuteResult = z
  .object({ executionCount: z.number().int(), outputs: z.array(Output) })
  .openapi('ExecuteResult')

export const PageRequest = z
  .object({
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(0).max(100_000).default(1_000),
    sort: z
      .array(z.object({ column: z.string(), descending: z.boolean().optional() }))
      .max(16)
      .optional(),
    filter: z
      .array(
        z.object({
          column: z.string(),
          op: z.enum(['=', '!=', '<', '<=', '>', '>=', 'contains', 'is_null', 'not_null']),
          value: z.union([z.string(), z.number(), z.boolean()]).optional(),
        }),
      )
      .max(32)
      .optional(),
  })
  .openapi('PageRequest')

export const TablePage = z
  .object({
    resultId: z.string().optional(),
    columns: z.array(z.object({ name: z.string(), type: z.string() })),
    rows: z.array(z.array(z.unknown())),
    offset: z.number(),
    totalRows: z.number(),
    /** Columns whose values are masked for this caller (PII-tagged in the catalog). */
    masked: z.array(z.string()).optional(),
    /** True when a workspace admin asked for clear values (the read is audited). */
    unmasked: z.boolean().optional(),
  })
  .openapi('TablePage')

export const ChartRequest = z
  .object({
    kind: z.enum(['bar', 'line', 'area', 'scatter', 'pie', 'histogram']),
    x: z.string().min(1).max(300),
    y: z.string().min(1).max(300).optional(),
    color: z.string().min(1).max(300).optional(),
    aggregate: z.enum(['sum', 'mean', 'count', 'min', 'max']).optional(),
  })
  .openapi('ChartRequest')

const Value = z.union([z.string(), z.number(), z.null()])
export const ChartData = z
  .object({
    kind: z.enum(['bar', 'line', 'area', 'scatter', 'pie', 'histogram']),
    values: z.array(z.record(z.string(), Value)),
    x: z.object({
      title: z.string(),
      type: z.enum(['nominal', 'ordinal', 'quantitative', 'temporal']),
      unit: z.string().optional(),
    }),
    binned: z.boolean().optional(),
    y: z.object({ title: z.string(), aggregate: z.enum(['sum', 'mean', 'count', 'min', 'max']).optional() }),
    color: z.object({ title: z.string() }).optional(),
    totalRows: z.number(),
    sample: z
      .object({ shown: z.number(), of: z.number(), what: z.enum(['rows', 'groups']) })
      .optional()
      .openapi({ description: 'Set when the chart does not show every row (scatter sample) or group (cut)' }),
  })
  .openapi('ChartData')

export const ExecutionStatus = z
  .object({
    sessionId: z.string().nullable(),
    kernel: z.enum(['none', 'starting', 'idle', 'busy', 'dead']),
    queue: z.array(z.string()),
  })
  .openapi('NotebookExecutionStatus')

/** A Python cell's text and a cursor in it (a UTF-16 offset, as the browser counts). */
export const CodeAtCursor = z
  .object({
    code: z.string().max(1_000_000),
    cursor: z.number().int().min(0),
  })
  .refine((v) => v.cursor <= v.code.length, { message: 'cursor must be within code', path: ['cursor'] })
  .openapi('CodeAtCursor')

export const InspectRequest = z
  .object({
    code: z.string().max(1_000_000),
    cursor: z.number().int().min(0),
    detailLevel: z.union([z.literal(0), z.literal(1)]).optional(),
  })
  .refine((v) => v.cursor <= v.code.length, { message: 'cursor must be within code', path: ['cursor'] })
  .openapi('InspectRequest')

export const CompletionReply = z
  .object({
    matches: z.array(z.string()),
    cursorStart: z.number().int(),
    cursorEnd: z.number().int(),
    types: z.array(z.string()).optional(),
  })
  .openapi('CompletionReply')

export const InspectionReply = z.object({ found: z.boolean(), text: z.string().optional() }).openapi('InspectionReply')

export const RunRequest = z
  .object({ cellIds: z.array(z.string().min(1).max(200)).min(1).max(10_000) })
  .openapi('NotebookRunRequest')
