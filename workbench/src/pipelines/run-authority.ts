import { randomUUID } from 'node:crypto'
import { ApplicationFailure } from '@temporalio/client'
import type { RunReportContext, StepInput } from '@workbench/orchestrator/activities'
import {
  type Expression,
  evaluate,
  type PipelineSpec,
  parseExpression,
  references,
  resolveParams,
} from '@workbench/orchestrator/spec'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'

/** The failure type of a step refused because its run is not one this instance started. */
export const RUN_NOT_AUTHORIZED = 'RunNotAuthorized'

const ACTIVE = new Set(['queued', 'running'])
const PLACEHOLDER = /\{\{(.*?)\}\}/g

/** Workflow ids of a pipeline's scheduled runs: Temporal appends the fire time to the schedule's id. */
export const scheduledWorkflowPrefix = (pipelineId: string) => `pipeline-schedule-${pipelineId}-`

interface RunRecord {
  id: string
  pipelineId: string
  workspaceId: string
  version: number
  params: Record<string, unknown>
  status: string
}

/**
 * Workflows trust nothing from their input. Anyone who can reach Temporal can start `pipelineWorkflow`
 * on the task queue (or answer its workflow tasks), so before a step's body runs, its activity asks
 * the metadata DB: the run exists for that workspace and is still running, the step with that id and
 * type is in the pipeline version the run recorded, and its rendered `with` block is that step's
 * stored template rendered with the run's recorded parameters (a placeholder reading an upstream
 * step's output matches any value: outputs come from steps that passed this same check). Anything
 * else fails with a non-retryable `RunNotAuthorized` before any data is touched.
 *
 * A scheduled run has no row until it starts: it is recorded here (and by the reporter's
 * `run_started`) only when its workflow id is its pipeline's schedule's, the pipeline is in that
 * workspace, and its parameters are the stored version's defaults, which is what the schedule sends.
 */
export class RunAuthority {
  constructor(private readonly db: () => Kysely<Database>) {}

  /** Throws a non-retryable `ApplicationFailure` unless `input` is a step of a run this instance started. */
  async authorize(input: StepInput): Promise<void> {
    const refuse = (why: string): never => {
      throw ApplicationFailure.create({
        message: `step '${input.stepId}' refused: ${why}`,
        type: RUN_NOT_AUTHORIZED,
        nonRetryable: true,
      })
    }
    const { workflowId, workspaceId } = input
    if (!workflowId || !workspaceId) return refuse('the run is not recorded by this workbench')
    const run =
      (await this.#run(workflowId)) ??
      (input.run ? await this.recordScheduledRun(workflowId, input.run, new Date()) : undefined)
    if (!run || run.workspaceId !== workspaceId) return refuse('the run is not recorded by this workbench')
    if (!ACTIVE.has(run.status)) return refuse(`the run is ${run.status}`)
    const spec = await this.#spec(run)
    if (!spec) return refuse('the pipeline version of the run does not exist')
    const step = spec.steps.find((s) => s.id === input.stepId)
    if (!step || step.type !== input.type)
      return refuse(`the pipeline version has no ${input.type} step '${input.stepId}'`)
    if (!matchesTemplate(step.with ?? {}, input.with, run.params))
      return refuse('its inputs are not the stored pipeline version’s')
  }

  /**
   * Records a scheduled run that has no row yet, if it is genuinely its pipeline's schedule's (see the
   * class comment); returns the run, or undefined when the context is not one a schedule sends.
   */
  async recordScheduledRun(
    workflowId: string,
    context: RunReportContext,
    at: Date,
    temporalRunId: string | null = null,
  ): Promise<RunRecord | undefined> {
    if (context.trigger !== 'schedule' || !workflowId.startsWith(scheduledWorkflowPrefix(context.pipelineId)))
      return undefined
    const version = await this.db()
      .selectFrom('pipeline_versions as v')
      .innerJoin('pipelines as p', 'p.id', 'v.pipeline_id')
      .select(['v.spec'])
      .where('v.pipeline_id', '=', context.pipelineId)
      .where('v.version', '=', context.version)
      .where('p.workspace_id', '=', context.workspaceId)
      .executeTakeFirst()
    if (!version || !(version.spec as PipelineSpec).schedule) return undefined
    const { values } = resolveParams(version.spec as PipelineSpec)
    if (!sameJson(values, context.params)) return undefined
    await this.db()
      .insertInto('pipeline_runs')
      .values({
        id: randomUUID(),
        pipeline_id: context.pipelineId,
        workspace_id: context.workspaceId,
        version: context.version,
        trigger: 'schedule',
        params: JSON.stringify(values),
        status: 'running',
        workflow_id: workflowId,
        temporal_run_id: temporalRunId,
        started_at: at,
      })
      .onConflict((oc) => oc.column('workflow_id').doNothing())
      .execute()
    return this.#run(workflowId)
  }

  async #run(workflowId: string): Promise<RunRecord | undefined> {
    const row = await this.db()
      .selectFrom('pipeline_runs')
      .select(['id', 'pipeline_id', 'workspace_id', 'version', 'params', 'status'])
      .where('workflow_id', '=', workflowId)
      .executeTakeFirst()
    if (!row) return undefined
    return {
      id: row.id,
      pipelineId: row.pipeline_id,
      workspaceId: row.workspace_id,
      version: row.version,
      params: (row.params ?? {}) as Record<string, unknown>,
      status: row.status,
    }
  }

