import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai'
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions'
import { DestinationNotAllowedError } from '../connections/outbound-http.ts'
import { AppError } from '../http/errors.ts'

/** Dollars per million tokens, per model name (`*` applies to models the table does not name). */
export type PriceTable = Record<string, { input: number; output: number }>

/** Where and how to reach one OpenAI-compatible server. The key is never logged nor returned. */
export interface ModelSettings {
  baseUrl: string
  model: string
  apiKey?: string
  timeoutMs: number
  /** Retries after 429/5xx/connection errors, with backoff honouring `retry-after` (the SDK's policy). */
  maxRetries: number
  prices: PriceTable
}

export interface ModelUsage {
  promptTokens: number
  completionTokens: number
  /** True when the server sent no `usage` and the counts are estimated from the text (~4 characters a token). */
  estimated: boolean
  costUsd: number
}

export interface ToolCall {
  id: string
  name: string
  /** The raw JSON text the model produced: callers parse (and may find it malformed). */
  arguments: string
}

export interface ModelAnswer {
  content: string
  toolCalls: ToolCall[]
  /** The model's refusal text, when it declined. */
  refusal?: string
  finishReason: string
  usage: ModelUsage
  model: string
}

export interface CompletionRequest {
  messages: ChatCompletionMessageParam[]
  tools?: ChatCompletionTool[]
  /** Structured output: the answer must match this JSON schema. */
  jsonSchema?: { name: string; schema: Record<string, unknown> }
  maxTokens?: number
  temperature?: number
  signal?: AbortSignal
}

export type StreamEvent = { type: 'delta'; text: string } | { type: 'done'; answer: ModelAnswer }

/**
 * One OpenAI-compatible model server reached with the `openai` package through the instance's outbound policy
 * (`fetch` is the guarded fetch). Errors become {@link AppError}s that name the base URL, never the key.
 *
 * @example
 * const model = new ModelClient(settings, policy.fetch({ timeoutMs: settings.timeoutMs }))
 * const answer = await model.complete({ messages: [{ role: 'user', content: 'Hello' }] })
 */
export class ModelClient {
  readonly #client: OpenAI
  readonly settings: Readonly<Omit<ModelSettings, 'apiKey'>>

