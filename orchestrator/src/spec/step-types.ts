import { z } from 'zod'
import { DURATION_PATTERN } from './duration.ts'

/** Something a step names outside the pipeline, checked against what exists when a pipeline is saved. */
export interface ExternalReference {
  kind: 'connection' | 'notebook' | 'catalog_source' | 'mcp_server'
  name: string
  /** Path of the value inside the step's `with`, for the problem's position. */
  path: (string | number)[]
}

/**
 * A step type: the schema of its `with` block, plus the outside things it references. Adding a step
 * type takes one of these (registered in the spec) and one activity handler (registered in the worker).
 */
export interface StepType {
  readonly type: string
  readonly description: string
  readonly with: z.ZodType
  references?(withBlock: Record<string, unknown>): ExternalReference[]
}

/** Identity function that keeps a step type's declaration checked. */
export function defineStepType(definition: StepType): StepType {
  return definition
}

export const duration = () =>
  z.string().regex(DURATION_PATTERN, { message: "expected a duration such as '30s', '5m', '1h30m' or '2d'" })

const identifier = z.string().regex(/^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)*$/, {
  message: 'expected a SQL identifier such as orders or sales.orders',
})

const connection = z.string().min(1).describe("Connection name; 'duckdb' is the workbench's own DuckDB database.")

function connectionReference(withBlock: Record<string, unknown>): ExternalReference[] {
  const name = withBlock.connection
  return typeof name === 'string' && name !== 'duckdb' ? [{ kind: 'connection', name, path: ['connection'] }] : []
}

export const sqlStep = defineStepType({
  type: 'sql',
  description: 'Runs SQL on DuckDB or a connection.',
  with: z.strictObject({
    sql: z.string().min(1),
    connection: connection.optional(),
    parameters: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .optional()
      .describe('Bound as named prepared-statement parameters ($name): safe for values from run parameters.'),
  }),
  references: connectionReference,
})

export const notebookStep = defineStepType({
  type: 'notebook',
  description:
    'Runs a notebook version with parameters injected papermill-style; the executed notebook is the artifact.',
  with: z.strictObject({
    notebook: z.string().min(1),
    version: z
      .union([z.int().min(1), z.string().min(1)])
      .optional()
      .describe('Pinned version; the latest saved version when omitted.'),
    seq: z
      .string()
      .regex(/^\d+$/)
      .optional()
      .describe('Pinned document update seq, for a notebook compiled before it had a saved version.'),
    cells: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe('Ids of the cells this step runs, in order (`#<n>` for a cell without an id); all when omitted.'),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
  references: (withBlock) =>
    typeof withBlock.notebook === 'string' ? [{ kind: 'notebook', name: withBlock.notebook, path: ['notebook'] }] : [],
})

export const pythonStep = defineStepType({
  type: 'python',
  description: 'Runs a Python script in a Jupyter kernel.',
  with: z.strictObject({
    code: z.string().min(1),
    parameters: z.record(z.string(), z.unknown()).optional(),
    kernel: z.string().min(1).optional(),
  }),
})

export const httpStep = defineStepType({
  type: 'http',
  description: 'Calls a webhook (n8n and others) and fails on an unexpected status.',
  with: z.strictObject({
    url: z.string().regex(/^(https?:\/\/|\{\{)/, { message: 'expected an http:// or https:// URL' }),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
    expect_status: z.array(z.int().min(100).max(599)).min(1).optional().describe('Default: any 2xx.'),
  }),
})

const columns = z.union([identifier, z.array(identifier).min(1)])

const qualityCheck = z
  .strictObject({
    name: z.string().optional(),
    not_null: columns.optional(),
    unique: columns.optional(),
    accepted_values: z
      .strictObject({ column: identifier, values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1) })
      .optional(),
    row_count: z.strictObject({ min: z.int().min(0).optional(), max: z.int().min(0).optional() }).optional(),
    freshness: z.strictObject({ column: identifier, max_age: duration() }).optional(),
    sql: z
      .string()
      .min(1)
      .optional()
      .describe('A query returning the failing rows; the check passes when it returns none.'),
  })
  .superRefine((check, ctx) => {
    const kinds = QUALITY_CHECK_KINDS.filter((kind) => check[kind] !== undefined)
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a check has exactly one of ${QUALITY_CHECK_KINDS.join(', ')}${kinds.length > 1 ? ` (found ${kinds.join(', ')})` : ''}`,
      })
    }
  })

export const QUALITY_CHECK_KINDS = ['not_null', 'unique', 'accepted_values', 'row_count', 'freshness', 'sql'] as const

export type QualityCheck = z.infer<typeof qualityCheck>

export const qualityStep = defineStepType({
  type: 'quality',
  description: 'Asserts data quality on a table; fails the step with every failing check.',
  with: z.strictObject({
    connection: connection.optional(),
    table: identifier.optional().describe('Table the column checks apply to; custom SQL checks may omit it.'),
    checks: z.array(qualityCheck).min(1),
  }),
  references: connectionReference,
})

export const BUILTIN_STEP_TYPES: readonly StepType[] = [sqlStep, notebookStep, pythonStep, httpStep, qualityStep]

export type StepTypeRegistry = ReadonlyMap<string, StepType>

/**
 * The step types a validator accepts.
 *
 * @example stepTypeRegistry([...BUILTIN_STEP_TYPES, odooStep])
 */
export function stepTypeRegistry(types: readonly StepType[] = BUILTIN_STEP_TYPES): StepTypeRegistry {
  return new Map(types.map((type) => [type.type, type]))
}
