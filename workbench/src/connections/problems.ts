/**
 * Why a connection attempt failed, as a stable code the API and the web app show. The message is for
 * people; the code is for programs and tests.
 */
export const CONNECTION_PROBLEM_CODES = [
  'dns_not_found',
  'connection_refused',
  'timeout',
  'tls_failed',
  'authentication_failed',
  'database_not_found',
  'destination_not_allowed',
  'unreachable',
  'connection_failed',
  /** The server has no external API (Odoo Online plans without it). */
  'external_api_unavailable',
  /** Signed in, but the user may not do what the test needs (Odoo AccessDenied / AccessError). */
  'access_denied',
  /** The chosen protocol does not exist on this server (Odoo JSON-2 before 19). */
  'protocol_unavailable',
  /** The server answered, but not as the protocol defines (not the product the type expects). */
  'bad_response',
] as const

export type ConnectionProblemCode = (typeof CONNECTION_PROBLEM_CODES)[number]

export class ConnectionProblem extends Error {
  constructor(
    readonly code: ConnectionProblemCode,
    message: string,
  ) {
    super(message)
    this.name = 'ConnectionProblem'
  }
}

/** Errors the network layer raises, whatever the driver (Node socket and DNS codes). */
export function networkProblem(err: unknown, target: string): ConnectionProblem | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const message = err instanceof Error ? err.message : String(err)
  if (code === 'ECONNREFUSED')
    return new ConnectionProblem('connection_refused', `${target} refused the connection (is the server running?)`)
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME')
    return new ConnectionProblem('dns_not_found', `The host name of ${target} does not resolve`)
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET_TIMEOUT' || /timeout|timed out/i.test(message))
    return new ConnectionProblem('timeout', `${target} did not answer in time`)
  if (
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH' ||
    code === 'EHOSTDOWN' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE'
  )
    return new ConnectionProblem('connection_refused', `${target} is unreachable (${code})`)
  if (
    (typeof code === 'string' && (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) ||
    /self[- ]signed|certificate|unable to verify|ssl|tls|Hostname\/IP does not match/i.test(message)
  )
    return new ConnectionProblem('tls_failed', `TLS with ${target} failed: ${message}`)
  return undefined
}
