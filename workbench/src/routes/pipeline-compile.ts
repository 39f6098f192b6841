import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { quoteLiteral } from '@workbench/kernels/duckdb'
import { compileNotebookWith, type NotebookModel, type NotebookPin } from '@workbench/orchestrator/spec'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import type { NotebookService } from '../notebooks/notebook-service.ts'
import { notebookHead } from '../pipelines/notebook-source.ts'

/**
 * Called before each compile (notebook history snapshots a `pre-compile` version and returns
 * its id, which the YAML then pins). Without it, or when it returns nothing, the YAML pins the notebook's
 * current document update seq.
 */
export type BeforeCompile = (
  notebookId: string,
  userId: string,
  // biome-ignore lint/suspicious/noConfusingVoidType: the hook may return nothing
) => Promise<{ versionId: string } | void>

export interface PipelineCompileDeps {
  notebooks: () => NotebookService | undefined
  /** DuckDB's `json_serialize_sql`, e.g. on the scratch database; without it SQL dependencies are not inferred. */
  parseSql?: (query: string) => Promise<string | Record<string, unknown>>
  beforeCompile?: BeforeCompile
}

/** `parseSql` on a DuckDB database (the scratch one is enough: parsing touches no data). */
export function duckdbParseSql(query: (sql: string) => Promise<{ rows: unknown[][] }>) {
  return async (sql: string) =>
    String((await query(`SELECT system.main.json_serialize_sql(${quoteLiteral(sql)})`)).rows[0]?.[0])
}

const ErrorBody = z.object({
  code: z.string(),
  message: z.string(),
  requestId: z.string(),
  details: z.unknown().optional(),
})
const Problem = z
  .object({
    code: z.string(),
    message: z.string(),
    cellId: z.string().optional(),
    cellIndex: z.number().optional(),
    step: z.string().optional(),
  })
  .openapi('CompileProblem')
const CompileResponse = z
  .object({
    yaml: z.string().describe('The pipeline YAML to review, edit and save (POST /workspaces/{workspaceId}/pipelines)'),
    problems: z.array(Problem),
    notebookVersionId: z.string().optional().describe('The notebook version the steps pin, when one was saved'),
    notebookSeq: z.string().optional().describe('The document update seq the steps pin when no version exists'),
    pinnedBy: z.enum(['version', 'seq']),
    steps: z
      .array(
        z.object({
          id: z.string(),
          type: z.enum(['sql', 'notebook']),
          cells: z.array(z.string()),
          reads: z.array(z.string()),
          writes: z.array(z.string()),
        }),
      )
      .describe('How each step came about: its cells, and the tables and variables it reads from outside and writes'),
  })
  .openapi('CompiledPipeline')

const compileRoute = createRoute({
  method: 'post',
  path: '/workspaces/{workspaceId}/notebooks/{notebookId}/compile-pipeline',
  tags: ['pipelines'],
  summary: 'Compile a notebook into pipeline YAML for review (does not save)',
  request: {
    params: z.object({ workspaceId: z.string().min(1).max(100), notebookId: z.string().min(1).max(100) }),
    body: {
      required: false,
      content: {
        'application/json': {
          schema: z.object({ name: z.string().trim().min(1).max(100).optional().describe('Pipeline name') }),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'The YAML and every problem found',
      content: { 'application/json': { schema: CompileResponse } },
    },
    404: { description: 'No such notebook', content: { 'application/json': { schema: ErrorBody } } },
  },
})

/** Notebook -> pipeline compilation (editors: it may snapshot a notebook version). */
export function pipelineCompileRoutes(identity: Identity, deps: PipelineCompileDeps) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(
    { ...compileRoute, middleware: [authorize(identity, can.workspace('editor'), 'pipelines.compile')] },
    async (c) => {
      const service = deps.notebooks()
      if (!service) throw new AppError(503, 'notebooks_unavailable', 'Notebooks are still starting')
      const { workspaceId, notebookId } = c.req.valid('param')
      const body: { name?: string } = c.req.valid('json') ?? {}
      const head = await notebookHead(service, workspaceId, notebookId)
      const saved = await deps.beforeCompile?.(notebookId, currentPrincipal(c).userId)
      const pin: NotebookPin = saved ? { version: saved.versionId } : { seq: head.seq }
      const parseSql = deps.parseSql ?? (async () => ({ error: true, error_message: 'no SQL parser is configured' }))
      const result = await compileNotebookWith(
        head.content as unknown as NotebookModel,
        { name: body.name ?? head.name, notebookName: head.name, notebookId, pin },
        parseSql,
      )
      return c.json(
        {
          yaml: result.yaml,
          problems: result.problems,
          ...(saved ? { notebookVersionId: saved.versionId } : { notebookSeq: head.seq }),
          pinnedBy: saved ? ('version' as const) : ('seq' as const),
          steps: result.steps,
        },
        200,
      )
    },
  )
}
