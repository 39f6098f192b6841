import http from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A scripted OpenAI-compatible server, written from the OpenAI API reference for `POST /v1/chat/completions`:
 * a `chat.completion` object (choices[].message with content / tool_calls / refusal, finish_reason, usage), SSE
 * streaming of `chat.completion.chunk`s ending in `data: [DONE]` (the usage chunk with empty choices when
 * `stream_options.include_usage`), and `{error: {message, type, code}}` bodies with their HTTP status.
 */
export type FakeReply =
  | { kind: 'text'; content: string; usage?: { prompt: number; completion: number } | null }
  | { kind: 'tool_calls'; calls: { name: string; arguments: string }[] }
  | { kind: 'refusal'; refusal: string }
  | { kind: 'error'; status: number; message: string; retryAfter?: string }
  /** Accepts the request and never answers (for timeouts). */
  | { kind: 'hang' }
  /** Streams `content` in part, then drops the connection without a finish reason nor `[DONE]`. */
  | { kind: 'cut'; content: string }

export interface FakeRequest {
  body: {
    model: string
    messages: { role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }[]
    stream?: boolean
    tools?: { function: { name: string } }[]
    response_format?: { type: string; json_schema?: { name: string; schema: unknown } }
    [key: string]: unknown
  }
  headers: http.IncomingHttpHeaders
}

export type FakeScript = (request: FakeRequest, index: number) => FakeReply

export interface FakeOpenAi {
  /** Base URL with `/v1`, as an OpenAI client takes it. */
  baseUrl: string
  requests: FakeRequest[]
  /** Replies in order, then the fallback script (if any). */
  queue(...replies: FakeReply[]): void
  script(fn: FakeScript): void
  close(): Promise<void>
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const requests: FakeRequest[] = []
  const queued: FakeReply[] = []
  let fallback: FakeScript = () => ({ kind: 'text', content: 'ok' })
  const hanging = new Set<http.ServerResponse>()
  let counter = 0

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        send(res, 404, { error: { message: `Unknown route ${req.url}`, type: 'invalid_request_error', code: null } })
        return
      }
      let body: FakeRequest['body']
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        send(res, 400, { error: { message: 'Invalid JSON body', type: 'invalid_request_error', code: null } })
        return
      }
      const request = { body, headers: req.headers }
      requests.push(request)
      const index = requests.length - 1
      const reply = queued.shift() ?? fallback(request, index)
      answer(res, body, reply, `chatcmpl-${++counter}`)
    })
  })

  function answer(res: http.ServerResponse, body: FakeRequest['body'], reply: FakeReply, id: string) {
    const created = Math.floor(Date.now() / 1000)
    const model = body.model
    if (reply.kind === 'hang') {
      hanging.add(res)
      res.on('close', () => hanging.delete(res))
      return
    }
    if (reply.kind === 'error') {
      const headers: Record<string, string> = {}
      if (reply.retryAfter) headers['retry-after'] = reply.retryAfter
      send(res, reply.status, { error: { message: reply.message, type: 'server_error', code: null } }, headers)
      return
    }
    const promptTokens = Math.ceil(JSON.stringify(body.messages).length / 4)
    const message =
      reply.kind === 'text' || reply.kind === 'cut'
        ? { role: 'assistant', content: reply.content, refusal: null }
        : reply.kind === 'refusal'
          ? { role: 'assistant', content: null, refusal: reply.refusal }
          : {
              role: 'assistant',
              content: null,
              refusal: null,
              tool_calls: reply.calls.map((c, i) => ({
                id: `call_${id}_${i}`,
                type: 'function',
                function: { name: c.name, arguments: c.arguments },
              })),
            }
    const finish = reply.kind === 'tool_calls' ? 'tool_calls' : 'stop'
    const usage =
      reply.kind === 'text' && reply.usage === null
        ? undefined
        : {
            prompt_tokens: reply.kind === 'text' && reply.usage ? reply.usage.prompt : promptTokens,
            completion_tokens:
              reply.kind === 'text' && reply.usage
                ? reply.usage.completion
                : Math.ceil(JSON.stringify(message).length / 4),
            total_tokens: 0,
          }
    if (usage) usage.total_tokens = usage.prompt_tokens + usage.completion_tokens
    if (!body.stream) {
      send(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
        ...(usage ? { usage } : {}),
      })
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    const chunk = (delta: unknown, finishReason: string | null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`
    res.write(chunk({ role: 'assistant', content: '' }, null))
    if (reply.kind === 'text' || reply.kind === 'cut') {
      const parts = reply.content.match(/.{1,8}/gs) ?? []
      const sent = reply.kind === 'cut' ? parts.slice(0, Math.max(1, Math.floor(parts.length / 2))) : parts
      for (const part of sent) res.write(chunk({ content: part }, null))
      if (reply.kind === 'cut') {
        res.socket?.destroy()
        return
      }
    } else if (reply.kind === 'refusal') res.write(chunk({ refusal: reply.refusal }, null))
    else
      for (const [i, call] of (message.tool_calls ?? []).entries())
        res.write(chunk({ tool_calls: [{ index: i, ...call }] }, null))
    res.write(chunk({}, finish))
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage
    if (includeUsage && usage)
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`,
      )
    res.end('data: [DONE]\n\n')
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    queue: (...replies) => queued.push(...replies),
    script: (fn) => {
      fallback = fn
    },
    close: async () => {
      for (const res of hanging) res.socket?.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** The text of the last user (or tool) message of a request: what a scripted model "reads". */
export function lastUserText(request: FakeRequest): string {
  const last = [...request.body.messages].reverse().find((m) => m.role === 'user')
  return typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '')
}

/** Every message's text joined: the whole prompt a model was shown. */
export function promptText(request: FakeRequest): string {
  return request.body.messages
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
    .join('\n')
}
