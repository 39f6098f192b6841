import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { ApprovalService, type ApprovalView } from '../approvals/approval-service.ts'
import type { AuditLog } from '../auth/audit-log.ts'
import type { ConnectionService } from '../connections/connection-service.ts'
import { OdooHandle, odooProblem } from '../connections/types/odoo.ts'
import type { Database } from '../db/schema.ts'
import type { WorkspaceDuckdb } from '../kernels/workspace-databases.ts'
import type { OdooClient } from './client.ts'
import { type ExtractResult, type ExtractSpec, extractModel } from './extract.ts'
import { OdooWrites, odooWriteExecutor } from './odoo-writes.ts'

export interface OdooServicesOptions {
  db: () => Kysely<Database>
  connections: ConnectionService
  /** The workspace DuckDB extractions write into. */
  duckdb: WorkspaceDuckdb
  audit?: AuditLog
  logger: Logger
  /** Told when a request is decided or expires (the pipeline worker signals the waiting run). */
  onApprovalSettled?: (request: ApprovalView) => Promise<void>
}

/**
 * The Odoo connector's services, wired once: authenticated clients per connection (through the
 * connection's pool and the outbound policy), extraction into the workspace DuckDB (one at a time per
 * table), and writes only through approvals.
 */
export class OdooServices {
  readonly approvals: ApprovalService
  readonly writes: OdooWrites
  readonly #running = new Map<string, Promise<ExtractResult>>()

  constructor(private readonly options: OdooServicesOptions) {
    this.approvals = new ApprovalService({
      db: options.db,
      audit: options.audit,
      logger: options.logger,
      executors: { 'odoo.write': odooWriteExecutor((ws, id) => this.client(ws, id)) },
      onSettled: (r) => options.onApprovalSettled?.(r) ?? Promise.resolve(),
    })
    this.writes = new OdooWrites(this.approvals, (ws, id) => this.client(ws, id))
  }

  /** The authenticated client of an `odoo` connection. */
  async client(workspaceId: string, connectionId: string): Promise<OdooClient> {
    const handle = await this.options.connections.handleOf(workspaceId, connectionId, 'odoo')
    if (!(handle instanceof OdooHandle)) throw new Error('not an Odoo connection')
    try {
      return await handle.client()
    } catch (err) {
      const problem = odooProblem(err, handle.params)
      throw Object.assign(problem, { status: 502 })
    }
  }

  /** Extracts a model into the workspace DuckDB; a second call for the same table waits for the first. */
  async extract(
    workspaceId: string,
    connectionId: string,
    spec: ExtractSpec,
    signal?: AbortSignal,
  ): Promise<ExtractResult> {
    const key = `${workspaceId}/${spec.schema ?? 'odoo'}.${spec.table ?? spec.model}`
    const previous = this.#running.get(key)
    if (previous) await previous.catch(() => {})
    const run = (async () => {
      const odoo = await this.client(workspaceId, connectionId)
      const database = await this.options.duckdb(workspaceId)
      const duck = await database.connect()
      try {
        return await extractModel(odoo, duck, spec, { signal })
      } finally {
        duck.closeSync()
      }
    })()
    this.#running.set(key, run)
    try {
      return await run
    } finally {
      if (this.#running.get(key) === run) this.#running.delete(key)
    }
  }
}
