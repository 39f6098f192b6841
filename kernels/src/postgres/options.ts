import type { ClientConfig } from 'pg'
import type { OutputLimits } from '../output-limits.ts'

export interface PostgresKernelOptions {
  /** Connection parameters (connection management has its own issue; until then they come in directly). */
  connection: ClientConfig
  /** Cells run in a `READ ONLY` transaction unless this is false. */
  readOnly: boolean
  statementTimeoutMs: number
  pageSize: number
  /** Open cursors kept per session for paging; older ones are closed. */
  keepResults: number
  limits?: Partial<OutputLimits>
}

export const defaultPostgresKernelOptions = {
  readOnly: true,
  statementTimeoutMs: 5 * 60_000,
  pageSize: 1_000,
  keepResults: 20,
} satisfies Partial<PostgresKernelOptions>
