import type { ConnectionOptions } from 'mysql2'
import type { OutputLimits } from '../output-limits.ts'

export interface MysqlKernelOptions {
  /** mysql2 connection options (the workbench passes the resolved address through `stream`). */
  connection: ConnectionOptions
  /** The session is READ ONLY (every statement, including DDL's implicit commits) unless this is false. */
  readOnly: boolean
  statementTimeoutMs: number
  pageSize: number
  /** Results kept per session for paging; older ones are dropped. */
  keepResults: number
  limits?: Partial<OutputLimits>
}

export const defaultMysqlKernelOptions = {
  readOnly: true,
  statementTimeoutMs: 5 * 60_000,
  pageSize: 1_000,
  keepResults: 20,
} satisfies Partial<MysqlKernelOptions>
