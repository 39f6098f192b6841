import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Deserializer, serializeFault, serializeMethodResponse, XmlRpcFault, type XmlRpcValue } from '@foxglove/xmlrpc'
import { accessDenied, accessError, OdooException, pythonError, traceback, userError } from './errors.ts'
import { Env, type Model, type OdooDatabase, odooDatetime, type User } from './orm.ts'
import { seedDatabase } from './seed.ts'

export interface FakeOdooOptions {
  /** Major version 16–19 (default 17). JSON-2 exists from 19. */
  version?: number
  database?: string
  moveLines?: number
  /** `false`: the plan has no external API (RPC endpoints answer 404, as on Odoo Online's Standard plan). */
  externalApi?: boolean
  port?: number
  host?: string
}

export interface FakeOdoo {
  url: string
  version: number
  db: OdooDatabase
  /** Requests seen per endpoint path prefix (`/xmlrpc/2/object`, `/json/2`…), for tests. */
  calls: Map<string, number>
  /** After `ok` more model calls succeed, the next `n` fail with an HTTP 502 (a proxy in front of a crashed worker). */
  failAfter(ok: number, n?: number): void
  stop(): Promise<void>
}

type Params = Record<string, unknown>
interface MethodSpec {
  /** `@api.model`: no ids. */
  model: boolean
  params: string[]
  run(m: Model, ids: number[], p: Params): unknown
}

const asList = (v: unknown): number[] => (Array.isArray(v) ? (v as number[]) : typeof v === 'number' ? [v] : [])
const optLimit = (v: unknown) => (typeof v === 'number' ? v : undefined)

const METHODS: Record<string, MethodSpec> = {
  search_read: {
    model: true,
    params: ['domain', 'fields', 'offset', 'limit', 'order'],
    run: (m, _ids, p) =>
      m.searchRead(p.domain, p.fields as string[] | undefined, {
        offset: (p.offset as number) ?? 0,
        limit: optLimit(p.limit),
        order: (p.order as string) || undefined,
      }),
  },
  search: {
    model: true,
    params: ['domain', 'offset', 'limit', 'order'],
    run: (m, _ids, p) =>
      m.search(p.domain, {
        offset: (p.offset as number) ?? 0,
        limit: optLimit(p.limit),
        order: (p.order as string) || undefined,
      }),
  },
  search_count: { model: true, params: ['domain', 'limit'], run: (m, _ids, p) => m.searchCount(p.domain) },
  fields_get: {
    model: true,
    params: ['allfields', 'attributes'],
    run: (m, _ids, p) => m.fieldsGet(p.allfields as string[] | undefined, p.attributes as string[] | undefined),
  },
  create: {
    model: true,
    params: ['vals_list'],
    run: (m, _ids, p) => {
      const single = p.vals_list !== null && typeof p.vals_list === 'object' && !Array.isArray(p.vals_list)
      const ids = m.create(single ? [p.vals_list as Params] : (p.vals_list as Params[]))
      return single ? { single: ids[0] } : ids
    },
  },
  name_search: {
    model: true,
    params: ['name', 'domain', 'operator', 'limit'],
    run: (m, _ids, p) => {
      const ids = m.search(
        ['&', ['display_name', (p.operator as string) ?? 'ilike', p.name ?? ''], ...(asDomain(p.domain) ?? [])],
        { limit: optLimit(p.limit) ?? 100 },
      )
      return m.read(ids, ['display_name']).map((r) => [r.id, r.display_name])
    },
  },
  check_access_rights: {
    model: true,
    params: ['operation', 'raise_exception'],
    run: (m, _ids, p) => {
      try {
        m.checkAccess(p.operation as 'read')
        return true
      } catch (err) {
        if (p.raise_exception === false) return false
        throw err
      }
    },
  },
  context_get: {
    model: true,
    params: [],
    run: (m) => ({ lang: 'en_US', tz: 'Europe/Brussels', uid: m.env.user.uid }),
  },
  read: { model: false, params: ['fields'], run: (m, ids, p) => m.read(ids, p.fields as string[] | undefined) },
  write: { model: false, params: ['vals'], run: (m, ids, p) => m.write(ids, p.vals as Params) },
  unlink: { model: false, params: [], run: (m, ids) => m.unlink(ids) },
  // hr.expense (19) and hr.expense.sheet (≤ 18) workflow buttons.
  action_submit: { model: false, params: [], run: (m, ids) => transition(m, ids, 'hr.expense', 'draft', 'submitted') },
  action_approve: {
    model: false,
    params: [],
    run: (m, ids) => transition(m, ids, 'hr.expense', 'submitted', 'approved'),
  },
  action_submit_sheet: {
    model: false,
    params: [],
    run: (m, ids) => transition(m, ids, 'hr.expense.sheet', 'draft', 'submit'),
  },
  action_approve_expense_sheets: {
    model: false,
    params: [],
    run: (m, ids) => transition(m, ids, 'hr.expense.sheet', 'submit', 'approve'),
  },
}