  async #spec(run: RunRecord): Promise<PipelineSpec | undefined> {
    const row = await this.db()
      .selectFrom('pipeline_versions as v')
      .innerJoin('pipelines as p', 'p.id', 'v.pipeline_id')
      .select(['v.spec'])
      .where('v.pipeline_id', '=', run.pipelineId)
      .where('v.version', '=', run.version)
      .where('p.workspace_id', '=', run.workspaceId)
      .executeTakeFirst()
    return row?.spec as PipelineSpec | undefined
  }
}

/**
 * Whether `actual` is what the workflow renders from `template` (see `spec/template.ts`) with these
 * parameters. Placeholders that read only `params` must render exactly; those reading `steps` (an
 * upstream output) match any value.
 */
export function matchesTemplate(template: unknown, actual: unknown, params: Record<string, unknown>): boolean {
  if (typeof template === 'string')
    return template.includes('{{') ? matchesString(template, actual, params) : template === actual
  if (Array.isArray(template))
    return (
      Array.isArray(actual) &&
      actual.length === template.length &&
      template.every((item, i) => matchesTemplate(item, actual[i], params))
    )
  if (template !== null && typeof template === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false
    const expected = Object.keys(template)
    const got = Object.keys(actual)
    if (expected.length !== got.length || !expected.every((k) => Object.hasOwn(actual, k))) return false
    return expected.every((k) =>
      matchesTemplate((template as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], params),
    )
  }
  return template === actual
}

type Rendered = { any: true } | { any: false; value: unknown }

function renderPlaceholder(source: string, params: Record<string, unknown>): Rendered | undefined {
  const parsed = parseExpression(source)
  if (!('expression' in parsed)) return undefined
  const expression: Expression = parsed.expression
  if (references(expression).some((r) => r.path[0] !== 'params')) return { any: true }
  return { any: false, value: evaluate(expression, { params, steps: {} }) }
}

function matchesString(template: string, actual: unknown, params: Record<string, unknown>): boolean {
  const whole = /^\{\{(.*?)\}\}$/.exec(template)
  if (whole && !whole[1]?.includes('}}')) {
    const rendered = renderPlaceholder(whole[1] as string, params)
    if (!rendered) return actual === template
    return rendered.any || sameJson(rendered.value, actual)
  }
  if (typeof actual !== 'string') return false
  let pattern = '^'
  let last = 0
  for (const match of template.matchAll(PLACEHOLDER)) {
    pattern += escapeRegExp(template.slice(last, match.index))
    last = (match.index ?? 0) + match[0].length
    const rendered = renderPlaceholder(match[1] as string, params)
    if (!rendered) continue
    if (rendered.any) pattern += '[\\s\\S]*'
    else {
      const v = rendered.value
      pattern += escapeRegExp(
        v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v),
      )
    }
  }
  pattern += `${escapeRegExp(template.slice(last))}$`
  return new RegExp(pattern).test(actual)
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    )
  return value ?? null
}
