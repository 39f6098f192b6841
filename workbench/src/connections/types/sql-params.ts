import { isIP } from 'node:net'
import { type ConnectionOptions, checkServerIdentity } from 'node:tls'
import { z } from 'zod'

/** TLS choices for database connections. */
export const SSL_MODES = ['disable', 'require', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

/** The parameters PostgreSQL and MySQL share; `port` defaults per type. */
export function sqlParamsSchema(defaultPort: number) {
  return z
    .object({
      host: z.string().trim().min(1).max(253).describe('Host name or IP address'),
      port: z.coerce.number().int().min(1).max(65535).default(defaultPort).describe('Port'),
      database: z.string().trim().min(1).max(128).describe('Database'),
      user: z.string().trim().min(1).max(128).describe('User'),
      password: z.string().max(1024).optional().describe('Password'),
      sslMode: z
        .enum(SSL_MODES)
        .default('require')
        .describe(
          'TLS: disable; require (encrypted, certificate not checked); verify-full (certificate and host checked)',
        ),
      caPem: z
        .string()
        .max(64 * 1024)
        .optional()
        .describe('CA certificate (PEM): trusted for verify-full; empty means the system CAs'),
    })
    .superRefine((p, ctx) => {
      if (p.caPem && !p.caPem.includes('-----BEGIN CERTIFICATE-----'))
        ctx.addIssue({ code: 'custom', path: ['caPem'], message: 'must be a PEM certificate' })
    })
}

export type SqlParams = z.output<ReturnType<typeof sqlParamsSchema>>

/**
 * Node TLS options for a connection made to a resolved IP address: the certificate is still checked
 * against the host name the user typed (`host`), so connecting by address loses nothing.
 */
export function tlsOptions(p: SqlParams, host: string): ConnectionOptions | false {
  if (p.sslMode === 'disable') return false
  if (p.sslMode === 'require') return { rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) }
  return {
    rejectUnauthorized: true,
    ...(p.caPem ? { ca: p.caPem } : {}),
    ...(isIP(host) ? {} : { servername: host }),
    checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert),
  }
}