function transition(m: Model, ids: number[], model: string, from: string, to: string): true {
  if (m.def.name !== model) throw pythonError('builtins.AttributeError', `The method '${m.def.name}' does not exist`)
  for (const r of m.read(ids, ['state']))
    if (r.state !== from) throw userError(`Only records in state ${from} can be moved to ${to}.`)
  return m.write(ids, { state: to })
}

const asDomain = (v: unknown) => (Array.isArray(v) ? (v as unknown[]) : undefined)

/** Binds positional and keyword arguments to a method's parameters the way Python does. */
function bind(model: string, method: string, spec: MethodSpec, args: unknown[], kwargs: Params): Params {
  const p: Params = {}
  if (args.length > spec.params.length)
    throw pythonError(
      'builtins.TypeError',
      `${model}.${method}() takes ${spec.params.length + 1} positional arguments but ${args.length + 1} were given`,
      422,
    )
  spec.params.forEach((name, i) => {
    if (i < args.length) p[name] = args[i]
  })
  for (const [k, v] of Object.entries(kwargs)) {
    if (!spec.params.includes(k))
      throw pythonError('builtins.TypeError', `${method}() got an unexpected keyword argument '${k}'`, 422)
    if (k in p) throw pythonError('builtins.TypeError', `${method}() got multiple values for argument '${k}'`, 422)
    p[k] = v
  }
  if (spec.params[0] === 'vals_list' && !('vals_list' in p))
    throw pythonError('builtins.TypeError', `${method}() missing 1 required positional argument: 'vals_list'`, 422)
  return p
}

/**
 * Starts a protocol-faithful Odoo server on a free loopback port (see docs/odoo.md for what it covers):
 * `/web/version`, XML-RPC `/xmlrpc/2/common` and `/xmlrpc/2/object`, JSON-RPC `/jsonrpc`, and on 19 the
 * JSON-2 API `POST /json/2/<model>/<method>` with bearer API keys.
 *
 * @example
 * const odoo = await startFakeOdoo({ version: 19 })
 * // … odoo.url is http://127.0.0.1:<port>
 * await odoo.stop()
 */
