import { type Domain, validateDomain } from './domain.ts'
import { OdooError } from './errors.ts'
import {
  type CallArgs,
  Json2Transport,
  JsonRpcTransport,
  MODEL_METHODS,
  type OdooProtocol,
  type Transport,
  type TransportOptions,
  XmlRpcTransport,
} from './transports.ts'

export type { CallArgs, OdooProtocol }

export interface OdooClientOptions {
  /** Base URL, e.g. `https://acme.odoo.com`. */
  url: string
  database: string
  login: string
  /** Password or API key (JSON-2 needs an API key). */
  secret: string
  /** `auto` (default) picks JSON-2 on Odoo 19+, JSON-RPC before. */
  protocol?: OdooProtocol | 'auto'
  /** The guarded fetch of the outbound policy: every request goes through it. */
  fetch: typeof fetch
  /** Companies to work in (`allowed_company_ids`); default every company of the user. */
  companyIds?: number[]
}

export interface OdooServerVersion {
  /** e.g. `17.0`, `saas~18.2` */
  serverVersion: string
  major: number
}

export interface OdooIdentity {
  uid: number
  name: string
  login: string
  companies: { id: number; name: string }[]
  /** The user's current company. */
  companyId: number
}

export interface SearchReadOptions {
  domain?: Domain
  fields?: string[]
  offset?: number
  limit?: number
  order?: string
  context?: Record<string, unknown>
}

/** What `fields_get` says about a field (the attributes the workbench asks for). */
export interface OdooField {
  type: string
  string: string
  help?: string
  required?: boolean
  readonly?: boolean
  store?: boolean
  relation?: string
  selection?: [string, string][] | false
  currency_field?: string
}

/** Reads the version Odoo advertises: `GET /web/version` (16+), else JSON-RPC `common.version`. */
export async function odooVersion(options: Pick<OdooClientOptions, 'url' | 'fetch'>): Promise<OdooServerVersion> {
  let info: { server_version?: string; server_version_info?: unknown[] } | undefined
  try {
    const res = await options.fetch(new URL('/web/version', options.url), { method: 'GET' })
    if (res.ok) info = (await res.json()) as typeof info
  } catch (err) {
    if ((err as { code?: string }).code === 'destination_not_allowed') throw err
    if (!(err instanceof SyntaxError))
      throw new OdooError({
        code: 'odoo_unavailable',
        odooMessage: `${new URL(options.url).host} did not answer (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message})`,
      })
  }
  if (!info?.server_version) {
    const t = new JsonRpcTransport({ url: options.url, database: '', fetch: options.fetch })
    info = (await t.rpc('common', 'version', [], { method: 'version' }).catch(() => undefined)) as typeof info
  }
  if (!info?.server_version)
    throw new OdooError({
      code: 'odoo_bad_response',
      odooMessage: `${new URL(options.url).host} did not answer as an Odoo server`,
    })
  const first = info.server_version_info?.[0]
  const major = typeof first === 'number' ? first : Number.parseInt(/(\d+)\./.exec(info.server_version)?.[1] ?? '0', 10)
  return { serverVersion: info.server_version, major }
}

/**
 * A session with one Odoo database over one of its external APIs. Connect with {@link OdooClient.connect}
 * (detects the version and protocol, authenticates); every method maps Odoo's faults to an
 * {@link OdooError} naming the model, method and Odoo's message.
 *
 * @example
 * const odoo = await OdooClient.connect({ url, database: 'prod', login: 'me@acme.com', secret: apiKey, fetch })
 * const partners = await odoo.searchRead('res.partner', { domain: [['is_company', '=', true]], fields: ['name'] })
 */
export class OdooClient {
  private constructor(
    private readonly transport: Transport,
    private readonly options: OdooClientOptions,
    readonly version: OdooServerVersion,
    readonly identity: OdooIdentity,
    private readonly companyIds: number[],
  ) {}

  get protocol(): OdooProtocol {
    return this.transport.protocol
  }

