import pino, { type Logger } from 'pino'

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
          'password',
          '*.password',
          'token',
          '*.token',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'headers.cookie',
          'secret',
          '*.secret',
        ],
        censor: '[redacted]',
      },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  )
}
