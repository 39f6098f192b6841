import { ApplicationFailure } from '@temporalio/activity'
import type { StepHandler } from '../types.ts'

const BODY_LIMIT = 10_000

/**
 * `http` steps: a webhook call. The idempotency key goes out as `Idempotency-Key` so receivers (n8n
 * and others) can drop a retried delivery. 4xx answers other than 408/429 are the caller's fault and
 * are not retried; 5xx and network errors are.
 */
export function httpHandler(fetchImpl: typeof fetch = fetch): StepHandler {
  return async (withBlock, context) => {
    const body = withBlock.body
    const headers: Record<string, string> = {
      'idempotency-key': context.idempotencyKey,
      ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
      ...((withBlock.headers as Record<string, string> | undefined) ?? {}),
    }
    const method = (withBlock.method as string | undefined) ?? (body === undefined ? 'GET' : 'POST')
    const response = await fetchImpl(withBlock.url as string, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: context.signal,
    })
    const text = (await response.text()).slice(0, BODY_LIMIT)
    const expected = withBlock.expect_status as number[] | undefined
    const ok = expected ? expected.includes(response.status) : response.status >= 200 && response.status < 300
    if (!ok) {
      const message = `${method} ${withBlock.url} answered HTTP ${response.status}: ${text.slice(0, 200)}`
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429
      if (retryable) throw new Error(message)
      throw ApplicationFailure.nonRetryable(message, 'HttpClientError', { status: response.status })
    }
    let parsed: unknown = text
    if (response.headers.get('content-type')?.includes('json')) {
      try {
        parsed = JSON.parse(text)
      } catch {
        // A truncated or malformed JSON body stays text: the call itself succeeded.
      }
    }
    return { status: response.status, body: parsed }
  }
}
