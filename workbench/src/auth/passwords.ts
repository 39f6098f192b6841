import { hash, verify } from '@node-rs/argon2'

/** OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane). */
// `algorithm: 2` is Argon2id (the package's const enum cannot be imported under verbatimModuleSyntax).
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 }

/**
 * Hashes and verifies passwords with argon2id. Verifying against a missing account still runs one full
 * argon2id verification, against a hash of a random password made at start-up, so an unknown email
 * and a wrong password cost the same time. `verifications` counts that work, so tests can check it.
 *
 * @example
 * const passwords = new PasswordHasher()
 * const ok = await passwords.verify(user?.password_hash, input)
 */
export class PasswordHasher {
  #decoy: Promise<string> | undefined
  verifications = 0

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS)
  }

  /** `storedHash` undefined means "no such account": the answer is false after the same work. */
  async verify(storedHash: string | undefined, password: string): Promise<boolean> {
    this.#decoy ??= hash(crypto.randomUUID(), OPTIONS)
    const target = storedHash ?? (await this.#decoy)
    this.verifications += 1
    let ok = false
    try {
      ok = await verify(target, password)
    } catch {
      ok = false
    }
    return ok && storedHash !== undefined
  }
}
