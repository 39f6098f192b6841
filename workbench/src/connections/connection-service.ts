import { randomUUID } from 'node:crypto'
import type { SqlKernel } from '@workbench/kernels'
import type { Kysely, Selectable } from 'kysely'
import type { Logger } from 'pino'
import type { ConnectionsTable, Database } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'
import { ConnectionPools } from './connection-pools.ts'
import type { IntrospectionItem } from './introspection.ts'
import { NetworkGuard, type ResolvedHost, type Resolver } from './network-guard.ts'
import { readAllowedNetworks } from './network-settings.ts'
import { guardedFetch } from './outbound-http.ts'
import { ConnectionProblem } from './problems.ts'
import { openJson, type SecretKey, sealJson } from './secret-box.ts'
import type { ConnectionHandle, ConnectionType, OpenContext, PoolOptions } from './types/connection-type.ts'
import { connectionTypes } from './types/registry.ts'
import { WorkspaceKeys } from './workspace-keys.ts'

export interface ConnectionServiceOptions {
  db: () => Kysely<Database>
  masterKey: SecretKey
  logger: Logger
  /** Connect and test timeout (10 s by default); an unreachable target is answered only after it. */
  timeoutMs?: number
  pool?: { max?: number; idleTimeoutMs?: number }
  /** SQL cells on a connection: a statement still running after this long is cancelled (KERNEL_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs?: number
  /** DNS; tests inject one that plays a rebinding server. */
  resolver?: Resolver
}

/** A connection as the API shows it: secret fields only as set/unset. */
export interface ConnectionView {
  id: string
  name: string
  type: string
  params: Record<string, unknown>
  secrets: Record<string, 'set' | 'unset'>
  writable: boolean
  createdAt: string
  updatedAt: string
  lastTest: { at: string; ok: boolean; error: string | null } | null
}

export interface TestResult {
  ok: boolean
  serverVersion?: string
  /** Type-specific facts (Odoo: protocol, user, companies). */
  details?: Record<string, unknown>
  error?: { code: string; message: string }
  durationMs: number
}

export interface CreateInput {
  name: string
  type: string
  params: Record<string, unknown>
  writable?: boolean
  /** Keep the connection even if its test fails. */
  saveAnyway?: boolean
}

/**
 * Fields that decide where a connection's secret is sent, or how it is protected on the way: changing
 * any of them on a saved connection requires its secret again (Grafana and Metabase do the same), so
 * nobody can redirect a stored password to a host of their own.
 */
export const TARGET_FIELDS = ['host', 'port', 'user', 'database', 'sslMode', 'caPem'] as const

export interface UpdateInput {
  name?: string
  /** Changed fields only; a secret field left out keeps its value, `null` clears it. */
  params?: Record<string, unknown>
  writable?: boolean
  saveAnyway?: boolean
}

type Row = Selectable<ConnectionsTable>

/**
 * Connections of a workspace: CRUD with secrets sealed under the workspace's data key, tests with
 * precise errors, pools, introspection and SQL kernels. Every host goes through the SSRF guard once
 * per pool, and drivers connect to the address it returned.
 */
export class ConnectionService {
  private readonly keys: WorkspaceKeys
  private readonly pools: ConnectionPools
  private readonly poolOptions: PoolOptions

  constructor(private readonly options: ConnectionServiceOptions) {
    this.keys = new WorkspaceKeys(options.db, options.masterKey)
    this.pools = new ConnectionPools(options.logger)
    this.poolOptions = {
      max: options.pool?.max ?? 5,
      idleTimeoutMs: options.pool?.idleTimeoutMs ?? 30_000,
      timeoutMs: options.timeoutMs ?? 10_000,
    }
  }

  private get db() {
    return this.options.db()
  }

  /** Open pools, for tests. */
  get openPools(): number {
    return this.pools.size
  }

  async list(workspaceId: string): Promise<ConnectionView[]> {
    const rows = await this.db
      .selectFrom('connections')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('name')
      .execute()
    return rows.map((r) => this.view(r))
  }

  async get(workspaceId: string, id: string): Promise<ConnectionView> {
    return this.view(await this.row(workspaceId, id))
  }

