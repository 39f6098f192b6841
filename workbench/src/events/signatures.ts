import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Webhook signatures, both ways: the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, secrets written `whsec_<base64>`) and GitHub's
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. Inbound hooks verify with these; outbound events sign.
 */

/** Why a delivery was refused: stable codes the API answers with. */
export type SignatureProblem =
  | 'webhook_signature_missing'
  | 'webhook_timestamp_invalid'
  | 'webhook_timestamp_stale'
  | 'webhook_signature_invalid'

export class WebhookSignatureError extends Error {
  constructor(
    readonly code: SignatureProblem,
    message: string,
  ) {
    super(message)
    this.name = 'WebhookSignatureError'
  }
}

/** Five minutes either way, as the Standard Webhooks spec recommends. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60

/** The key bytes of a `whsec_<base64>` secret (the prefix is optional, as in the reference libraries). */
export function secretKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64')
  if (key.length === 0) throw new TypeError('a webhook secret must be non-empty base64 (whsec_…)')
  return key
}

/**
 * The `webhook-signature` value for a message.
 *
 * @example
 * signStandardWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')
 * // 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
 */
export function signStandardWebhook(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac('sha256', secretKey(secret))
  mac.update(`${id}.${timestamp}.`)
  mac.update(body)
  return `v1,${mac.digest('base64')}`
}

/** The three headers of an outbound delivery signed with `secret`. */
export function standardWebhookHeaders(
  secret: string,
  id: string,
  body: string,
  now = Date.now(),
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const timestamp = Math.floor(now / 1000)
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signStandardWebhook(secret, id, timestamp, body),
  }
}

/**
 * Verifies a Standard Webhooks delivery against any of `secrets` (several during a rotation) and any of the
 * space-separated signatures in the header; returns the message id (for replay protection). Throws a
 * {@link WebhookSignatureError} naming what is wrong.
 */
export function verifyStandardWebhook(
  secrets: readonly string[],
  headers: { get(name: string): string | null | undefined },
  body: string | Buffer,
  options: { now?: number; toleranceSeconds?: number } = {},
): { id: string; timestamp: number } {
  const id = headers.get('webhook-id')
  const stamp = headers.get('webhook-timestamp')
  const signatures = headers.get('webhook-signature')
  if (!id || !stamp || !signatures)
    throw new WebhookSignatureError(
      'webhook_signature_missing',
      'webhook-id, webhook-timestamp and webhook-signature headers are required',
    )
  if (!/^\d{1,12}$/.test(stamp))
    throw new WebhookSignatureError('webhook_timestamp_invalid', 'webhook-timestamp must be Unix seconds')
  const timestamp = Number(stamp)
  const now = Math.floor((options.now ?? Date.now()) / 1000)
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (Math.abs(now - timestamp) > tolerance)
    throw new WebhookSignatureError(
      'webhook_timestamp_stale',
      `webhook-timestamp is more than ${tolerance} s away from this server's clock`,
    )
  const offered = signatures
    .split(' ')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'))
  for (const secret of secrets) {
    const expected = Buffer.from(signStandardWebhook(secret, id, timestamp, body).slice(3), 'base64')
    if (offered.some((o) => o.length === expected.length && timingSafeEqual(o, expected))) return { id, timestamp }
  }
  throw new WebhookSignatureError('webhook_signature_invalid', 'No webhook-signature matches the body')
}

/** `sha256=<hex>` as GitHub sends it in `X-Hub-Signature-256`. */
export function signGithub(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/** Verifies GitHub's `X-Hub-Signature-256` against any of `secrets`. */
export function verifyGithub(
  secrets: readonly string[],
  header: string | null | undefined,
  body: string | Buffer,
): void {
  if (!header) throw new WebhookSignatureError('webhook_signature_missing', 'X-Hub-Signature-256 header is required')
  const offered = Buffer.from(header)
  for (const secret of secrets) {
    const expected = Buffer.from(signGithub(secret, body))
    if (offered.length === expected.length && timingSafeEqual(offered, expected)) return
  }
  throw new WebhookSignatureError('webhook_signature_invalid', 'X-Hub-Signature-256 does not match the body')
}
