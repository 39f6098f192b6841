import { z } from 'zod'
import type { ApprovalExecutor, ApprovalService, ApprovalView } from '../approvals/approval-service.ts'
import type { OdooClient } from './client.ts'

const model = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/, 'must be a model name such as hr.expense')
const ids = z.array(z.int().positive()).min(1).max(1000)
const values = z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a field name'), z.unknown())

/** A change to Odoo as asked for: create records, write values on records, or unlink records. */
export const odooWriteSchema = z.discriminatedUnion('operation', [
  z.strictObject({ operation: z.literal('create'), model, records: z.array(values).min(1).max(1000) }),
  z.strictObject({
    operation: z.literal('write'),
    model,
    ids,
    values: values.refine((v) => Object.keys(v).length > 0, 'must change at least one field'),
  }),
  z.strictObject({ operation: z.literal('unlink'), model, ids }),
])

export type OdooWrite = z.infer<typeof odooWriteSchema>

/** What the approver sees: the write, plus the records as they are now (values before, names). */
export type OdooWritePayload = OdooWrite & {
  /** write: each record's current values of the changed fields; unlink: each record's display name. */
  before?: Record<string, Record<string, unknown>>
  /** Odoo version and protocol when it was asked (a request made on 18 is not run on a 19 by surprise). */
  server?: string
}

/** Reads what an approver must see: the current values of what a write changes, the names of what an unlink removes. */
export async function previewOdooWrite(odoo: OdooClient, write: OdooWrite): Promise<OdooWritePayload> {
  const server = `Odoo ${odoo.version.serverVersion} over ${odoo.protocol}`
  if (write.operation === 'create') return { ...write, server }
  const fields = write.operation === 'write' ? Object.keys(write.values) : ['display_name']
  const rows = await odoo.read<Record<string, unknown> & { id: number }>(write.model, write.ids, fields)
  const before = Object.fromEntries(rows.map(({ id, ...rest }) => [String(id), rest]))
  return { ...write, before, server }
}

/** A one-line summary for lists and notifications. */
export function summarizeOdooWrite(write: OdooWrite): string {
  if (write.operation === 'create') return `Create ${write.records.length} ${write.model} record(s)`
  if (write.operation === 'write')
    return `Change ${Object.keys(write.values).join(', ')} on ${write.ids.length} ${write.model} record(s)`
  return `Delete ${write.ids.length} ${write.model} record(s)`
}

/** Runs an approved `odoo.write` request; its result is the ids created or touched. */
export function odooWriteExecutor(
  clientFor: (workspaceId: string, connectionId: string) => Promise<OdooClient>,
): ApprovalExecutor {
  return {
    async execute(request: ApprovalView) {
      if (!request.connectionId) throw new Error('the connection of this request was deleted')
      const write = odooWriteSchema.parse(stripPreview(request.payload))
      const odoo = await clientFor(request.workspaceId, request.connectionId)
      if (write.operation === 'create') return { ids: await odoo.create(write.model, write.records) }
      if (write.operation === 'write') {
        await odoo.write(write.model, write.ids, write.values)
        return { ids: write.ids }
      }
      await odoo.unlink(write.model, write.ids)
      return { ids: write.ids }
    },
  }
}

function stripPreview(payload: unknown): unknown {
  const { before: _b, server: _s, ...write } = payload as Record<string, unknown>
  return write
}

/**
 * Writes to Odoo only through approval: each create/write/unlink becomes an approval request showing the
 * exact records and field changes; nothing reaches Odoo before an approver approves it.
 *
 * @example
 * const request = await writes.request(workspaceId, userId, connectionId, { operation: 'write', model: 'res.partner', ids: [7], values: { email: 'a@b.c' } })
 */
export class OdooWrites {
  constructor(
    private readonly approvals: ApprovalService,
    private readonly clientFor: (workspaceId: string, connectionId: string) => Promise<OdooClient>,
  ) {}

  async request(
    workspaceId: string,
    requestedBy: string,
    connectionId: string,
    input: unknown,
    options: { idempotencyKey?: string; expiresInMs?: number; workflowId?: string; stepId?: string } = {},
  ): Promise<ApprovalView> {
    const write = odooWriteSchema.parse(input)
    const odoo = await this.clientFor(workspaceId, connectionId)
    const payload = await previewOdooWrite(odoo, write)
    return this.approvals.request({
      workspaceId,
      requestedBy,
      kind: 'odoo.write',
      connectionId,
      payload,
      summary: summarizeOdooWrite(write),
      ...options,
    })
  }
}
