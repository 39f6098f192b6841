import type { TaggedColumn } from '@workbench/catalog'
import { maskedColumns } from '@workbench/catalog'
import type { PageRequest, TableData } from '@workbench/kernels'
import type { Context } from 'hono'
import { currentPrincipal, currentWorkspace } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { roleAtLeast } from '../auth/principal.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import { csvLine, maskTable } from '../kernels/result-masks.ts'
import type { SessionEntry, SessionManager } from '../kernels/session-manager.ts'

/** How a caller may read a kept result: masked (the columns to mask) or in clear (unmasked on request, audited). */
export interface ResultAccess {
  /** Tagged columns to mask; undefined: nothing to mask (untagged result, or an audited unmasked read). */
  mask: TaggedColumn[] | undefined
  /** Names of the masked columns, as the grid shows them. */
  masked: string[]
  unmasked: boolean
}

/**
 * Decides how the paging and export API serve a kept result whose output was masked in the shared document.
 * Users without the unmask capability (workspace admins and owners have it, as for catalog previews) get the
 * tagged columns masked; `unmask=true` from them is `403 unmask_not_allowed`. An unmask read by an admin is
 * written to the workspace audit log (`kernels.results.unmasked`) before any value leaves.
 */
export async function resultAccess(
  c: Context<AppEnv>,
  identity: Identity,
  entry: SessionEntry,
  resultId: string,
  wantsClear: boolean,
  how: 'page' | 'export' | 'chart',
): Promise<ResultAccess> {
  const mask = entry.resultMasks.get(resultId)
  const masked = mask ? maskedColumns(mask) : []
  if (wantsClear && !roleAtLeast(currentWorkspace(c).role, 'admin'))
    throw new AppError(403, 'unmask_not_allowed', 'Only workspace admins may see unmasked personal data')
  if (masked.length === 0) return { mask: undefined, masked: [], unmasked: false }
  if (!wantsClear) return { mask, masked, unmasked: false }
  const principal = currentPrincipal(c)
  await identity.audit.record({
    actorId: principal.userId,
    actorEmail: principal.email,
    workspaceId: entry.workspaceId,
    action: 'kernels.results.unmasked',
    resource: `${how} of result ${resultId} of notebook ${entry.notebookId} (columns ${masked.join(', ')})`,
    requestId: c.get('requestId') ?? null,
    ip: c.get('clientIp') ?? null,
    outcome: 'success',
    status: 200,
  })
  return { mask: undefined, masked: [], unmasked: true }
}

/** Filtering on a masked column would tell its values apart (`email contains 'jane'`): refused for masked reads. */
export function refuseMaskedFilters(access: ResultAccess, request: PageRequest): void {
  const hidden = new Set(access.masked)
  const bad = (request.filter ?? []).filter((f) => hidden.has(f.column)).map((f) => f.column)
  if (bad.length > 0)
    throw new AppError(
      403,
      'masked_column_filter',
      `Filtering on masked columns is not allowed without unmask: ${[...new Set(bad)].join(', ')}`,
    )
}

/** A page as the caller may see it, with the masked columns listed. */
export function maskedPage(access: ResultAccess, page: TableData): TableData & { masked: string[]; unmasked: boolean } {
  return { ...(access.mask ? maskTable(page, access.mask) : page), masked: access.masked, unmasked: access.unmasked }
}

/**
 * The whole result as CSV (masked when `mask` is given), read in batches from the kept result (bounded memory):
 * the way connection results are exported, and DuckDB results whose columns must be masked (the kernel's own
 * export cannot mask). Values are written as the page API returns them.
 */
export function resultCsv(
  sessions: SessionManager,
  entry: SessionEntry,
  resultId: string,
  mask: TaggedColumn[] | undefined,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const batches = sessions.resultRows(entry, resultId, Math.max(100, sessions.settings.pageSize))
  let header = true
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await batches.next()
        if (next.done) {
          controller.close()
          return
        }
        const page = { columns: next.value.columns, rows: next.value.rows, offset: 0, totalRows: 0 }
        const batch = mask ? maskTable(page, mask) : page
        let text = header ? csvLine(batch.columns.map((c) => c.name)) : ''
        header = false
        for (const row of batch.rows) text += csvLine(row)
        if (text) controller.enqueue(encoder.encode(text))
      } catch (err) {
        controller.error(err)
      }
    },
    async cancel() {
      await batches.return(undefined)
    },
  })
}
