import pino, { type Logger } from 'pino'
import { redactServerPaths } from './http/server-paths.ts'

/** Fields that carry secrets or user-written text (SQL, cell code) wherever they appear in a log call. */
const REDACTED_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'temporaryPassword',
  'token',
  'accessToken',
  'refreshToken',
  'apiToken',
  'invitationToken',
  'secret',
  'jwtSecret',
  'masterKey',
  'authorization',
  'cookie',
  'sql',
  'statement',
  'query',
  'source',
]

/**
 * Error messages of DuckDB and PostgreSQL echo the statement that failed ("LINE 1: SELECT …"), which is
 * user-written; server paths in them tell where the data lives. Both are cut before an error is logged.
 */
function redactedError(err: Error): pino.SerializedError {
  const serialized = pino.stdSerializers.err(err)
  const clean = (text: string | undefined) =>
    text === undefined
      ? text
      : redactServerPaths(text.replace(/\n\s*LINE \d+:[\s\S]*?(?=\n\s{4}at |$)/, '\n[statement omitted]'))
  return { ...serialized, message: clean(serialized.message) ?? '', stack: clean(serialized.stack) ?? '' }
}

/**
 * Structured JSON logs. Known secret-bearing fields are redacted wherever they appear, so a secret
 * that reaches a log call by mistake is still not written.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'workbench' },
      redact: {
        paths: [
          ...REDACTED_FIELDS,
          ...REDACTED_FIELDS.map((f) => `*.${f}`),
          'headers.authorization',
          'headers.cookie',
          'headers["set-cookie"]',
        ],
        censor: '[redacted]',
      },
      serializers: { err: redactedError },
    },
    destination,
  )
}
