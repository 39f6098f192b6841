import type { SearchIndexes } from '@workbench/catalog'
import { type Kysely, sql } from 'kysely'
import type { AuditLog } from '../auth/audit-log.ts'
import type { AssistantConfig } from '../config.ts'
import type { OutboundPolicy } from '../connections/outbound-policy.ts'
import type { Database } from '../db/schema.ts'
import type { WorkspaceQueries } from '../sql/workspace-queries.ts'
import { ModelClient, type ModelSettings } from './model-client.ts'
import { TextToSql } from './text-to-sql.ts'

export interface AssistantModuleDeps {
  db: () => Kysely<Database>
  config: AssistantConfig
  outbound: Pick<OutboundPolicy, 'fetch'>
  search: () => SearchIndexes | undefined
  queries: Pick<WorkspaceQueries, 'run'>
  audit: Pick<AuditLog, 'record'>
  /** The instance's own supervised llama-server (AI_EMBEDDED_MODEL=on): started by us, so not a user destination. */
  embedded?: { baseUrl: string; model: string }
}

export interface UsagePeriod {
  period: string
  calls: number
  promptTokens: number
  completionTokens: number
  costUsd: number
  queries: number
}

/**
 * The assistant: the model (the instance's settings; every request through the outbound policy), text to SQL,
 * and usage. Routes and MCP tools are thin adapters over it.
 */
export class AssistantModule {
  readonly textToSql: TextToSql
  readonly #model: ModelClient | undefined

  constructor(private readonly deps: AssistantModuleDeps) {
    const settings = instanceModelSettings(deps.config)
    const embedded = deps.embedded
    this.#model = embedded
      ? new ModelClient({ ...deps.config, apiKey: undefined, baseUrl: embedded.baseUrl, model: embedded.model })
      : settings
        ? new ModelClient(
            settings,
            // Streams can be long: the body bound is generous, the timeout is the model's own.
            deps.outbound.fetch({ timeoutMs: settings.timeoutMs, maxBodyBytes: 16 * 1024 * 1024, maxRedirects: 0 }),
          )
        : undefined
    this.textToSql = new TextToSql({
      db: deps.db,
      search: deps.search,
      queries: deps.queries,
      model: async () => this.#model,
      audit: deps.audit,
      maxCorrections: deps.config.maxCorrections,
    })
  }

  db(): Kysely<Database> {
    return this.deps.db()
  }

  /** Calls, tokens and cost per day or month (UTC), with the assistant's queries; newest first, 90 periods. */
  async usage(workspaceId: string, period: 'day' | 'month', userId?: string): Promise<UsagePeriod[]> {
    const unit = sql.lit(period)
    let calls = this.db()
      .selectFrom('assistant_calls')
      .select([
        sql<string>`to_char(date_trunc(${unit}, created_at at time zone 'UTC'), 'YYYY-MM-DD')`.as('period'),
        sql<string>`count(*)`.as('calls'),
        sql<string>`coalesce(sum(prompt_tokens), 0)`.as('prompt'),
        sql<string>`coalesce(sum(completion_tokens), 0)`.as('completion'),
        sql<string>`coalesce(sum(cost_usd), 0)`.as('cost'),
      ])
      .where('workspace_id', '=', workspaceId)
    if (userId) calls = calls.where('user_id', '=', userId)
    let queries = this.db()
      .selectFrom('query_history')
      .select([
        sql<string>`to_char(date_trunc(${unit}, created_at at time zone 'UTC'), 'YYYY-MM-DD')`.as('period'),
        sql<string>`count(*)`.as('queries'),
      ])
      .where('workspace_id', '=', workspaceId)
    if (userId) queries = queries.where('user_id', '=', userId)
    const [callRows, queryRows] = await Promise.all([
      calls.groupBy(sql`1`).execute(),
      queries.groupBy(sql`1`).execute(),
    ])
    const byPeriod = new Map<string, UsagePeriod>()
    const at = (p: string) => {
      let row = byPeriod.get(p)
      if (!row) {
        row = { period: p, calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, queries: 0 }
        byPeriod.set(p, row)
      }
      return row
    }
    for (const r of callRows) {
      const row = at(r.period)
      row.calls = Number(r.calls)
      row.promptTokens = Number(r.prompt)
      row.completionTokens = Number(r.completion)
      row.costUsd = Math.round(Number(r.cost) * 1e6) / 1e6
    }
    for (const r of queryRows) at(r.period).queries = Number(r.queries)
    return [...byPeriod.values()].sort((a, b) => b.period.localeCompare(a.period)).slice(0, 90)
  }
}

/** The instance's model, from AI_* settings; undefined when AI_BASE_URL is unset. */
export function instanceModelSettings(config: AssistantConfig): ModelSettings | undefined {
  if (!config.baseUrl) return undefined
  return {
    baseUrl: config.baseUrl,
    model: config.model,
    apiKey: config.apiKey,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    prices: config.prices,
  }
}
