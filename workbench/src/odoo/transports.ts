import { Deserializer, serializeMethodCall, XmlRpcFault, type XmlRpcValue } from '@foxglove/xmlrpc'
import { codeOfException, lastException, OdooError } from './errors.ts'

/** The three external APIs Odoo speaks. */
export type OdooProtocol = 'json2' | 'xmlrpc' | 'jsonrpc'

export interface CallArgs {
  /** Record ids for record methods (read, write, unlink, actions); empty for `@api.model` methods. */
  ids?: number[]
  /** Positional arguments after the ids. */
  args?: unknown[]
  /** Keyword arguments (named parameters). */
  kwargs?: Record<string, unknown>
  context?: Record<string, unknown>
}

export interface TransportOptions {
  url: string
  database: string
  fetch: typeof fetch
}

/** One protocol: authenticate, and call a model method. */
export interface Transport {
  readonly protocol: OdooProtocol
  /** The uid for login + secret, or undefined when Odoo refuses them. */
  authenticate(login: string, secret: string): Promise<number | undefined>
  /** Methods that take no ids get none; record methods get `ids` first, as Odoo's `execute_kw` expects. */
  call(uid: number, secret: string, model: string, method: string, a: CallArgs, recordMethod: boolean): Promise<unknown>
}

/** Methods decorated `@api.model` among those the workbench calls: they take no ids. */
export const MODEL_METHODS = new Set([
  'search_read',
  'search',
  'search_count',
  'fields_get',
  'create',
  'name_search',
  'check_access_rights',
  'context_get',
  'default_get',
])

async function post(
  o: TransportOptions,
  path: string,
  body: string,
  headers: Record<string, string>,
  where: { model?: string; method?: string },
): Promise<Response> {
  let res: Response
  try {
    res = await o.fetch(new URL(path, o.url), { method: 'POST', body, headers })
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code
    if ((err as { code?: string }).code === 'destination_not_allowed') throw err
    throw new OdooError({
      code: 'odoo_unavailable',
      odooMessage: `${new URL(o.url).host} did not answer (${cause ?? (err as Error).message})`,
      ...where,
    })
  }
  if (res.status === 404 && path !== '/web/version' && !path.startsWith('/json/2/'))
    throw new OdooError({
      code: 'odoo_external_api_unavailable',
      odooMessage: `${new URL(o.url).host} has no external API at ${path} (Odoo Online offers it on Custom plans only)`,
      ...where,
    })
  if (res.status >= 500 && !path.startsWith('/json/2/'))
    throw new OdooError({ code: 'odoo_unavailable', odooMessage: `the server answered HTTP ${res.status}`, ...where })
  return res
}

/** XML-RPC: `/xmlrpc/2/common` `authenticate` and `/xmlrpc/2/object` `execute_kw`, integer fault codes. */
export class XmlRpcTransport implements Transport {
  readonly protocol = 'xmlrpc' as const
  constructor(private readonly o: TransportOptions) {}

  private async rpc(path: string, method: string, params: unknown[], where: { model?: string; method?: string }) {
    const res = await post(
      this.o,
      path,
      serializeMethodCall(method, params as XmlRpcValue[]),
      { 'content-type': 'text/xml' },
      where,
    )
    const text = await res.text()
    try {
      return await new Deserializer().deserializeMethodResponse(text)
    } catch (err) {
      if (err instanceof XmlRpcFault) throw faultError(err, where)
      throw new OdooError({
        code: 'odoo_bad_response',
        odooMessage: `not an XML-RPC answer (${(err as Error).message})`,
        ...where,
      })
    }
  }

  async authenticate(login: string, secret: string) {
    const uid = await this.rpc('/xmlrpc/2/common', 'authenticate', [this.o.database, login, secret, {}], {
      method: 'authenticate',
    })
    return typeof uid === 'number' && uid > 0 ? uid : undefined
  }

  call(uid: number, secret: string, model: string, method: string, a: CallArgs, recordMethod: boolean) {
    const positional = recordMethod ? [a.ids ?? [], ...(a.args ?? [])] : (a.args ?? [])
    const kwargs = { ...(a.kwargs ?? {}), ...(a.context ? { context: a.context } : {}) }
    return this.rpc(
      '/xmlrpc/2/object',
      'execute_kw',
      [this.o.database, uid, secret, model, method, positional, kwargs],
      {
        model,
        method,
      },
    )
  }
}

/** The fault of an `/xmlrpc/2` call: 1 application error (a traceback), 2 UserError, 3 AccessDenied, 4 AccessError. */
function faultError(fault: XmlRpcFault, where: { model?: string; method?: string }): OdooError {
  const text = fault.faultString ?? ''
  if (fault.faultCode === 3)
    return new OdooError({
      code: 'odoo_access_denied',
      odooMessage: text || 'Access Denied',
      odooName: 'odoo.exceptions.AccessDenied',
      ...where,
    })
  if (fault.faultCode === 4)
    return new OdooError({
      code: 'odoo_access_error',
      odooMessage: text,
      odooName: 'odoo.exceptions.AccessError',
      ...where,
    })
  if (fault.faultCode === 2) {
    const code = /^Record does not exist or has been deleted/.test(text) ? 'odoo_missing_record' : 'odoo_user_error'
    return new OdooError({ code, odooMessage: text, odooName: 'odoo.exceptions.UserError', ...where })
  }
  const { name, message } = lastException(text)
  return new OdooError({
    code: notFoundOr(codeOfException(name, message), name, message),
    odooMessage: message,
    odooName: name,
    debug: text,
    ...where,
  })
}