  static async connect(options: OdooClientOptions): Promise<OdooClient> {
    const version = await odooVersion(options)
    const wanted = options.protocol ?? 'auto'
    const protocol: OdooProtocol = wanted === 'auto' ? (version.major >= 19 ? 'json2' : 'jsonrpc') : wanted
    if (protocol === 'json2' && version.major < 19)
      throw new OdooError({
        code: 'odoo_protocol_unavailable',
        odooMessage: `JSON-2 needs Odoo 19 or later; this server runs Odoo ${version.serverVersion} (choose XML-RPC or JSON-RPC)`,
      })
    const t: TransportOptions = { url: options.url, database: options.database, fetch: options.fetch }
    const transport =
      protocol === 'json2'
        ? new Json2Transport(t)
        : protocol === 'xmlrpc'
          ? new XmlRpcTransport(t)
          : new JsonRpcTransport(t)
    let uid: number | undefined
    try {
      uid = await transport.authenticate(options.login, options.secret)
    } catch (err) {
      if (!(err instanceof OdooError && err.code === 'odoo_authentication_failed')) throw onConnect(err, version)
    }
    if (uid === undefined)
      throw new OdooError({
        code: 'odoo_authentication_failed',
        method: 'authenticate',
        odooMessage: `Odoo refused the login ${options.login} on database ${options.database}: wrong login, password or API key (an expired or revoked API key is refused the same way)`,
      })
    const raw = async (model: string, method: string, a: CallArgs) =>
      transport.call(uid, options.secret, model, method, a, !MODEL_METHODS.has(method)).catch((err: unknown) => {
        throw onConnect(err, version)
      })
    const [user] = (await raw('res.users', 'read', {
      ids: [uid],
      kwargs: { fields: ['name', 'login', 'company_id', 'company_ids'] },
    })) as {
      name: string
      login: string
      company_id: [number, string] | false
      company_ids: number[]
    }[]
    if (!user)
      throw new OdooError({
        code: 'odoo_bad_response',
        model: 'res.users',
        method: 'read',
        odooMessage: 'no user record',
      })
    const companyIds = options.companyIds?.length ? options.companyIds : user.company_ids
    const companies = (await raw('res.company', 'read', {
      ids: user.company_ids,
      kwargs: { fields: ['name'] },
      context: { allowed_company_ids: user.company_ids },
    })) as { id: number; name: string }[]
    const identity: OdooIdentity = {
      uid,
      name: user.name,
      login: user.login,
      companies: companies.map((c) => ({ id: c.id, name: c.name })),
      companyId: user.company_id ? user.company_id[0] : (companyIds[0] ?? 0),
    }
    return new OdooClient(transport, options, version, identity, companyIds)
  }

  /** The context every call carries: the companies to work in. */
  get context(): Record<string, unknown> {
    return { allowed_company_ids: this.companyIds }
  }

  /** Calls any public model method. */
  async call<T = unknown>(model: string, method: string, a: CallArgs = {}): Promise<T> {
    const context = { ...this.context, ...(a.context ?? {}) }
    return (await this.transport.call(
      this.identity.uid,
      this.options.secret,
      model,
      method,
      { ...a, context },
      !MODEL_METHODS.has(method),
    )) as T
  }

  async searchRead<T = Record<string, unknown>>(model: string, o: SearchReadOptions = {}): Promise<T[]> {
    const kwargs: Record<string, unknown> = { domain: validateDomain(o.domain ?? []) }
    if (o.fields) kwargs.fields = o.fields
    if (o.offset) kwargs.offset = o.offset
    if (o.limit !== undefined) kwargs.limit = o.limit
    if (o.order) kwargs.order = o.order
    return this.call<T[]>(model, 'search_read', { kwargs, context: o.context })
  }

  async search(model: string, o: Omit<SearchReadOptions, 'fields'> = {}): Promise<number[]> {
    const kwargs: Record<string, unknown> = { domain: validateDomain(o.domain ?? []) }
    if (o.offset) kwargs.offset = o.offset
    if (o.limit !== undefined) kwargs.limit = o.limit
    if (o.order) kwargs.order = o.order
    return this.call<number[]>(model, 'search', { kwargs, context: o.context })
  }

  async searchCount(model: string, domain: Domain = [], context?: Record<string, unknown>): Promise<number> {
    return this.call<number>(model, 'search_count', { kwargs: { domain: validateDomain(domain) }, context })
  }

  async read<T = Record<string, unknown>>(model: string, ids: number[], fields?: string[]): Promise<T[]> {
    return this.call<T[]>(model, 'read', { ids, kwargs: fields ? { fields } : {} })
  }

  async fieldsGet(model: string): Promise<Record<string, OdooField>> {
    return this.call(model, 'fields_get', {
      kwargs: {
        attributes: [
          'type',
          'string',
          'help',
          'required',
          'readonly',
          'store',
          'relation',
          'selection',
          'currency_field',
        ],
      },
    })
  }

  /** Creates records; answers their ids in order. */
  async create(model: string, values: Record<string, unknown>[]): Promise<number[]> {
    const result = await this.call<number | number[]>(model, 'create', { args: [values] })
    return Array.isArray(result) ? result : [result]
  }

  async write(model: string, ids: number[], values: Record<string, unknown>): Promise<void> {
    await this.call(model, 'write', { ids, args: [values] })
  }

  async unlink(model: string, ids: number[]): Promise<void> {
    await this.call(model, 'unlink', { ids })
  }
}

/** While connecting, a 404 from JSON-2 on a 19 server means the plan has no external API. */
function onConnect(err: unknown, version: OdooServerVersion): unknown {
  if (err instanceof OdooError && err.code === 'odoo_protocol_unavailable' && version.major >= 19)
    return new OdooError({
      code: 'odoo_external_api_unavailable',
      model: err.model,
      method: err.method,
      odooMessage: 'this Odoo has no external API (Odoo Online offers it on Custom plans only)',
    })
  return err
}