  async create(
    workspaceId: string,
    input: CreateInput,
    userId: string | null,
  ): Promise<{ connection: ConnectionView; test: TestResult }> {
    const type = typeOrThrow(input.type)
    const params = validate(type, input.params)
    await this.ensureNameFree(workspaceId, input.name)
    const test = await this.runTest(type, params)
    if (!test.ok && !input.saveAnyway) throw testFailure(test)
    const id = randomUUID()
    const { clear, sealed, secretFields } = await this.split(workspaceId, id, type, params)
    const now = new Date()
    const row = await this.db
      .insertInto('connections')
      .values({
        id,
        workspace_id: workspaceId,
        name: input.name,
        type: type.id,
        params: JSON.stringify(clear) as unknown as Record<string, unknown>,
        secrets: sealed,
        secret_fields: secretFields,
        writable: input.writable ?? false,
        created_by: userId,
        last_test_at: now,
        last_test_error: test.ok ? null : (test.error?.code ?? 'connection_failed'),
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((err: unknown) => {
        throw nameTaken(err, input.name)
      })
    this.options.logger.info({ connectionId: id, type: type.id, workspaceId }, 'connection created')
    return { connection: this.view(row), test }
  }

  async update(
    workspaceId: string,
    id: string,
    input: UpdateInput,
  ): Promise<{ connection: ConnectionView; test: TestResult | null }> {
    const row = await this.row(workspaceId, id)
    const type = typeOrThrow(row.type)
    if (input.name !== undefined && input.name !== row.name) await this.ensureNameFree(workspaceId, input.name)
    let params: Record<string, unknown> | undefined
    let test: TestResult | null = null
    if (input.params) {
      const stored = await this.fullParams(row)
      const merged: Record<string, unknown> = { ...stored }
      for (const [k, v] of Object.entries(input.params)) {
        if (v === null) delete merged[k]
        else merged[k] = v
      }
      params = validate(type, merged)
      requireSecretsForNewTarget(type, validate(type, stored), params, input.params)
      test = await this.runTest(type, params)
      if (!test.ok && !input.saveAnyway) throw testFailure(test)
    }
    const values: Partial<Record<keyof ConnectionsTable, unknown>> = { updated_at: new Date() }
    if (input.name !== undefined) values.name = input.name
    if (input.writable !== undefined) values.writable = input.writable
    if (params) {
      const { clear, sealed, secretFields } = await this.split(workspaceId, id, type, params)
      values.params = JSON.stringify(clear)
      values.secrets = sealed
      values.secret_fields = secretFields
      values.last_test_at = new Date()
      values.last_test_error = test?.ok ? null : (test?.error?.code ?? null)
    }
    const updated = await this.db
      .updateTable('connections')
      .set(values as never)
      .where('id', '=', id)
      .where('workspace_id', '=', workspaceId)
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((err: unknown) => {
        throw nameTaken(err, input.name ?? row.name)
      })
    await this.pools.close(id)
    this.options.logger.info({ connectionId: id, workspaceId }, 'connection updated')
    return { connection: this.view(updated), test }
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    const res = await this.db
      .deleteFrom('connections')
      .where('id', '=', id)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst()
    if (Number(res.numDeletedRows) === 0) throw new NotFoundError('connection', id)
    await this.pools.close(id)
    this.options.logger.info({ connectionId: id, workspaceId }, 'connection deleted')
  }

  /** Tests parameters that are not saved (the create form's Test button). */
  async testParams(type: string, params: Record<string, unknown>): Promise<TestResult> {
    const t = typeOrThrow(type)
    return this.runTest(t, validate(t, params))
  }

  /** Tests a saved connection, optionally with unsaved changes over it (the edit form's Test button). */
  async testSaved(workspaceId: string, id: string, changes?: Record<string, unknown>): Promise<TestResult> {
    const row = await this.row(workspaceId, id)
    const type = typeOrThrow(row.type)
    const stored = await this.fullParams(row)
    const merged: Record<string, unknown> = { ...stored }
    for (const [k, v] of Object.entries(changes ?? {})) {
      if (v === null) delete merged[k]
      else merged[k] = v
    }
    const params = validate(type, merged)
    // The stored secret is only ever sent to the stored target.
    requireSecretsForNewTarget(type, validate(type, stored), params, changes ?? {})
    const test = await this.runTest(type, params)
    await this.db
      .updateTable('connections')
      .set({ last_test_at: new Date(), last_test_error: test.ok ? null : (test.error?.code ?? 'connection_failed') })
      .where('id', '=', id)
      .execute()
    return test
  }

  /** Streams the source's tables. */
  async *introspect(workspaceId: string, id: string): AsyncIterable<IntrospectionItem> {
    const handle = await this.handle(workspaceId, id)
    yield* handle.introspect()
  }

  /** A SQL kernel on the connection: read-only unless an admin marked the connection writable. */
  async openKernel(workspaceId: string, id: string): Promise<SqlKernel> {
    const row = await this.row(workspaceId, id)
    const handle = await this.handle(workspaceId, id)
    return handle.openKernel({ readOnly: !row.writable, statementTimeoutMs: this.options.statementTimeoutMs })
  }

  /** Closes every pool (shutdown). */
  async close(): Promise<void> {
    await this.pools.closeAll()
  }

  private async handle(workspaceId: string, id: string): Promise<ConnectionHandle> {
    const row = await this.row(workspaceId, id)
    const type = typeOrThrow(row.type)
    return this.pools.get(id, new Date(row.updated_at).getTime(), async () => {
      const params = validate(type, await this.fullParams(row))
      return type.open(params, await this.resolveHosts(type, params), this.poolOptions, this.openContext())
    })
  }

  /** The live handle of a saved connection of `type` (e.g. the Odoo client behind an `odoo` connection). */
  async handleOf(workspaceId: string, id: string, type: string): Promise<ConnectionHandle> {
    const row = await this.row(workspaceId, id)
    if (row.type !== type)
      throw new AppError(
        400,
        'wrong_connection_type',
        `Connection ${row.name} is a ${row.type} connection, not ${type}`,
      )
    return this.handle(workspaceId, id)
  }

  /** Whether an admin marked the connection writable (SQL writes; Odoo writes still need an approval). */
  async isWritable(workspaceId: string, id: string): Promise<boolean> {
    return (await this.row(workspaceId, id)).writable
  }

  /** HTTP connectors reach their servers only through the outbound policy, with the allow-list as it is now. */
  private openContext(): OpenContext {
    return {
      fetch: guardedFetch({
        guard: async () =>
          new NetworkGuard({ allowed: await readAllowedNetworks(this.db), resolver: this.options.resolver }),
        maxBodyBytes: 256 * 1024 * 1024,
        timeoutMs: 120_000,
      }),
    }
  }

  private async runTest(type: ConnectionType, params: Record<string, unknown>): Promise<TestResult> {
    const started = Date.now()
    let timer: NodeJS.Timeout | undefined
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ConnectionProblem('timeout', `No answer within ${this.poolOptions.timeoutMs / 1000} s`)),
          this.poolOptions.timeoutMs,
        )
      })
      // The attempt closes its own handle when it settles, also when the timeout answered first.
      const attempt = (async () => {
        const hosts = await this.resolveHosts(type, params)
        const handle = type.open(params, hosts, { ...this.poolOptions, max: 1 }, this.openContext())
        try {
          return await handle.test()
        } finally {
          await handle.close()
        }
      })()
      attempt.catch(() => {})
      const { serverVersion, details } = await Promise.race([attempt, timeout])
      return { ok: true, serverVersion, ...(details ? { details } : {}), durationMs: Date.now() - started }
    } catch (err) {
      let problem =
        err instanceof ConnectionProblem ? err : new ConnectionProblem('connection_failed', (err as Error).message)
      if (UNREACHABLE.has(problem.code)) {
        // Closed, filtered and non-database ports answer alike, and only once the timeout is over:
        // the test is no port scanner.
        problem = new ConnectionProblem(
          'unreachable',
          `${targetOf(type, params)} did not answer as a ${type.label} server within ${this.poolOptions.timeoutMs / 1000} s`,
        )
        await waitUntil(started + this.poolOptions.timeoutMs)
      }
      return { ok: false, error: { code: problem.code, message: problem.message }, durationMs: Date.now() - started }
    } finally {
      clearTimeout(timer)
    }
  }

  private async resolveHosts(type: ConnectionType, params: Record<string, unknown>) {
    const guard = new NetworkGuard({ allowed: await readAllowedNetworks(this.db), resolver: this.options.resolver })
    const hosts: Record<string, ResolvedHost> = {}
    const port = typeof params.port === 'number' ? params.port : undefined
    for (const field of type.hostFields) {
      const host = String(params[field] ?? '')
      hosts[field] = port === undefined ? await guard.resolve(host) : await guard.resolveEndpoint(host, port)
    }
    return hosts
  }

  private async split(workspaceId: string, id: string, type: ConnectionType, params: Record<string, unknown>) {
    const clear: Record<string, unknown> = {}
    const secret: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined) continue
      if (type.secretFields.includes(k)) secret[k] = v
      else clear[k] = v
    }
    const sealed =
      Object.keys(secret).length > 0 ? sealJson(await this.keys.get(workspaceId), secret, secretContext(id)) : null
    return { clear, sealed, secretFields: JSON.stringify(Object.keys(secret)) }
  }

  private async fullParams(row: Row): Promise<Record<string, unknown>> {
    const secrets = row.secrets
      ? openJson<Record<string, unknown>>(await this.keys.get(row.workspace_id), row.secrets, secretContext(row.id))
      : {}
    return { ...row.params, ...secrets }
  }

  private async row(workspaceId: string, id: string): Promise<Row> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError('connection', id)
    const row = await this.db
      .selectFrom('connections')
      .selectAll()
      .where('id', '=', id)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('connection', id)
    return row
  }

  private async ensureNameFree(workspaceId: string, name: string): Promise<void> {
    const taken = await this.db
      .selectFrom('connections')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', name)
      .executeTakeFirst()
    if (taken) throw nameTaken({ code: '23505' }, name)
  }

  private view(row: Row): ConnectionView {
    const type = connectionTypes.get(row.type)
    const set = new Set(row.secret_fields)
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      params: row.params,
      secrets: Object.fromEntries((type?.secretFields ?? []).map((f) => [f, set.has(f) ? 'set' : 'unset'])),
      writable: row.writable,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
      lastTest: row.last_test_at
        ? { at: new Date(row.last_test_at).toISOString(), ok: row.last_test_error === null, error: row.last_test_error }
        : null,
    }
  }
}

