import { z } from 'zod'
import { OdooClient } from '../../odoo/client.ts'
import { columnsOf } from '../../odoo/columns.ts'
import { OdooError } from '../../odoo/errors.ts'
import type { IntrospectionItem } from '../introspection.ts'
import { ConnectionProblem } from '../problems.ts'
import type { ConnectionHandle, ConnectionType, OpenContext, TestDetails } from './connection-type.ts'

/** Models catalogued when the user picks none: accounting, partners, products, sales, purchase, HR expenses. */
export const DEFAULT_ODOO_MODELS = [
  'res.partner',
  'res.company',
  'res.currency',
  'product.product',
  'product.template',
  'product.category',
  'account.account',
  'account.journal',
  'account.move',
  'account.move.line',
  'account.tax',
  'account.payment',
  'sale.order',
  'sale.order.line',
  'purchase.order',
  'purchase.order.line',
  'hr.employee',
  'hr.expense',
  'hr.expense.sheet',
] as const

const MODEL = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/

const params = z.object({
  url: z
    .string()
    .trim()
    .max(2048)
    .refine(
      (u) => /^https?:\/\/[^/]+/i.test(u) && URL.canParse(u),
      'must be an http(s) URL such as https://acme.odoo.com',
    )
    .describe('Odoo URL, e.g. https://acme.odoo.com'),
  database: z.string().trim().min(1).max(128).describe('Database'),
  login: z.string().trim().min(1).max(256).describe('Login (user email)'),
  apiKey: z.string().min(1).max(1024).optional().describe('API key (Preferences → Account Security) or password'),
  protocol: z
    .enum(['auto', 'json2', 'xmlrpc', 'jsonrpc'])
    .default('auto')
    .describe('External API: auto (JSON-2 on Odoo 19+, else JSON-RPC), JSON-2, XML-RPC or JSON-RPC'),
  models: z
    .array(z.string().regex(MODEL, 'must be a model name such as account.move.line'))
    .max(500)
    .optional()
    .describe('Models to catalogue (default: accounting, partner, product, sales, purchase and HR expense models)'),
  companyIds: z
    .array(z.number().int().positive())
    .max(100)
    .optional()
    .describe('Companies to read (default: all of the user)'),
})

export type OdooParams = z.output<typeof params>

/** Odoo over its external API (JSON-2, XML-RPC or JSON-RPC), every request through the outbound policy. */
export const odooType: ConnectionType<OdooParams> = {
  id: 'odoo',
  label: 'Odoo',
  params,
  secretFields: ['apiKey'],
  // The URL's host is checked on every request by the guarded fetch, not resolved once here.
  hostFields: [],
  targetFields: ['url', 'login', 'database'],
  open: (p, _hosts, _pool, context) => new OdooHandle(p, context),
}

/** The live handle of an `odoo` connection: one authenticated client, opened on first use. */
export class OdooHandle implements ConnectionHandle {
  private session: Promise<OdooClient> | undefined

  constructor(
    readonly params: OdooParams,
    private readonly context: OpenContext,
  ) {}

  private connect(): Promise<OdooClient> {
    return OdooClient.connect({
      url: this.params.url,
      database: this.params.database,
      login: this.params.login,
      secret: this.params.apiKey ?? '',
      protocol: this.params.protocol,
      companyIds: this.params.companyIds,
      fetch: this.context.fetch,
    })
  }

  /** The authenticated client (shared; a failed connect is retried on the next call). */
  client(): Promise<OdooClient> {
    if (!this.session) {
      const session = this.connect()
      this.session = session
      session.catch(() => {
        if (this.session === session) this.session = undefined
      })
    }
    return this.session
  }

  async test(): Promise<TestDetails> {
    let odoo: OdooClient
    try {
      odoo = await this.connect()
    } catch (err) {
      throw odooProblem(err, this.params)
    }
    return {
      serverVersion: `Odoo ${odoo.version.serverVersion}`,
      details: {
        protocol: odoo.protocol,
        user: { uid: odoo.identity.uid, name: odoo.identity.name, login: odoo.identity.login },
        companies: odoo.identity.companies,
      },
    }
  }

  async *introspect(): AsyncIterable<IntrospectionItem> {
    let odoo: OdooClient
    try {
      odoo = await this.client()
    } catch (err) {
      throw odooProblem(err, this.params)
    }
    const wanted = this.params.models?.length ? this.params.models : [...DEFAULT_ODOO_MODELS]
    const models = await odoo.searchRead<{ model: string; name: string; info: string | false }>('ir.model', {
      domain: [['model', 'in', wanted]],
      fields: ['model', 'name', 'info'],
      order: 'model',
    })
    for (const m of models) {
      try {
        const fields = await odoo.fieldsGet(m.model)
        const rows = await odoo.searchCount(m.model, [])
        yield {
          schema: 'odoo',
          name: odooTableName(m.model),
          kind: 'table',
          comment: `Odoo model ${m.model}: ${m.name}`,
          rowEstimate: rows,
          columns: columnsOf(fields).map((c, i) => ({
            name: c.name,
            type: c.sqlType,
            nullable: c.name !== 'id',
            comment: c.comment,
            ordinal: i + 1,
          })),
        }
      } catch (err) {
        yield { schema: 'odoo', name: odooTableName(m.model), error: err instanceof Error ? err.message : String(err) }
      }
    }
  }

  async openKernel(): Promise<never> {
    throw new ConnectionProblem(
      'connection_failed',
      'An Odoo connection has no SQL kernel: query its models as odoo.<model> tables in a DuckDB cell',
    )
  }

  async close(): Promise<void> {
    this.session = undefined
  }
}

/** `account.move.line` → `account_move_line`, the table name in the `odoo` schema. */
export function odooTableName(model: string): string {
  return model.replace(/\./g, '_')
}

/** An Odoo failure as a connection test problem with a stable code. */
export function odooProblem(err: unknown, p: OdooParams): ConnectionProblem {
  if (err instanceof ConnectionProblem) return err
  const host = URL.canParse(p.url) ? new URL(p.url).host : p.url
  if ((err as { code?: string }).code === 'destination_not_allowed')
    return new ConnectionProblem('destination_not_allowed', (err as Error).message)
  if (!(err instanceof OdooError))
    return new ConnectionProblem('connection_failed', `${host}: ${(err as Error).message}`)
  switch (err.code) {
    case 'odoo_authentication_failed':
      return new ConnectionProblem('authentication_failed', err.odooMessage)
    case 'odoo_database_not_found':
      return new ConnectionProblem('database_not_found', `${host} has no database ${p.database}`)
    case 'odoo_access_denied':
    case 'odoo_access_error':
      return new ConnectionProblem('access_denied', `${host} signed ${p.login} in but refused: ${err.message}`)
    case 'odoo_external_api_unavailable':
      return new ConnectionProblem('external_api_unavailable', `${host}: ${err.odooMessage}`)
    case 'odoo_protocol_unavailable':
      return new ConnectionProblem('protocol_unavailable', `${host}: ${err.odooMessage}`)
    case 'odoo_bad_response':
      return new ConnectionProblem('bad_response', `${host}: ${err.odooMessage}`)
    case 'odoo_unavailable':
      return /ECONNREFUSED/.test(err.odooMessage)
        ? new ConnectionProblem('connection_refused', `${host} refused the connection`)
        : new ConnectionProblem('connection_failed', `${host}: ${err.odooMessage}`)
    default:
      return new ConnectionProblem('connection_failed', `${host}: ${err.message}`)
  }
}
