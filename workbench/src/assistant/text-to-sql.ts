import { randomUUID } from 'node:crypto'
import type { SearchIndexes } from '@workbench/catalog'
import type { Kysely } from 'kysely'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import type { AuditLog } from '../auth/audit-log.ts'
import type { Database } from '../db/schema.ts'
import { AppError } from '../http/errors.ts'
import type { WorkspaceQueries, WorkspaceQueryPage } from '../sql/workspace-queries.ts'
import { type ChartSuggestion, chartCandidates } from './charts.ts'
import { computeInsights, type Insights } from './insights.ts'
import type { ModelClient, ModelUsage } from './model-client.ts'
import { correctionMessage, parseSqlAnswer, promptTokens, SQL_ANSWER_SCHEMA, sqlMessages } from './prompt.ts'
import { defaultRetrievalOptions, type RetrievalOptions, retrieve } from './retrieval.ts'

export interface AskInput {
  workspaceId: string
  userId: string
  userEmail: string | null
  question: string
  /** Where the question came from, for the query history: `assistant` (REST), `mcp`. */
  origin: string
  requestId?: string | null
  ip?: string | null
  signal?: AbortSignal
}

export type AskStatus = 'answered' | 'refused' | 'not_found' | 'failed'

export interface AskAttempt {
  sql: string | null
  error: string | null
}

export interface AskAnswer {
  status: AskStatus
  /** Why the answer was refused, not found or failed (shown to the user). */
  reason: string | null
  sql: string | null
  explanation: string
  result: Pick<WorkspaceQueryPage, 'columns' | 'rows' | 'masked' | 'nextOffset'> | null
  tables: string[]
  chart: ChartSuggestion | null
  charts: ChartSuggestion[]
  insights: Insights | null
  attempts: AskAttempt[]
  usage: { promptTokens: number; completionTokens: number; estimated: boolean; costUsd: number; calls: number }
  /** The query history entry (thumbs up marks it accepted: a few-shot example for later questions). */
  historyId: string | null
}

export interface TextToSqlDeps {
  db: () => Kysely<Database>
  search: () => SearchIndexes | undefined
  queries: Pick<WorkspaceQueries, 'run'>
  /** The model for a workspace (its own settings, else the instance's); undefined: the assistant is off. */
  model: (workspaceId: string) => Promise<ModelClient | undefined>
  audit: Pick<AuditLog, 'record'>
  maxCorrections: number
  retrieval?: RetrievalOptions
  /** Rows in the answer's first page. */
  pageSize?: number
}

/** Errors of a generated query worth sending back to the model: it may fix them. Others end the attempt. */
function correctable(err: AppError): boolean {
  if (err.code === 'query_failed' || err.code === 'table_not_found') return true
  return err.code === 'read_only_query_refused' && err.message.startsWith('The query does not parse')
}

/**
 * Questions to SQL on the workspace DuckDB: retrieval from the catalog, one structured model call, validation and
 * execution by the read-only runner (one SELECT over catalogued tables, READ ONLY transaction, statement timeout,
 * PII masking), a bounded correction loop on parse/bind/runtime errors, then charts and insights computed from the
 * result. Whatever the model answers, nothing but a validated SELECT runs.
 */
export class TextToSql {
  constructor(private readonly deps: TextToSqlDeps) {}