const secretContext = (connectionId: string) => `connection:${connectionId}`

/**
 * Failures below the database protocol: nothing listens, a firewall drops, or another service answers.
 * They answer alike (`unreachable`), or the test would tell open ports from closed ones.
 */
const UNREACHABLE = new Set(['connection_refused', 'timeout', 'connection_failed'])

/** Waits until the wall clock reaches `at` (timers may fire a millisecond early against Date.now()). */
async function waitUntil(at: number): Promise<void> {
  while (Date.now() < at) await new Promise((resolve) => setTimeout(resolve, at - Date.now()))
}

function targetOf(type: ConnectionType, params: Record<string, unknown>): string {
  const host = type.hostFields.map((f) => String(params[f] ?? '')).join(',')
  return params.port === undefined ? host : `${host}:${String(params.port)}`
}

/**
 * 400 `secret_required` when `changes` move a connection that has a stored secret to another target
 * (host, port, user, database, TLS settings) without giving each stored secret again.
 */
function requireSecretsForNewTarget(
  type: ConnectionType,
  stored: Record<string, unknown>,
  next: Record<string, unknown>,
  changes: Record<string, unknown>,
): void {
  const targetFields = new Set<string>([...TARGET_FIELDS, ...type.hostFields, ...(type.targetFields ?? [])])
  // An empty field and a missing one are the same setting (forms send '' for a field left blank).
  const value = (v: unknown) => JSON.stringify(v === '' || v === undefined ? null : v)
  const moved = [...targetFields].filter((f) => !type.secretFields.includes(f) && value(stored[f]) !== value(next[f]))
  if (moved.length === 0) return
  const missing = type.secretFields.filter(
    (f) => stored[f] !== undefined && stored[f] !== '' && (changes[f] === undefined || changes[f] === null),
  )
  if (missing.length === 0) return
  const fields = missing.map((f) => ({
    field: `params.${f}`,
    message: `must be given again when ${moved.map((m) => `params.${m}`).join(', ')} change`,
  }))
  throw new AppError(
    400,
    'secret_required',
    `Changing ${moved.join(', ')} of a saved connection requires ${missing.join(', ')} again`,
    { fields },
  )
}

