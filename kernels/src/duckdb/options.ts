import type { OutputLimits } from '../output-limits.ts'
import type { DuckdbDatabase } from './database.ts'

export interface DuckdbKernelOptions {
  /** The workspace's database; the kernel opens its own connection (one per notebook session) on it. */
  database: DuckdbDatabase
  /** Rows in the first page carried by a cell's output. */
  pageSize: number
  /** A statement running longer is interrupted and ends the cell with a `StatementTimeout` error output. */
  statementTimeoutMs: number
  /** How many results (temp tables) a session keeps for paging; older ones are dropped. */
  keepResults: number
  limits?: Partial<OutputLimits>
  /**
   * Called when a statement names a table that does not exist. Return a Parquet file to expose it as a view
   * for the rest of the cell (how pandas DataFrames of the notebook's Python kernel become tables).
   */
  resolveMissingTable?: (name: string) => Promise<string | undefined>
}

export const defaultDuckdbKernelOptions = {
  pageSize: 1_000,
  statementTimeoutMs: 5 * 60_000,
  keepResults: 20,
} satisfies Partial<DuckdbKernelOptions>
