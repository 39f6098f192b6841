import { ApplicationFailure } from '@temporalio/client'
import type { StepHandler } from '@workbench/orchestrator/activities'
import { defineStepType } from '@workbench/orchestrator/spec'
import type { Kysely } from 'kysely'
import { z } from 'zod'
import type { Database } from '../db/schema.ts'
import { DomainError } from './domain.ts'
import { OdooError } from './errors.ts'
import type { OdooServices } from './odoo-services.ts'
import { odooWriteSchema } from './odoo-writes.ts'

const connection = z.string().min(1).describe('Name of the workspace Odoo connection')
const model = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/, { message: 'expected a model such as account.move.line' })
const connectionReference = (withBlock: Record<string, unknown>) =>
  typeof withBlock.connection === 'string'
    ? [{ kind: 'connection' as const, name: withBlock.connection, path: ['connection'] }]
    : []

/** `odoo.extract`: one or more models into the workspace DuckDB (`odoo.<model>` tables), incremental by default. */
const extractWith = z.strictObject({
  connection,
  models: z
    .array(
      z.union([
        model,
        z.strictObject({
          model,
          fields: z.array(z.string().min(1)).min(1).optional(),
          domain: z.array(z.unknown()).optional().describe('Odoo domain in prefix notation'),
          table: z
            .string()
            .regex(/^[a-z_][a-z0-9_]*$/)
            .optional()
            .describe('Target table in the odoo schema'),
        }),
      ]),
    )
    .min(1),
  incremental: z.boolean().optional().describe('false forces a full extraction (default true)'),
})

export const odooExtractStep = defineStepType({
  type: 'odoo.extract',
  description: 'Extracts Odoo models into DuckDB tables (odoo.<model>), incrementally by write_date once extracted.',
  with: extractWith,
  references: connectionReference,
})

/** `odoo.write`: a create/write/unlink that runs only once an approver approves it; the step waits. */
const writeWith = z.strictObject({
  connection,
  operation: z.enum(['create', 'write', 'unlink']),
  model,
  records: z.array(z.record(z.string(), z.unknown())).min(1).optional().describe('create: the new records'),
  ids: z.array(z.int().positive()).min(1).optional().describe('write/unlink: the records'),
  values: z.record(z.string(), z.unknown()).optional().describe('write: the field changes'),
  approval_timeout: z
    .string()
    .regex(/^\d+(s|m|h|d)$/)
    .optional()
    .describe("How long the request waits for a decision before it expires (default '24h')"),
})

export const odooWriteStep = defineStepType({
  type: 'odoo.write',
  description: 'Asks for approval of a create/write/unlink in Odoo, waits for the decision, and runs it once approved.',
  with: writeWith,
  references: connectionReference,
})

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const ms = (d: string) => Number.parseInt(d, 10) * (UNITS[d.slice(-1)] ?? 1000)

async function connectionIdOf(db: () => Kysely<Database>, workspaceId: string, name: string): Promise<string> {
  const row = await db()
    .selectFrom('connections')
    .select(['id', 'type'])
    .where('workspace_id', '=', workspaceId)
    .where('name', '=', name)
    .executeTakeFirst()
  if (row?.type !== 'odoo')
    throw ApplicationFailure.nonRetryable(`no Odoo connection named ${name}`, 'UnknownConnection')
  return row.id
}

/** Odoo refusals and bad domains are the pipeline's problem (not retried); an unavailable server is retried. */
function failure(err: unknown): unknown {
  if (err instanceof DomainError) return ApplicationFailure.nonRetryable(err.message, 'InvalidDomain')
  if (err instanceof OdooError && !err.transient) return ApplicationFailure.nonRetryable(err.message, err.code)
  return err
}

export function odooExtractHandler(db: () => Kysely<Database>, odoo: () => OdooServices | undefined): StepHandler {
  return async (withBlock, context, input) => {
    const services = odoo()
    if (!services) throw new Error('the Odoo connector is not available yet')
    if (!input.workspaceId)
      throw ApplicationFailure.nonRetryable('odoo.extract needs the run of a workspace pipeline', 'NoWorkspace')
    const w = withBlock as z.infer<typeof extractWith>
    const connectionId = await connectionIdOf(db, input.workspaceId, w.connection)
    const heartbeat = setInterval(() => context.heartbeat(), 1000)
    try {
      const tables = []
      for (const m of w.models) {
        const spec = typeof m === 'string' ? { model: m } : m
        const r = await services.extract(
          input.workspaceId,
          connectionId,
          { ...spec, domain: spec.domain as never, incremental: w.incremental },
          context.signal,
        )
        context.log(
          `${spec.model}: ${r.mode}${r.resumed ? ' (resumed)' : ''}, ${r.read} read, ${r.deleted} deleted, ${r.rows} rows in odoo.${r.table}`,
        )
        tables.push(r)
      }
      return { tables }
    } catch (err) {
      throw failure(err)
    } finally {
      clearInterval(heartbeat)
    }
  }
}

/**
 * The worker side of `odoo.write`: asks once (the step's idempotency key), then waits for the decision,
 * heartbeating; approved runs once and the step returns Odoo's ids; rejected or expired fail the step
 * without retry (and never reach Odoo).
 */
export function odooWriteHandler(
  db: () => Kysely<Database>,
  odoo: () => OdooServices | undefined,
  pollMs = 1000,
): StepHandler {
  return async (withBlock, context, input) => {
    const services = odoo()
    if (!services) throw new Error('the Odoo connector is not available yet')
    if (!input.workspaceId)
      throw ApplicationFailure.nonRetryable('odoo.write needs the run of a workspace pipeline', 'NoWorkspace')
    const { connection: name, approval_timeout, ...rest } = withBlock as z.infer<typeof writeWith>
    const parsed = odooWriteSchema.safeParse(
      Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    )
    if (!parsed.success)
      throw ApplicationFailure.nonRetryable(
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        'InvalidWrite',
      )
    const connectionId = await connectionIdOf(db, input.workspaceId, name)
    const pipeline = await db()
      .selectFrom('pipelines')
      .select('created_by')
      .where('workspace_id', '=', input.workspaceId)
      .where('name', '=', input.pipeline)
      .executeTakeFirst()
    const requester = pipeline?.created_by
    if (!requester)
      throw ApplicationFailure.nonRetryable('the pipeline has no owner to ask on behalf of', 'NoRequester')
    let request = await services.writes
      .request(input.workspaceId, requester, connectionId, parsed.data, {
        idempotencyKey: context.idempotencyKey,
        expiresInMs: ms(approval_timeout ?? '24h'),
        workflowId: input.workflowId,
        stepId: input.stepId,
      })
      .catch((err: unknown) => {
        throw failure(err)
      })
    context.log(`approval requested: ${request.summary} (${request.id})`)
    while (request.status === 'pending' || request.status === 'approved' || request.status === 'executing') {
      context.signal.throwIfAborted()
      context.heartbeat({ approvalId: request.id })
      await new Promise((r) => setTimeout(r, pollMs))
      request = await services.approvals.get(input.workspaceId, request.id)
    }
    if (request.status === 'executed') return { approvalId: request.id, ...(request.result as object) }
    throw ApplicationFailure.nonRetryable(
      request.status === 'failed'
        ? `the approved write failed: ${request.error}`
        : `the write was ${request.status}; nothing was sent to Odoo`,
      `Approval${request.status[0]?.toUpperCase()}${request.status.slice(1)}`,
      { approvalId: request.id },
    )
  }
}