  constructor(settings: ModelSettings, fetchImpl?: typeof fetch) {
    const { apiKey, ...visible } = settings
    this.settings = visible
    this.#client = new OpenAI({
      baseURL: settings.baseUrl,
      // Local servers need none; the SDK insists on a string.
      apiKey: apiKey || 'none',
      timeout: settings.timeoutMs,
      maxRetries: settings.maxRetries,
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    })
  }

  async complete(request: CompletionRequest): Promise<ModelAnswer> {
    try {
      const completion = await this.#client.chat.completions.create(this.#params(request), {
        signal: request.signal,
      })
      const choice = completion.choices[0]
      const message = choice?.message
      const content = message?.content ?? ''
      const toolCalls: ToolCall[] = (message?.tool_calls ?? []).flatMap((call) =>
        call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }] : [],
      )
      return {
        content,
        toolCalls,
        refusal: message?.refusal ?? undefined,
        finishReason: choice?.finish_reason ?? 'unknown',
        usage: this.#usage(request, content + toolCalls.map((c) => c.arguments).join(''), completion.usage),
        model: completion.model || this.settings.model,
      }
    } catch (err) {
      throw this.#error(err)
    }
  }

  /** Streams the answer's text; the last event carries the whole answer with usage (from the server's final chunk). */
  async *stream(request: CompletionRequest): AsyncGenerator<StreamEvent> {
    let content = ''
    let refusal = ''
    let finishReason = 'unknown'
    let usage: ChatCompletionChunk['usage'] | undefined
    let model = this.settings.model
    const calls = new Map<number, ToolCall>()
    try {
      const stream = await this.#client.chat.completions.create(
        { ...this.#params(request), stream: true, stream_options: { include_usage: true } },
        { signal: request.signal },
      )
      for await (const chunk of stream) {
        if (chunk.model) model = chunk.model
        if (chunk.usage) usage = chunk.usage
        const choice = chunk.choices[0]
        if (!choice) continue
        if (choice.finish_reason) finishReason = choice.finish_reason
        const delta = choice.delta
        if (delta?.refusal) refusal += delta.refusal
        for (const call of delta?.tool_calls ?? []) {
          const known = calls.get(call.index) ?? { id: call.id ?? '', name: '', arguments: '' }
          if (call.id) known.id = call.id
          if (call.function?.name) known.name += call.function.name
          if (call.function?.arguments) known.arguments += call.function.arguments
          calls.set(call.index, known)
        }
        if (delta?.content) {
          content += delta.content
          yield { type: 'delta', text: delta.content }
        }
      }
    } catch (err) {
      throw this.#error(err)
    }
    // A stream that ends without a finish reason was cut: the answer is incomplete, not an answer.
    if (finishReason === 'unknown')
      throw new AppError(
        502,
        'model_stream_interrupted',
        `The model server at ${this.settings.baseUrl} ended the answer before it was complete`,
      )
    const toolCalls = [...calls.values()]
    yield {
      type: 'done',
      answer: {
        content,
        toolCalls,
        refusal: refusal || undefined,
        finishReason,
        usage: this.#usage(request, content + toolCalls.map((c) => c.arguments).join(''), usage ?? undefined),
        model,
      },
    }
  }

  #params(request: CompletionRequest): ChatCompletionCreateParamsNonStreaming {
    return {
      model: this.settings.model,
      messages: request.messages,
      ...(request.tools?.length ? { tools: request.tools } : {}),
      ...(request.jsonSchema
        ? {
            response_format: {
              type: 'json_schema',
              json_schema: { name: request.jsonSchema.name, schema: request.jsonSchema.schema, strict: true },
            },
          }
        : {}),
      ...(request.maxTokens ? { max_tokens: request.maxTokens } : {}),
      temperature: request.temperature ?? 0,
    }
  }

  #usage(
    request: CompletionRequest,
    answerText: string,
    usage: { prompt_tokens?: number; completion_tokens?: number } | undefined,
  ): ModelUsage {
    const estimated = typeof usage?.prompt_tokens !== 'number' || typeof usage?.completion_tokens !== 'number'
    const promptTokens = usage?.prompt_tokens ?? estimateTokens(JSON.stringify(request.messages))
    const completionTokens = usage?.completion_tokens ?? estimateTokens(answerText)
    return {
      promptTokens,
      completionTokens,
      estimated,
      costUsd: costOf(this.settings.prices, this.settings.model, promptTokens, completionTokens),
    }
  }

  #error(err: unknown): AppError {
    const base = this.settings.baseUrl
    if (err instanceof AppError) return err
    if (err instanceof APIUserAbortError) return new AppError(400, 'model_cancelled', 'The request was cancelled')
    if (err instanceof APIConnectionTimeoutError)
      return new AppError(504, 'model_timeout', `The model server at ${base} did not answer in time`)
    if (err instanceof APIConnectionError) {
      const cause = rootCause(err)
      if (cause instanceof DestinationNotAllowedError)
        return new AppError(
          502,
          'model_unreachable',
          `The model server at ${base} is outside this instance's network policy: an instance admin may allow its network`,
        )
      return new AppError(502, 'model_unreachable', `The model server at ${base} is not reachable: ${describe(cause)}`)
    }
    if (err instanceof APIError) {
      const status = err.status ?? 0
      if (status === 429)
        return new AppError(503, 'model_rate_limited', `The model server at ${base} is rate limiting requests`)
      if (status === 401 || status === 403)
        return new AppError(502, 'model_auth_failed', `The model server at ${base} refused the API key`)
      return new AppError(502, 'model_failed', `The model server at ${base} failed (HTTP ${status}): ${scrub(err)}`)
    }
    return new AppError(502, 'model_failed', `The model server at ${base} failed: ${describe(err)}`)
  }
}

/** A rough count for servers that send no usage: about four characters a token for English and SQL. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4)
}

export function costOf(prices: PriceTable, model: string, promptTokens: number, completionTokens: number): number {
  const price = prices[model] ?? prices['*']
  if (!price) return 0
  return Math.round(((promptTokens * price.input + completionTokens * price.output) / 1_000_000) * 1e8) / 1e8
}

function rootCause(err: unknown): unknown {
  let current = err
  for (let i = 0; i < 5 && current instanceof Error && current.cause !== undefined; i++) current = current.cause
  return current
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : ''
  return code && !message.includes(code) ? `${message} (${code})` : message
}

/** The server's own error text, without anything that looks like a key echoed back. */
function scrub(err: APIError): string {
  const text = (err.error as { message?: unknown } | undefined)?.message
  const message = typeof text === 'string' ? text : err.message
  return message.replace(/\b(sk|key|wbt)[-_][A-Za-z0-9_-]{6,}/g, '[redacted]').slice(0, 300)
}