  async ask(input: AskInput): Promise<AskAnswer> {
    const model = await this.deps.model(input.workspaceId)
    if (!model)
      throw new AppError(
        503,
        'assistant_not_configured',
        'No model is configured: an instance admin sets AI_BASE_URL (or a workspace admin its own model)',
      )
    const search = this.deps.search()
    if (!search) throw new AppError(503, 'catalog_unavailable', 'The catalog is still starting')
    const usage = { promptTokens: 0, completionTokens: 0, estimated: false, costUsd: 0, calls: 0 }
    const attempts: AskAttempt[] = []
    const retrieval = await retrieve(
      { db: this.deps.db(), search },
      { workspaceId: input.workspaceId, question: input.question },
      this.deps.retrieval ?? defaultRetrievalOptions,
    )
    const finish = async (answer: Omit<AskAnswer, 'usage' | 'attempts' | 'historyId'>, ran?: RunRecord) => {
      const historyId = ran ? await this.#history(input, ran) : null
      const full: AskAnswer = { ...answer, attempts, usage, historyId }
      await this.#audit(input, full)
      return full
    }
    const empty = { sql: null, explanation: '', result: null, tables: [], chart: null, charts: [], insights: null }
    if (retrieval.tables.length === 0)
      return finish({ ...empty, status: 'not_found', reason: 'No table in this workspace matches the question' })

    const messages: ChatCompletionMessageParam[] = sqlMessages(input.question, retrieval)
    const maxAttempts = 1 + this.deps.maxCorrections
    let lastError = ''
    let lastSql: string | null = null
    let lastRefusal: AppError | undefined
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const answer = await this.#call(model, input, messages, usage, attempt === 0 ? 'ask' : 'correct')
      if (answer.refusal)
        return finish({ ...empty, status: 'refused', reason: `The model declined: ${answer.refusal.slice(0, 500)}` })
      const parsed = parseSqlAnswer(answer.content)
      if (!parsed) {
        lastError = 'The answer was not the JSON object {"sql", "explanation"}'
        attempts.push({ sql: null, error: lastError })
        messages.push(...correctionMessage(answer.content.slice(0, 2_000), lastError))
        continue
      }
      if (parsed.sql === '')
        return finish({
          ...empty,
          explanation: parsed.explanation,
          status: 'not_found',
          reason: parsed.explanation || 'No table in this workspace can answer the question',
        })
      lastSql = parsed.sql
      const started = performance.now()
      try {
        const page = await this.deps.queries.run({
          workspaceId: input.workspaceId,
          userId: input.userId,
          sql: parsed.sql,
          limit: this.deps.pageSize ?? 100,
          offset: 0,
          signal: input.signal,
        })
        attempts.push({ sql: parsed.sql, error: null })
        const charts = chartCandidates(page.columns, page.rows, page.masked)
        const insights = await computeInsights(this.deps.queries, {
          workspaceId: input.workspaceId,
          userId: input.userId,
          sql: parsed.sql,
          columns: page.columns,
          masked: page.masked,
        }).catch(() => null)
        return finish(
          {
            status: 'answered',
            reason: null,
            sql: parsed.sql,
            explanation: parsed.explanation,
            result: { columns: page.columns, rows: page.rows, masked: page.masked, nextOffset: page.nextOffset },
            tables: page.tables,
            chart: charts[0] ?? null,
            charts,
            insights,
          },
          {
            sql: parsed.sql,
            outcome: 'ok',
            error: null,
            rows: page.rows.length,
            ms: page.durationMs,
            tables: page.tables,
          },
        )
      } catch (err) {
        if (!(err instanceof AppError)) throw err
        const ms = performance.now() - started
        attempts.push({ sql: parsed.sql, error: err.message })
        lastError = err.message
        if (!correctable(err)) {
          lastRefusal = err
          return finish(
            {
              ...empty,
              sql: parsed.sql,
              explanation: parsed.explanation,
              status: 'refused',
              reason: refusedReason(err),
            },
            { sql: parsed.sql, outcome: 'refused', error: err.message, rows: null, ms, tables: [] },
          )
        }
        lastRefusal = err
        messages.push(...correctionMessage(answer.content.slice(0, 2_000), err.message))
      }
    }
    // Out of attempts: an unknown table reads as "not found", like a table the user may not read.
    if (lastRefusal?.code === 'table_not_found')
      return finish(
        { ...empty, sql: lastSql, status: 'not_found', reason: lastRefusal.message },
        { sql: lastSql ?? '', outcome: 'refused', error: lastRefusal.message, rows: null, ms: 0, tables: [] },
      )
    return finish(
      {
        ...empty,
        sql: lastSql,
        status: 'failed',
        reason: `No working query after ${maxAttempts} attempts: ${lastError}`,
      },
      lastSql ? { sql: lastSql, outcome: 'error', error: lastError, rows: null, ms: 0, tables: [] } : undefined,
    )
  }

  /** Prompt size of a question's first attempt (for the benchmark: retrieval, never the whole schema). */
  async promptTokens(workspaceId: string, question: string): Promise<number> {
    const search = this.deps.search()
    if (!search) throw new AppError(503, 'catalog_unavailable', 'The catalog is still starting')
    const retrieval = await retrieve({ db: this.deps.db(), search }, { workspaceId, question }, this.deps.retrieval)
    return promptTokens(sqlMessages(question, retrieval))
  }

  async #call(
    model: ModelClient,
    input: AskInput,
    messages: ChatCompletionMessageParam[],
    usage: AskAnswer['usage'],
    purpose: string,
  ) {
    try {
      const answer = await model.complete({ messages, jsonSchema: SQL_ANSWER_SCHEMA, signal: input.signal })
      this.#count(usage, answer.usage)
      await this.#record(input, model, purpose, answer.usage, answer.refusal ? 'refused' : 'ok')
      return answer
    } catch (err) {
      await this.#record(input, model, purpose, undefined, 'model_error')
      if (err instanceof AppError)
        await this.deps.audit.record({
          actorId: input.userId,
          actorEmail: input.userEmail,
          workspaceId: input.workspaceId,
          action: 'assistant.question',
          resource: null,
          requestId: input.requestId ?? null,
          ip: input.ip ?? null,
          outcome: 'failure',
          status: err.status,
          detail: JSON.stringify({ question: input.question.slice(0, 1_000), error: err.code }),
        })
      throw err
    }
  }

  #count(total: AskAnswer['usage'], usage: ModelUsage) {
    total.calls += 1
    total.promptTokens += usage.promptTokens
    total.completionTokens += usage.completionTokens
    total.estimated ||= usage.estimated
    total.costUsd = Math.round((total.costUsd + usage.costUsd) * 1e8) / 1e8
  }

  async #record(input: AskInput, model: ModelClient, purpose: string, usage: ModelUsage | undefined, outcome: string) {
    await this.deps
      .db()
      .insertInto('assistant_calls')
      .values({
        id: randomUUID(),
        workspace_id: input.workspaceId,
        user_id: input.userId,
        purpose,
        model: model.settings.model,
        prompt_tokens: usage?.promptTokens ?? 0,
        completion_tokens: usage?.completionTokens ?? 0,
        tokens_estimated: usage?.estimated ?? true,
        cost_usd: usage?.costUsd ?? 0,
        outcome,
      })
      .execute()
  }

  async #history(input: AskInput, ran: RunRecord): Promise<string> {
    const id = randomUUID()
    await this.deps
      .db()
      .insertInto('query_history')
      .values({
        id,
        workspace_id: input.workspaceId,
        user_id: input.userId,
        origin: input.origin,
        question: input.question,
        sql: ran.sql,
        outcome: ran.outcome,
        error: ran.error,
        row_count: ran.rows,
        duration_ms: ran.ms,
        tables: JSON.stringify(ran.tables),
      })
      .execute()
    return id
  }

  /** Every AI call is audited: who, the question, tables touched, SQL produced, outcome; never a key. */
  async #audit(input: AskInput, answer: AskAnswer) {
    await this.deps.audit.record({
      actorId: input.userId,
      actorEmail: input.userEmail,
      workspaceId: input.workspaceId,
      action: 'assistant.question',
      resource: answer.tables.length > 0 ? `tables ${answer.tables.join(', ')}`.slice(0, 500) : null,
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      outcome: answer.status === 'answered' ? 'success' : 'failure',
      status: 200,
      detail: JSON.stringify({
        question: input.question.slice(0, 1_000),
        status: answer.status,
        sql: answer.sql?.slice(0, 4_000) ?? null,
        tables: answer.tables,
        reason: answer.reason?.slice(0, 500) ?? null,
        tokens: answer.usage.promptTokens + answer.usage.completionTokens,
      }),
    })
  }
}

interface RunRecord {
  sql: string
  outcome: 'ok' | 'error' | 'refused'
  error: string | null
  rows: number | null
  ms: number
  tables: string[]
}

function refusedReason(err: AppError): string {
  return `The generated query was refused and did not run: ${err.message}`
}