/** An unknown model (KeyError) or method (AttributeError) is "not found", not a server failure. */
function notFoundOr(code: ReturnType<typeof codeOfException>, name: string | undefined, message: string) {
  if (code !== 'odoo_server_error') return code
  if (name === 'builtins.KeyError' && /^'[\w.]+'$/.test(message)) return 'odoo_not_found'
  if (name === 'builtins.AttributeError' && /does not exist|has no attribute/.test(message)) return 'odoo_not_found'
  return code
}

/** JSON-RPC: `POST /jsonrpc` with `service` common/object; errors as `{code: 200, data: {name, message, debug}}`. */
export class JsonRpcTransport implements Transport {
  readonly protocol = 'jsonrpc' as const
  private seq = 0
  constructor(private readonly o: TransportOptions) {}

  /** One JSON-RPC call of `service.method(*args)`. */
  async rpc(service: string, method: string, args: unknown[], where: { model?: string; method?: string }) {
    const id = ++this.seq
    const res = await post(
      this.o,
      '/jsonrpc',
      JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id }),
      { 'content-type': 'application/json' },
      where,
    )
    let body: {
      result?: unknown
      error?: { code?: number; message?: string; data?: { name?: string; message?: string; debug?: string } }
    }
    try {
      body = (await res.json()) as typeof body
    } catch {
      throw new OdooError({
        code: 'odoo_bad_response',
        odooMessage: `not a JSON-RPC answer (HTTP ${res.status})`,
        ...where,
      })
    }
    if (body.error) {
      const data = body.error.data ?? {}
      const message = data.message ?? body.error.message ?? 'Odoo Server Error'
      return Promise.reject(
        new OdooError({
          code: notFoundOr(codeOfException(data.name, message), data.name, message),
          odooMessage: message,
          odooName: data.name,
          debug: data.debug,
          ...where,
        }),
      )
    }
    return body.result
  }

  async authenticate(login: string, secret: string) {
    const uid = await this.rpc('common', 'authenticate', [this.o.database, login, secret, {}], {
      method: 'authenticate',
    })
    return typeof uid === 'number' && uid > 0 ? uid : undefined
  }

  call(uid: number, secret: string, model: string, method: string, a: CallArgs, recordMethod: boolean) {
    const positional = recordMethod ? [a.ids ?? [], ...(a.args ?? [])] : (a.args ?? [])
    const kwargs = { ...(a.kwargs ?? {}), ...(a.context ? { context: a.context } : {}) }
    return this.rpc('object', 'execute_kw', [this.o.database, uid, secret, model, method, positional, kwargs], {
      model,
      method,
    })
  }
}

/**
 * JSON-2 (Odoo 19+): `POST /json/2/<model>/<method>` with `Authorization: bearer <api key>`, named
 * arguments in the body, errors as HTTP statuses with Odoo's message as a JSON string.
 */
export class Json2Transport implements Transport {
  readonly protocol = 'json2' as const
  constructor(private readonly o: TransportOptions) {}

  async authenticate(_login: string, secret: string) {
    // The key names its user: ask Odoo whose it is.
    const ctx = (await this.call(0, secret, 'res.users', 'context_get', {}, false)) as { uid?: number }
    return typeof ctx?.uid === 'number' ? ctx.uid : undefined
  }

  async call(_uid: number, secret: string, model: string, method: string, a: CallArgs, _recordMethod: boolean) {
    const where = { model, method }
    const body: Record<string, unknown> = { ...(a.kwargs ?? {}) }
    if (a.ids && a.ids.length > 0) body.ids = a.ids
    if (a.args && a.args.length > 0) body.args = a.args
    if (a.context) body.context = a.context
    const res = await post(
      this.o,
      `/json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`,
      JSON.stringify(body),
      {
        'content-type': 'application/json; charset=utf-8',
        authorization: `bearer ${secret}`,
        'x-odoo-database': this.o.database,
        'user-agent': 'workbench',
      },
      where,
    )
    const text = await res.text()
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      if (res.status === 404)
        throw new OdooError({
          code: 'odoo_protocol_unavailable',
          odooMessage: 'this server has no JSON-2 API (Odoo 19 or later)',
          ...where,
        })
      throw new OdooError({
        code: res.ok ? 'odoo_bad_response' : 'odoo_unavailable',
        odooMessage: `HTTP ${res.status}: not a JSON answer`,
        ...where,
      })
    }
    if (res.ok) return value
    const message = typeof value === 'string' ? value : JSON.stringify(value)
    const code =
      res.status === 401
        ? 'odoo_authentication_failed'
        : res.status === 403
          ? 'odoo_access_error'
          : res.status === 404
            ? /Record does not exist/.test(message)
              ? 'odoo_missing_record'
              : 'odoo_not_found'
            : res.status === 422 || res.status === 400
              ? 'odoo_user_error'
              : res.status >= 502
                ? 'odoo_unavailable'
                : 'odoo_server_error'
    throw new OdooError({ code, odooMessage: message, ...where })
  }
}
