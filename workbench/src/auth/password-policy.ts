import { dictionary } from '@zxcvbn-ts/language-common'

/**
 * The password policy, after NIST SP 800-63B: a minimum length, a generous maximum (so passphrases
 * and password managers work), no composition rules, and a check against ~49,000 passwords seen most
 * often in breaches (the common-password list shipped with zxcvbn-ts, checked offline), plus the
 * obvious context words (the account's own email). Every place that sets a password uses it: sign-up,
 * password change, the admin's reset and `ADMIN_PASSWORD`.
 */
export const PASSWORD_MIN_LENGTH = 12
/** Bounded because hashing a megabyte password is a cheap DoS; far above the 64 NIST asks to allow. */
export const PASSWORD_MAX_LENGTH = 256

let common: Set<string> | undefined

/** True when the password is on the common/breached list (compared case-insensitively). */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()))
  const lowered = password.toLowerCase()
  // Blanks around or inside a listed password ("pass word 1234") do not make it another password.
  return common.has(lowered) || common.has(lowered.replace(/\s+/g, ''))
}

/**
 * Why `password` is not acceptable, or undefined when it is. `context` holds words specific to the
 * account (its email) that the password must not simply be.
 */
export function passwordProblem(password: string, context: string[] = []): string | undefined {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`
  if (isCommonPassword(password)) return 'is one of the most common passwords (found in breach lists); choose another'
  if (/^(.)\1+$/su.test(password)) return 'must not be one character repeated'
  const lowered = password.toLowerCase()
  for (const word of context) {
    const w = word.trim().toLowerCase()
    if (w.length >= 4 && (lowered === w || lowered === w.split('@')[0]))
      return 'must not be your email address or its name part'
  }
  return undefined
}
