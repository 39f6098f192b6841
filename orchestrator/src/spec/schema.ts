import { z } from 'zod'
import { duration, type StepTypeRegistry, stepTypeRegistry } from './step-types.ts'

/** Version of the pipeline spec format. */
export const PIPELINE_API_VERSION = 'workbench/v1'

const name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$/, {
    message: 'expected lowercase letters, digits, - and _ (e.g. daily-sales)',
  })
  .max(100)

export const STEP_ID_PATTERN = /^[A-Za-z][\w-]*$/

export const PARAM_TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'datetime'] as const

export const paramSchema = z.strictObject({
  type: z.enum(PARAM_TYPES),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  description: z.string().optional(),
})

/** Temporal's schedule overlap policies, in the spec's snake_case. */
export const OVERLAP_POLICIES = [
  'skip',
  'buffer_one',
  'buffer_all',
  'cancel_other',
  'terminate_other',
  'allow_all',
] as const

export const scheduleSchema = z.strictObject({
  cron: z.union([z.string(), z.array(z.string()).min(1)]).describe('Five-field cron expression(s) or @daily-style.'),
  timezone: z.string().optional().describe('IANA time zone, default UTC.'),
  overlap: z.enum(OVERLAP_POLICIES).optional().describe('What happens when a run is due while one runs; default skip.'),
  catchup_window: duration().optional().describe('How late a missed run may still start, e.g. after downtime.'),
  paused: z.boolean().optional(),
})

export const retrySchema = z.strictObject({
  attempts: z.int().min(1).max(100).describe('Total attempts including the first.'),
  backoff: z
    .strictObject({
      initial: duration().optional(),
      coefficient: z.number().min(1).max(10).optional(),
      max: duration().optional(),
    })
    .optional(),
})

export const stepBaseSchema = z.strictObject({
  id: z.string().regex(STEP_ID_PATTERN, { message: 'expected a letter then letters, digits, - or _' }).max(100),
  type: z.string().min(1),
  name: z.string().optional(),
  description: z.string().optional(),
  depends_on: z.array(z.string()).optional(),
  with: z.record(z.string(), z.unknown()).optional(),
  retry: retrySchema.optional(),
  timeout: duration().optional().describe('Cut the step after this long (per attempt).'),
  when: z.string().min(1).optional().describe('Run only if true, e.g. "params.env == \'prod\'".'),
})

function envelope<S extends z.ZodType>(step: S) {
  return z.strictObject({
    apiVersion: z.literal(PIPELINE_API_VERSION),
    kind: z.literal('Pipeline'),
    metadata: z.strictObject({
      name,
      description: z.string().optional(),
      labels: z.record(z.string(), z.string()).optional(),
    }),
    params: z.record(z.string().regex(/^[A-Za-z_]\w*$/), paramSchema).optional(),
    schedule: scheduleSchema.optional(),
    concurrency: z.int().min(1).max(64).optional().describe('Most steps running at once; default 4.'),
    steps: z.array(step).min(1),
  })
}

/** The format with any step's `with` accepted as an object; step types are checked one by one. */
export const pipelineSchema = envelope(stepBaseSchema)

export type PipelineSpec = z.infer<typeof pipelineSchema>
export type StepSpec = PipelineSpec['steps'][number]
export type ParamSpec = z.infer<typeof paramSchema>
export type PipelineSchedule = z.infer<typeof scheduleSchema>

/**
 * JSON Schema of the format for editors (e.g. the YAML language server), with each registered step
 * type's `with` block.
 */
export function pipelineJsonSchema(registry: StepTypeRegistry = stepTypeRegistry()): Record<string, unknown> {
  const variants = [...registry.values()].map((type) =>
    stepBaseSchema.extend({ type: z.literal(type.type).describe(type.description), with: type.with }),
  )
  const [first, ...rest] = variants
  const step = first === undefined ? stepBaseSchema : z.discriminatedUnion('type', [first, ...rest])
  return {
    ...z.toJSONSchema(envelope(step), { io: 'input', unrepresentable: 'any' }),
    $id: `urn:workbench:schema:pipeline:${PIPELINE_API_VERSION}`,
    title: 'Workbench pipeline',
  }
}