function typeOrThrow(id: string): ConnectionType {
  const type = connectionTypes.get(id)
  if (!type)
    throw new AppError(400, 'validation_failed', `Unknown connection type ${id}`, {
      fields: [{ field: 'type', message: `must be one of ${[...connectionTypes.keys()].join(', ')}` }],
    })
  return type
}

/** Validates against the type's schema, naming every bad field (`params.<field>`). */
function validate(type: ConnectionType, params: Record<string, unknown>): Record<string, unknown> {
  const parsed = type.params.safeParse(params)
  if (parsed.success) return parsed.data
  const fields = parsed.error.issues.map((i) => ({ field: ['params', ...i.path].join('.'), message: i.message }))
  throw new AppError(400, 'validation_failed', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields })
}

function testFailure(test: TestResult): AppError {
  const code = test.error?.code ?? 'connection_failed'
  return new AppError(422, code, `${test.error?.message ?? 'The connection test failed'}; nothing was saved`, {
    test,
    hint: 'send saveAnyway: true to save it anyway',
  })
}

/** Two creates with one name at once: the unique index answers, as a 409 like the check before it. */
function nameTaken(err: unknown, name: string): unknown {
  if ((err as { code?: string } | undefined)?.code === '23505')
    return new AppError(409, 'connection_name_taken', `A connection named ${name} already exists`)
  return err
}
