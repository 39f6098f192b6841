import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ModelClient, type ModelSettings } from '../../src/assistant/model-client.ts'
import { NetworkGuard } from '../../src/connections/network-guard.ts'
import { guardedFetch } from '../../src/connections/outbound-http.ts'
import { AppError } from '../../src/http/errors.ts'
import { freePort } from '../../src/services/free-port.ts'
import { type FakeOpenAi, startFakeOpenAi } from '../support/fake-openai.ts'

const KEY = 'sk-test-0123456789abcdef'

/** The fake listens on loopback: reachable only through an instance allow-list entry, as a local server is. */
const allowLoopback = guardedFetch({ guard: () => new NetworkGuard({ allowed: ['127.0.0.1/32'] }), timeoutMs: 5_000 })

function client(fake: FakeOpenAi, overrides: Partial<ModelSettings> = {}, fetchImpl = allowLoopback) {
  return new ModelClient(
    {
      baseUrl: fake.baseUrl,
      model: 'scripted-1',
      apiKey: KEY,
      timeoutMs: 2_000,
      maxRetries: 2,
      prices: { 'scripted-1': { input: 2, output: 8 } },
      ...overrides,
    },
    fetchImpl,
  )
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}

describe('model client (scripted OpenAI-compatible server)', () => {
  let fake: FakeOpenAi
  beforeAll(async () => {
    fake = await startFakeOpenAi()
  })
  afterAll(() => fake.close())
  beforeEach(() => {
    fake.requests.length = 0
  })

  it('answers with the content, the usage the server reported and its cost from the price table', async () => {
    fake.queue({ kind: 'text', content: 'SELECT 1', usage: { prompt: 1000, completion: 500 } })
    const answer = await client(fake).complete({ messages: [{ role: 'user', content: 'one' }] })
    expect(answer.content).toBe('SELECT 1')
    expect(answer.usage).toEqual({ promptTokens: 1000, completionTokens: 500, estimated: false, costUsd: 0.006 })
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`)
    expect(fake.requests[0]?.body.model).toBe('scripted-1')
  })

  it('estimates the tokens when the server sends no usage', async () => {
    fake.queue({ kind: 'text', content: 'x'.repeat(40), usage: null })
    const answer = await client(fake).complete({ messages: [{ role: 'user', content: 'y'.repeat(400) }] })
    expect(answer.usage.estimated).toBe(true)
    expect(answer.usage.completionTokens).toBe(10)
    expect(answer.usage.promptTokens).toBeGreaterThanOrEqual(100)
  })

  it('returns tool calls with their raw arguments, malformed JSON included, for the caller to judge', async () => {
    fake.queue({
      kind: 'tool_calls',
      calls: [
        { name: 'search_catalog', arguments: '{"query":"orders"}' },
        { name: 'run_sql', arguments: '{"sql": "SELECT' },
      ],
    })
    const answer = await client(fake).complete({
      messages: [{ role: 'user', content: 'q' }],
      tools: [{ type: 'function', function: { name: 'search_catalog', parameters: { type: 'object' } } }],
    })
    expect(answer.finishReason).toBe('tool_calls')
    expect(answer.toolCalls.map((c) => c.name)).toEqual(['search_catalog', 'run_sql'])
    expect(answer.toolCalls[1]?.arguments).toBe('{"sql": "SELECT')
    expect(fake.requests[0]?.body.tools?.[0]?.function.name).toBe('search_catalog')
  })

  it('sends a json_schema response format and surfaces a refusal', async () => {
    fake.queue({ kind: 'refusal', refusal: 'I cannot help with that' })
    const answer = await client(fake).complete({
      messages: [{ role: 'user', content: 'q' }],
      jsonSchema: { name: 'answer', schema: { type: 'object', properties: { sql: { type: 'string' } } } },
    })
    expect(answer.refusal).toBe('I cannot help with that')
    expect(fake.requests[0]?.body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { name: 'answer' },
    })
  })

  it('retries a 429 after the retry-after it names, then a 500, and answers', async () => {
    fake.queue(
      { kind: 'error', status: 429, message: 'slow down', retryAfter: '0' },
      { kind: 'error', status: 500, message: 'boom' },
      { kind: 'text', content: 'fine' },
    )
    const answer = await client(fake).complete({ messages: [{ role: 'user', content: 'q' }] })
    expect(answer.content).toBe('fine')
    expect(fake.requests).toHaveLength(3)
  })

  it('gives up after the bounded retries with model_rate_limited naming the base URL, never the key', async () => {
    fake.queue(
      ...Array.from({ length: 3 }, () => ({
        kind: 'error' as const,
        status: 429,
        message: `over ${KEY}`,
        retryAfter: '0',
      })),
    )
    const err = await failure(client(fake).complete({ messages: [{ role: 'user', content: 'q' }] }))
    expect(err.code).toBe('model_rate_limited')
    expect(err.message).toContain(fake.baseUrl)
    expect(err.message).not.toContain(KEY)
    expect(fake.requests).toHaveLength(3)
  })

  it('does not echo a key the server puts in its error text', async () => {
    fake.queue({ kind: 'error', status: 400, message: `bad request for key ${KEY}` })
    const err = await failure(client(fake).complete({ messages: [{ role: 'user', content: 'q' }] }))
    expect(err.code).toBe('model_failed')
    expect(err.message).not.toContain(KEY)
  })

  it('times out a server that never answers with model_timeout', async () => {
    fake.queue({ kind: 'hang' })
    const err = await failure(
      client(fake, { timeoutMs: 300, maxRetries: 0 }).complete({ messages: [{ role: 'user', content: 'q' }] }),
    )
    expect(err.code).toBe('model_timeout')
    expect(err.message).toContain(fake.baseUrl)
  })

  it('streams the text in deltas and ends with the usage of the final chunk', async () => {
    fake.queue({
      kind: 'text',
      content: 'The answer is forty-two, computed twice.',
      usage: { prompt: 12, completion: 9 },
    })
    const deltas: string[] = []
    let done: unknown
    for await (const event of client(fake).stream({ messages: [{ role: 'user', content: 'q' }] })) {
      if (event.type === 'delta') deltas.push(event.text)
      else done = event.answer
    }
    expect(deltas.length).toBeGreaterThan(1)
    expect(deltas.join('')).toBe('The answer is forty-two, computed twice.')
    expect(done).toMatchObject({
      finishReason: 'stop',
      usage: { promptTokens: 12, completionTokens: 9, estimated: false },
    })
    expect(fake.requests[0]?.body.stream_options).toEqual({ include_usage: true })
  })

  it('refuses a stream cut midway as incomplete (model_stream_interrupted or unreachable), never as an answer', async () => {
    fake.queue({ kind: 'cut', content: 'SELECT customer, sum(amount) FROM orders GROUP BY customer' })
    const events: string[] = []
    const err = await failure(
      (async () => {
        for await (const event of client(fake, { maxRetries: 0 }).stream({
          messages: [{ role: 'user', content: 'q' }],
        }))
          events.push(event.type)
      })(),
    )
    expect(['model_stream_interrupted', 'model_unreachable', 'model_failed']).toContain(err.code)
    expect(events).not.toContain('done')
  })

  it('names the base URL (not the key) when nothing listens there', async () => {
    const port = await freePort()
    const baseUrl = `http://127.0.0.1:${port}/v1`
    const err = await failure(
      new ModelClient(
        { baseUrl, model: 'm', apiKey: KEY, timeoutMs: 2_000, maxRetries: 0, prices: {} },
        allowLoopback,
      ).complete({ messages: [{ role: 'user', content: 'q' }] }),
    )
    expect(err.code).toBe('model_unreachable')
    expect(err.message).toContain(baseUrl)
    expect(err.message).not.toContain(KEY)
  })

  it('goes through the outbound policy: loopback without an allow-list entry is refused before connecting', async () => {
    const blocked = guardedFetch({ guard: () => new NetworkGuard({ allowed: [] }) })
    const err = await failure(
      client(fake, { maxRetries: 0 }, blocked).complete({ messages: [{ role: 'user', content: 'q' }] }),
    )
    expect(err.code).toBe('model_unreachable')
    expect(err.message).toContain('network policy')
    expect(fake.requests).toHaveLength(0)
  })
})
