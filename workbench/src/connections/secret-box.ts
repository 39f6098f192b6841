import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

/**
 * AES-256-GCM sealing for connection secrets and workspace data keys. A sealed value is the text
 * `v1.<iv>.<tag>.<ciphertext>` (base64url parts). The associated data binds a ciphertext to its owner
 * (a workspace id, a connection id), so a sealed value copied onto another row does not open.
 */
const VERSION = 'v1'

/** A 32-byte key and a short id (a SHA-256 prefix) that names it without revealing it. */
export interface SecretKey {
  key: Buffer
  id: string
}

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SecretBoxError'
  }
}

/** Wraps 32 raw bytes as a {@link SecretKey}. */
export function secretKey(key: Buffer): SecretKey {
  if (key.length !== 32) throw new SecretBoxError(`a key must be 32 bytes, got ${key.length}`)
  return { key, id: createHash('sha256').update(key).digest('hex').slice(0, 16) }
}

/** A fresh random key (a workspace data key, or a new master key). */
export function generateKey(): SecretKey {
  return secretKey(randomBytes(32))
}

/** Parses a base64 (or base64url) text of exactly 32 bytes; undefined if it is not one. */
export function parseKey(text: string): SecretKey | undefined {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined
  const bytes = Buffer.from(trimmed.replaceAll('-', '+').replaceAll('_', '/'), 'base64')
  return bytes.length === 32 ? secretKey(bytes) : undefined
}

/** Encrypts `plaintext` under `key`, bound to `context` (authenticated, not encrypted). */
export function seal(key: SecretKey, plaintext: Buffer, context: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key.key, iv)
  cipher.setAAD(Buffer.from(context, 'utf8'))
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  const tag = cipher.getAuthTag()
  return [VERSION, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.')
}

/** Decrypts a value made by {@link seal}; throws {@link SecretBoxError} for a wrong key, context or tampering. */
export function open(key: SecretKey, sealed: string, context: string): Buffer {
  const parts = sealed.split('.')
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretBoxError('not a sealed value')
  const [, iv, tag, ciphertext] = parts as [string, string, string, string]
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'))
    decipher.setAAD(Buffer.from(context, 'utf8'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()])
  } catch {
    throw new SecretBoxError('the value does not open with this key (wrong key, or tampered)')
  }
}

/** Seals a JSON value. */
export function sealJson(key: SecretKey, value: unknown, context: string): string {
  return seal(key, Buffer.from(JSON.stringify(value), 'utf8'), context)
}

/** Opens a JSON value sealed by {@link sealJson}. */
export function openJson<T>(key: SecretKey, sealed: string, context: string): T {
  return JSON.parse(open(key, sealed, context).toString('utf8')) as T
}
