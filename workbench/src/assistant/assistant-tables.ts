import type { ColumnType, Generated } from 'kysely'

/** One model call: what usage, cost and plan limits count (migration 0030). */
export interface AssistantCallsTable {
  id: string
  workspace_id: string
  user_id: string | null
  /** `ask`, `correct`, `chart`… */
  purpose: string
  model: string
  prompt_tokens: number
  completion_tokens: number
  tokens_estimated: boolean
  cost_usd: number
  /** `ok`, `refused`, `failed`, `model_error` */
  outcome: string
  created_at: Generated<Date>
}

/** Every SQL a user ran through the assistant or the read-only API (migration 0030). */
export interface QueryHistoryTable {
  id: string
  workspace_id: string
  user_id: string | null
  /** `assistant`, `api`, `mcp` */
  origin: string
  question: string | null
  sql: string
  /** `ok`, `error`, `refused` */
  outcome: string
  error: string | null
  row_count: number | null
  duration_ms: number | null
  tables: ColumnType<string[], string | undefined, string>
  /** Marked by the user (thumbs up): a few-shot example for later questions. */
  accepted: Generated<boolean>
  created_at: Generated<Date>
}

export interface AssistantTables {
  assistant_calls: AssistantCallsTable
  query_history: QueryHistoryTable
}
