import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** Prefixes tell a leaked secret's kind at a glance (and let secret scanners find them). */
export const SECRET_PREFIX = { refresh: 'wbr_', invitation: 'wbi_', apiToken: 'wbt_' } as const

/** 256 random bits, URL-safe, with a kind prefix. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`
}

/**
 * Secrets we hand out are high-entropy, so a fast hash is enough to make a stolen table useless; a slow
 * password hash is only needed for what people choose.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** Constant-time string equality, for comparing CSRF tokens. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
