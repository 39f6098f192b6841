import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { AuthConfig } from '../config.ts'
import type { Database } from '../db/schema.ts'
import { AppError } from '../http/errors.ts'
import { AccessTokens } from './access-tokens.ts'
import { ApiTokens } from './api-tokens.ts'
import { AuditLog } from './audit-log.ts'
import { LiveSockets } from './live-sockets.ts'
import { LoginThrottle } from './login-throttle.ts'
import { type Mailer, noMailer, smtpMailer } from './mailer.ts'
import { PasswordHasher } from './passwords.ts'
import { Sessions } from './sessions.ts'
import { Users } from './users.ts'

/** What the identity layer needs from `Config['auth']`, with the signing key resolved. */
export type IdentityOptions = Omit<AuthConfig, 'jwtSecret'> & { jwtSecret: string }

/**
 * Every identity service, built once per app. The metadata DB is passed as a getter because HTTP starts
 * before the DB is open; until then identity routes answer 503.
 *
 * @example
 * const identity = createIdentity({ db: () => database.db, options, logger })
 */
export interface Identity {
  options: IdentityOptions
  db: () => Kysely<Database>
  passwords: PasswordHasher
  users: Users
  sessions: Sessions
  apiTokens: ApiTokens
  audit: AuditLog
  throttle: LoginThrottle
  mailer: Mailer
  accessTokens: AccessTokens
  /** Open long-lived sockets, re-checked whenever access changes (and every half second). */
  liveSockets: LiveSockets
  logger: Logger
}

export function createIdentity(deps: {
  db: () => Kysely<Database> | undefined
  options: IdentityOptions
  logger: Logger
  mailer?: Mailer
  passwords?: PasswordHasher
}): Identity {
  const db = () => {
    const current = deps.db()
    if (!current) throw new AppError(503, 'database_unavailable', 'The metadata database is still starting')
    return current
  }
  const passwords = deps.passwords ?? new PasswordHasher()
  const accessTokens = new AccessTokens(deps.options.jwtSecret, deps.options.accessTokenTtlSeconds)
  const liveSockets = new LiveSockets(db, deps.logger)
  const accessChanged = () => liveSockets.recheck()
  return {
    options: deps.options,
    db,
    passwords,
    accessTokens,
    liveSockets,
    logger: deps.logger,
    users: new Users(db, passwords, accessChanged),
    sessions: new Sessions(
      db,
      accessTokens,
      { refreshTtlDays: deps.options.refreshTokenTtlDays, reuseGraceSeconds: deps.options.refreshReuseGraceSeconds },
      accessChanged,
    ),
    apiTokens: new ApiTokens(db, accessChanged),
    audit: new AuditLog(db, deps.logger),
    throttle: new LoginThrottle({
      maxAttemptsPerIp: deps.options.loginMaxAttemptsPerIp,
      freeAttemptsPerAccount: deps.options.loginFreeAttemptsPerAccount,
    }),
    mailer: deps.mailer ?? (deps.options.smtp ? smtpMailer(deps.options.smtp.url, deps.options.smtp.from) : noMailer),
  }
}
