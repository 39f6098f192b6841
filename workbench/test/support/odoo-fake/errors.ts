/**
 * Odoo's exception classes as the fake raises them. Each protocol renders them the way Odoo's own
 * dispatchers do: XML-RPC `/xmlrpc/2` with the integer fault codes of `odoo/addons/base/controllers/rpc.py`
 * (1 application error with the traceback, 2 warning/UserError, 3 AccessDenied, 4 AccessError), JSON-RPC
 * with `{code: 200, message: 'Odoo Server Error', data: {name, message, arguments, debug}}`, JSON-2 with
 * the exception's `http_code` and the message as a JSON string body.
 */
export class OdooException extends Error {
  /** Dotted Python name, e.g. `odoo.exceptions.AccessError`. */
  readonly pythonName: string
  readonly httpCode: number
  readonly faultCode: number
  constructor(pythonName: string, message: string, faultCode: number, httpCode: number) {
    super(message)
    this.pythonName = pythonName
    this.faultCode = faultCode
    this.httpCode = httpCode
  }
}

export const userError = (message: string) => new OdooException('odoo.exceptions.UserError', message, 2, 422)
export const validationError = (message: string) =>
  new OdooException('odoo.exceptions.ValidationError', message, 2, 422)
export const accessError = (message: string) => new OdooException('odoo.exceptions.AccessError', message, 4, 403)
export const missingError = (message: string) => new OdooException('odoo.exceptions.MissingError', message, 2, 404)
export const accessDenied = () => new OdooException('odoo.exceptions.AccessDenied', 'Access Denied', 3, 403)
/** A Python exception that is not an Odoo one (KeyError, ValueError, TypeError…): fault 1 with a traceback. */
export const pythonError = (name: string, message: string, httpCode = 500) =>
  new OdooException(name, message, 1, httpCode)

/** What Odoo puts in fault strings and `debug` for non-Odoo exceptions: a Python traceback. */
export function traceback(e: OdooException): string {
  const shortName = e.pythonName.startsWith('builtins.') ? e.pythonName.slice(9) : e.pythonName
  return [
    'Traceback (most recent call last):',
    '  File "/usr/lib/python3/dist-packages/odoo/service/model.py", line 62, in dispatch',
    '    res = execute_kw(db, uid, *params[3:])',
    '  File "/usr/lib/python3/dist-packages/odoo/service/model.py", line 171, in execute_kw',
    '    return execute(db, uid, obj, method, *args, **kw or {})',
    `${shortName}: ${e.message}`,
    '',
  ].join('\n')
}