export async function startFakeOdoo(options: FakeOdooOptions = {}): Promise<FakeOdoo> {
  const version = options.version ?? 17
  if (version < 16 || version > 19) throw new Error(`the fake speaks Odoo 16–19, not ${version}`)
  const db = seedDatabase({ version, moveLines: options.moveLines, database: options.database })
  const calls = new Map<string, number>()
  let failures = 0
  let okBeforeFailure = 0
  const versionInfo = {
    server_version: `${version}.0`,
    server_version_info: [version, 0, 0, 'final', 0, ''],
    server_serie: `${version}.0`,
    protocol_version: 1,
  }

  const authenticate = (database: unknown, login: unknown, secret: unknown): User | undefined => {
    if (database !== db.name) throw unknownDatabase(String(database))
    for (const user of db.users.values()) {
      if (user.login !== login) continue
      if (secret === user.password || validKey(user, secret, db)) return user
    }
    return undefined
  }
  const userFor = (database: unknown, uid: unknown, secret: unknown): User => {
    if (database !== db.name) throw unknownDatabase(String(database))
    const user = db.users.get(Number(uid))
    if (!user || (secret !== user.password && !validKey(user, secret, db))) throw accessDenied()
    return user
  }
  const execute = (
    user: User,
    model: string,
    method: string,
    ids: number[] | undefined,
    args: unknown[],
    kwargs: Params,
  ) => {
    const context = (kwargs.context as Params | undefined) ?? {}
    const { context: _c, ...rest } = kwargs
    if (method.startsWith('_'))
      throw accessError(`Private methods (such as '${model}.${method}') cannot be called remotely.`)
    const env = new Env(db, user, context)
    const m = env.model(model)
    const spec = METHODS[method]
    if (!spec) throw pythonError('builtins.AttributeError', `The method '${model}.${method}' does not exist`, 404)
    let recordIds: number[] = ids ?? []
    let positional = args
    if (!spec.model && ids === undefined) {
      recordIds = asList(args[0])
      positional = args.slice(1)
    }
    if (spec.model && ids && ids.length > 0)
      throw pythonError('werkzeug.exceptions.UnprocessableEntity', `cannot call ${model}.${method} with ids`, 422)
    return spec.run(m, recordIds, bind(model, method, spec, positional, rest))
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    const path = url.pathname
    const bucket = path.startsWith('/json/2/') ? '/json/2' : path
    calls.set(bucket, (calls.get(bucket) ?? 0) + 1)
    const body = await readBody(req)
    const rpc = path.startsWith('/xmlrpc') || path === '/jsonrpc' || path.startsWith('/json/2/')
    if (rpc && options.externalApi === false) return notFound(res)
    if (rpc && path !== '/xmlrpc/2/common' && failures > 0 && okBeforeFailure-- <= 0) {
      failures--
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>')
      return
    }
    try {
      if (path === '/web/version') {
        if (req.method === 'GET') return json(res, 200, versionInfo)
        const call = JSON.parse(body || '{}') as { id?: unknown }
        return json(res, 200, { jsonrpc: '2.0', id: call.id ?? null, result: versionInfo })
      }
      if (path === '/xmlrpc/2/common' || path === '/xmlrpc/2/object') {
        if (req.method !== 'POST') return notFound(res)
        let method: string
        let args: XmlRpcValue[]
        try {
          ;[method, args] = await new Deserializer().deserializeMethodCall(body)
        } catch (err) {
          return xml(res, serializeFault(new XmlRpcFault(`ExpatError: ${(err as Error).message}`, 1)))
        }
        try {
          const result = path === '/xmlrpc/2/common' ? common(method, args) : object(method, args)
          return xml(res, serializeMethodResponse(toXml(result)))
        } catch (err) {
          const e = asOdoo(err)
          // /xmlrpc/2: integer fault codes; non-Odoo exceptions carry their traceback (rpc.py).
          const text = e.faultCode === 1 ? traceback(e) : e.message
          return xml(res, serializeFault(new XmlRpcFault(text, e.faultCode)))
        }
      }
      if (path === '/jsonrpc') {
        let call: { id?: unknown; params?: { service?: string; method?: string; args?: unknown[] } }
        try {
          call = JSON.parse(body)
        } catch {
          return json(res, 400, {
            jsonrpc: '2.0',
            id: null,
            error: { code: 400, message: 'Invalid JSON data', data: {} },
          })
        }
        const id = call.id ?? null
        try {
          const { service, method = '', args = [] } = call.params ?? {}
          let result: unknown
          if (service === 'common') result = common(method, args)
          else if (service === 'object') result = object(method, args)
          else if (service === 'db' && method === 'list') result = [db.name]
          else throw pythonError('builtins.NameError', `No service named '${service}'`)
          return json(res, 200, { jsonrpc: '2.0', id, result: unwrap(result) })
        } catch (err) {
          const e = asOdoo(err)
          return json(res, 200, {
            jsonrpc: '2.0',
            id,
            error: {
              code: 200,
              message: 'Odoo Server Error',
              data: {
                name: e.pythonName,
                debug: e.pythonName === 'odoo.exceptions.AccessDenied' ? '' : traceback(e),
                message: e.message,
                arguments: [e.message],
                context: {},
              },
            },
          })
        }
      }
      const json2 = /^\/json\/2\/([^/]+)\/([^/]+)$/.exec(path)
      if (json2 && version >= 19) {
        const [, model = '', method = ''] = json2
        if (req.method !== 'POST') return json(res, 405, 'The method is not allowed for the requested URL.')
        const auth = req.headers.authorization ?? ''
        const m = /^bearer\s+(.+)$/i.exec(auth)
        const header = req.headers['x-odoo-database']
        if (header !== undefined && header !== db.name) return notFound(res)
        const user = m ? [...db.users.values()].find((u) => validKey(u, m[1]?.trim(), db)) : undefined
        if (!user) return json(res, 401, 'Invalid apikey', { 'www-authenticate': 'Bearer' })
        let params: Params
        try {
          params = body ? (JSON.parse(body) as Params) : {}
        } catch (err) {
          return json(res, 400, `could not parse the body as json: ${(err as Error).message}`)
        }
        if (typeof params !== 'object' || params === null || Array.isArray(params))
          return json(res, 400, 'could not parse the body, expecting a json object')
        const { ids, args, kwargs, context, ...named } = params
        if (!db.models.has(model)) return json(res, 404, `the model '${model}' does not exist`)
        try {
          const result = execute(user, model, method, asList(ids), (args as unknown[]) ?? [], {
            ...((kwargs as Params) ?? {}),
            ...named,
            ...(context ? { context } : {}),
          })
          const r = unwrap(result)
          return json(res, 200, method === 'create' && typeof r === 'number' ? [r] : r)
        } catch (err) {
          const e = asOdoo(err)
          if (e.httpCode >= 500) return json(res, 500, 'internal server error')
          return json(res, e.httpCode, e.message)
        }
      }
      return notFound(res)
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err))
    }
  })

  function common(method: string, args: unknown[]): unknown {
    if (method === 'version') return versionInfo
    if (method === 'about') return 'See http://openerp.com'
    if (method === 'authenticate' || method === 'login') {
      const [database, login, secret] = args
      return authenticate(database, login, secret)?.uid ?? false
    }
    throw pythonError('builtins.NameError', `Method not available ${method}`)
  }

  function object(method: string, args: unknown[]): unknown {
    if (method !== 'execute_kw' && method !== 'execute')
      throw pythonError('builtins.NameError', `Method not available ${method}`)
    const [database, uid, secret, model, name, ...rest] = args as [
      unknown,
      unknown,
      unknown,
      string,
      string,
      ...unknown[],
    ]
    const user = userFor(database, uid, secret)
    if (method === 'execute') return execute(user, model, name, undefined, rest, {})
    const [positional = [], kwargs = {}] = rest as [unknown[]?, Params?]
    return execute(user, model, name, undefined, positional, kwargs)
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    version,
    db,
    calls,
    failAfter: (ok, n = 1) => {
      okBeforeFailure = ok
      failures = n
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function validKey(user: User, secret: unknown, db: OdooDatabase): boolean {
  const now = odooDatetime(db.now())
  return user.apiKeys.some((k) => k.key === secret && (!k.expiresAt || k.expiresAt > now))
}

/** What Odoo answers for a database name that does not exist: psycopg2's error, as an application fault. */
function unknownDatabase(name: string): OdooException {
  return pythonError(
    'psycopg2.OperationalError',
    `connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "${name}" does not exist\n`,
  )
}

function asOdoo(err: unknown): OdooException {
  if (err instanceof OdooException) return err
  return pythonError('builtins.Exception', err instanceof Error ? err.message : String(err))
}

/** `create` with one dict answers one id; everything else as is. */
function unwrap(result: unknown): unknown {
  if (result && typeof result === 'object' && 'single' in result) return (result as { single: unknown }).single
  return result
}

/** Python `None` has no place in Odoo's answers (it sends False); XML-RPC takes the rest as is. */
function toXml(result: unknown): XmlRpcValue {
  return unwrap(result) as XmlRpcValue
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function json(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(value))
}

function xml(res: http.ServerResponse, text: string) {
  res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(text)
}

/** werkzeug's NotFound page, as Odoo answers an unknown route. */
function notFound(res: http.ServerResponse) {
  res
    .writeHead(404, { 'content-type': 'text/html; charset=utf-8' })
    .end(
      '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n',
    )
}
