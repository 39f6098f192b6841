/** Stable codes for what went wrong talking to Odoo; the message is for people. */
export const ODOO_ERROR_CODES = [
  /** The login, password or API key was refused (Odoo answers expired and revoked keys the same way). */
  'odoo_authentication_failed',
  /** `AccessDenied`: the credentials were refused for this call. */
  'odoo_access_denied',
  /** `AccessError`: the user may not read or change these records (ACL or record rule). */
  'odoo_access_error',
  /** `MissingError`: a record does not exist or was deleted. */
  'odoo_missing_record',
  /** `UserError` / `ValidationError`: Odoo refused the values or the operation. */
  'odoo_user_error',
  /** No such model or method (or a method that cannot be called remotely). */
  'odoo_not_found',
  /** The database named on the connection does not exist on the server. */
  'odoo_database_not_found',
  /** The server has no external API (e.g. an Odoo Online plan without it). */
  'odoo_external_api_unavailable',
  /** The chosen protocol does not exist on this server (JSON-2 before Odoo 19). */
  'odoo_protocol_unavailable',
  /** Any other exception raised inside Odoo (a Python error: its traceback is logged, never shown). */
  'odoo_server_error',
  /** The server or a proxy in front of it failed (HTTP 5xx, network): worth retrying. */
  'odoo_unavailable',
  /** The answer was not what the protocol defines (not Odoo, or a truncated body). */
  'odoo_bad_response',
] as const

export type OdooErrorCode = (typeof ODOO_ERROR_CODES)[number]

/**
 * An error from Odoo or on the way to it. The message names the model and method and gives Odoo's own
 * message (no traceback); `debug` keeps the traceback for logs only.
 */
export class OdooError extends Error {
  readonly code: OdooErrorCode
  readonly model?: string
  readonly method?: string
  /** Odoo's exception class, e.g. `odoo.exceptions.AccessError`. */
  readonly odooName?: string
  /** Odoo's message as Odoo wrote it. */
  readonly odooMessage: string
  /** The server-side traceback, for logs. Never shown to users. */
  readonly debug?: string
  /** HTTP 5xx and network failures: a retry may succeed. */
  readonly transient: boolean

  constructor(init: {
    code: OdooErrorCode
    odooMessage: string
    model?: string
    method?: string
    odooName?: string
    debug?: string
  }) {
    const where = init.model && init.method ? `${init.model}.${init.method}` : init.method
    super(where ? `Odoo ${where}: ${init.odooMessage}` : init.odooMessage)
    this.name = 'OdooError'
    this.code = init.code
    this.model = init.model
    this.method = init.method
    this.odooName = init.odooName
    this.odooMessage = init.odooMessage
    this.debug = init.debug
    this.transient = init.code === 'odoo_unavailable'
  }
}

/** The code for an Odoo exception class name. */
export function codeOfException(name: string | undefined, message: string): OdooErrorCode {
  if (/database "[^"]*" does not exist/.test(message)) return 'odoo_database_not_found'
  switch (name) {
    case 'odoo.exceptions.AccessDenied':
      return 'odoo_access_denied'
    case 'odoo.exceptions.AccessError':
      return 'odoo_access_error'
    case 'odoo.exceptions.MissingError':
      return 'odoo_missing_record'
    case 'odoo.exceptions.UserError':
    case 'odoo.exceptions.ValidationError':
    case 'odoo.exceptions.RedirectWarning':
    case 'odoo.exceptions.Warning':
      return 'odoo_user_error'
    default:
      return 'odoo_server_error'
  }
}

/**
 * The exception line of a Python traceback (`ValueError: Invalid field …`), with its message; the
 * message may span lines up to the end.
 */
export function lastException(traceback: string): { name?: string; message: string } {
  const lines = traceback.replace(/\s+$/, '').split('\n')
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^([A-Za-z_][\w.]*)(?:: (.*))?$/.exec(lines[i] ?? '')
    if (
      m &&
      !lines[i]?.startsWith(' ') &&
      (i === 0 || lines[i - 1]?.startsWith(' ') || /Error|Exception|Warning/.test(m[1] ?? ''))
    ) {
      const rest = [m[2] ?? '', ...lines.slice(i + 1)].join('\n').trim()
      const name = m[1] as string
      return { name: name.includes('.') ? name : `builtins.${name}`, message: rest || name }
    }
  }
  return { message: traceback.trim() }
}
