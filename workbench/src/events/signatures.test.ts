import { describe, expect, it } from 'vitest'
import {
  signGithub,
  signStandardWebhook,
  standardWebhookHeaders,
  verifyGithub,
  verifyStandardWebhook,
  WebhookSignatureError,
} from './signatures.ts'

// The Standard Webhooks reference test vectors (standard-webhooks/standard-webhooks, libraries' webhook tests).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const MSG_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek'
const PAYLOAD = '{"test": 2432232314}'

const headersOf = (h: Record<string, string>) => new Headers(h)
const problem = (fn: () => unknown) => {
  try {
    fn()
  } catch (err) {
    if (err instanceof WebhookSignatureError) return err.code
    throw err
  }
  return 'accepted'
}

describe('Standard Webhooks signatures', () => {
  it('signs the reference message exactly as the reference libraries do', () => {
    expect(signStandardWebhook(SECRET, MSG_ID, 1614265330, PAYLOAD)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    )
    // The whsec_ prefix is optional.
    expect(signStandardWebhook(SECRET.slice(6), MSG_ID, 1614265330, PAYLOAD)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    )
  })

  it('accepts a fresh delivery and returns its id for replay protection', () => {
    const headers = standardWebhookHeaders(SECRET, MSG_ID, PAYLOAD)
    expect(verifyStandardWebhook([SECRET], headersOf(headers), PAYLOAD)).toMatchObject({ id: MSG_ID })
  })

  it('accepts the reference timestamp inside the window and refuses it 5 minutes and a second later', () => {
    const headers = headersOf({
      'webhook-id': MSG_ID,
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    })
    expect(problem(() => verifyStandardWebhook([SECRET], headers, PAYLOAD, { now: 1614265330_000 }))).toBe('accepted')
    expect(problem(() => verifyStandardWebhook([SECRET], headers, PAYLOAD, { now: (1614265330 + 301) * 1000 }))).toBe(
      'webhook_timestamp_stale',
    )
    expect(problem(() => verifyStandardWebhook([SECRET], headers, PAYLOAD, { now: (1614265330 - 301) * 1000 }))).toBe(
      'webhook_timestamp_stale',
    )
  })

  it('refuses missing headers, a bad timestamp, bad and partial signatures, and a changed body', () => {
    const good = standardWebhookHeaders(SECRET, MSG_ID, PAYLOAD)
    const without = (name: string) => headersOf(Object.fromEntries(Object.entries(good).filter(([k]) => k !== name)))
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'])
      expect(problem(() => verifyStandardWebhook([SECRET], without(name), PAYLOAD))).toBe('webhook_signature_missing')
    expect(
      problem(() => verifyStandardWebhook([SECRET], headersOf({ ...good, 'webhook-timestamp': 'hello' }), PAYLOAD)),
    ).toBe('webhook_timestamp_invalid')
    for (const signature of ['v1,dawfeoifkpqwoekfpqoekf', good['webhook-signature'].slice(0, 8), 'v1,'])
      expect(
        problem(() => verifyStandardWebhook([SECRET], headersOf({ ...good, 'webhook-signature': signature }), PAYLOAD)),
      ).toBe('webhook_signature_invalid')
    expect(problem(() => verifyStandardWebhook([SECRET], headersOf(good), `${PAYLOAD} `))).toBe(
      'webhook_signature_invalid',
    )
  })

  it('accepts one valid signature among several (other versions, rotated secrets)', () => {
    const good = standardWebhookHeaders(SECRET, MSG_ID, PAYLOAD)
    const many = [
      'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
      'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
      good['webhook-signature'],
      'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
    ].join(' ')
    expect(
      problem(() => verifyStandardWebhook([SECRET], headersOf({ ...good, 'webhook-signature': many }), PAYLOAD)),
    ).toBe('accepted')
    // During a rotation the receiver knows the old and the new secret.
    const rotated = `whsec_${Buffer.from('a new secret of the pipeline').toString('base64')}`
    const signedWithNew = standardWebhookHeaders(rotated, MSG_ID, PAYLOAD)
    expect(problem(() => verifyStandardWebhook([SECRET], headersOf(signedWithNew), PAYLOAD))).toBe(
      'webhook_signature_invalid',
    )
    expect(problem(() => verifyStandardWebhook([SECRET, rotated], headersOf(signedWithNew), PAYLOAD))).toBe('accepted')
  })
})

describe('GitHub X-Hub-Signature-256', () => {
  it("matches GitHub's documented example and refuses anything else", () => {
    // GitHub's docs: secret "It's a Secret to Everybody", payload "Hello, World!".
    const header = signGithub("It's a Secret to Everybody", 'Hello, World!')
    expect(header).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17')
    expect(problem(() => verifyGithub(["It's a Secret to Everybody"], header, 'Hello, World!'))).toBe('accepted')
    expect(problem(() => verifyGithub(['other'], header, 'Hello, World!'))).toBe('webhook_signature_invalid')
    expect(problem(() => verifyGithub(['x'], undefined, 'Hello, World!'))).toBe('webhook_signature_missing')
  })
})
