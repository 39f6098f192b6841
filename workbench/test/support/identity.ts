import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { type App, type AppDeps, createApp } from '../../src/app.ts'
import { createIdentity, type Identity } from '../../src/auth/identity.ts'
import type { Mailer } from '../../src/auth/mailer.ts'
import { loadConfig } from '../../src/config.ts'
import type { Database } from '../../src/db/schema.ts'
import { ImportService } from '../../src/files/import-service.ts'
import { FileStorage } from '../../src/files/storage.ts'
import { UploadService } from '../../src/files/upload-service.ts'
import { WorkspaceDatabases } from '../../src/kernels/workspace-databases.ts'
import { createLogger } from '../../src/logger.ts'
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')

export const TEST_SIGNING_KEY = 'test-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz'
export const PASSWORD = 'correct horse battery staple'

export interface IdentityFixture {
  app: App
  db: Kysely<Database>
  database: TestDatabase
  identity: Identity
  /** Every log line the app wrote, as JSON text, at `trace` level. */
  logs: string[]
  /** Every secret the fixture saw (passwords, tokens, cookies): none may appear in a log line. */
  secrets: Set<string>
  client(options?: { ip?: string }): Client
  /** Registers an account and returns a signed-in cookie client for it. */
  signUp(email: string, options?: { name?: string; ip?: string }): Promise<Client & { userId: string }>
  dispose(): Promise<void>
}

/**
 * The API app (no Jupyter/Temporal) over a fresh test database of `kind`, with identity configured
 * from `env` through the real config parser, and every log line captured.
 */
export async function createIdentityFixture(
  kind: DatabaseKind,
  options: {
    env?: Record<string, string>
    mailer?: Mailer
    webDist?: string
    /** More app dependencies (e.g. a connection service) built over the fixture's database and logger. */
    deps?: (database: TestDatabase, logger: Logger) => Partial<AppDeps>
  } = {},
): Promise<IdentityFixture> {
  const database = await createTestDatabase(kind, { migrate: true })
  const logs: string[] = []
  const logger = createLogger('trace', { write: (line: string) => void logs.push(line) })
  const config = loadConfig({ AUTH_JWT_SECRET: TEST_SIGNING_KEY, TRUST_PROXY: 'true', ...options.env }, ROOT)
  const identity = createIdentity({
    db: () => database.db,
    options: { ...config.auth, jwtSecret: config.auth.jwtSecret ?? TEST_SIGNING_KEY },
    logger,
    mailer: options.mailer,
  })
  const filesDir = mkdtempSync(path.join(os.tmpdir(), 'wb-identity-files-'))
  const duckdbs = new WorkspaceDatabases({ dataDir: filesDir, memoryLimit: '256MB' })
  const uploads = new UploadService(database.db, new FileStorage(filesDir), {
    maxUploadBytes: 1 << 20,
    staleAfterMs: 60_000,
  })
  const files = { uploads, imports: new ImportService(database.db, uploads, duckdbs.get) }
  const app = createApp({
    logger,
    readiness: { database: () => database.ping(), duckdb: undefined, jupyter: undefined, temporal: undefined },
    files: () => files,
    identity,
    webDist: options.webDist,
    ...options.deps?.(database, logger),
  })
  const secrets = new Set<string>([TEST_SIGNING_KEY, PASSWORD])
  const client = (o: { ip?: string } = {}) => new Client(app, secrets, o.ip ?? '198.51.100.7')
  return {
    app,
    db: database.db,
    database,
    identity,
    logs,
    secrets,
    client,
    signUp: async (email, o = {}) => {
      const c = client({ ip: o.ip })
      const res = await c.post('/api/auth/register', { email, name: o.name ?? email.split('@')[0], password: PASSWORD })
      if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${res.text}`)
      return Object.assign(c, { userId: (res.body as { user: { id: string } }).user.id })
    },
    // Every fixture ends by scanning what it logged: no secret the test saw, nor any stored hash, may be there.
    dispose: async () => {
      try {
        for (const row of await database.db.selectFrom('users').select('password_hash').execute())
          secrets.add(row.password_hash)
        for (const table of ['refresh_tokens', 'api_tokens', 'invitations'] as const)
          for (const row of await database.db.selectFrom(table).select('token_hash').execute())
            secrets.add(row.token_hash)
        // Sealed connection secrets and wrapped data keys must not be logged either.
        for (const row of await database.db.selectFrom('connections').select('secrets').execute())
          if (row.secrets) secrets.add(row.secrets)
        for (const row of await database.db.selectFrom('workspace_keys').select('wrapped_key').execute())
          secrets.add(row.wrapped_key)
        const leaks = findSecrets(logs, secrets)
        if (leaks.length > 0) throw new Error(`secrets in log lines:\n${leaks.join('\n')}`)
      } finally {
        await duckdbs.close()
        rmSync(filesDir, { recursive: true, force: true })
        await database.dispose()
      }
    },
  }
}

export interface Answer {
  status: number
  headers: Headers
  text: string
  body: any
}

/**
 * A browser-like client for in-process requests: keeps cookies, echoes the CSRF cookie in the header on
 * writes (as the web app does), or sends a Bearer token instead. Records every secret it receives.
 */
export class Client {
  readonly cookies = new Map<string, string>()
  bearer: string | undefined
  sendCsrf = true

  constructor(
    private readonly app: App,
    private readonly secrets: Set<string>,
    readonly ip: string,
  ) {}

  withBearer(token: string): Client {
    const c = new Client(this.app, this.secrets, this.ip)
    c.bearer = token
    return c
  }

  get(path: string, headers: Record<string, string> = {}) {
    return this.request('GET', path, undefined, headers)
  }
  post(path: string, body?: unknown, headers: Record<string, string> = {}) {
    return this.request('POST', path, body, headers)
  }
  patch(path: string, body?: unknown) {
    return this.request('PATCH', path, body)
  }
  delete(path: string) {
    return this.request('DELETE', path)
  }

  async request(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Answer> {
    const headers: Record<string, string> = { 'x-forwarded-for': this.ip, ...extra }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`
    else if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const csrf = this.cookies.get('wb_csrf')
    if (csrf && this.sendCsrf && !this.bearer && method !== 'GET') headers['x-csrf-token'] = csrf
    const res = await this.app.request(path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    for (const cookie of res.headers.getSetCookie()) {
      const pair = cookie.split(';')[0] ?? ''
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      if (value === '' || /max-age=0/i.test(cookie)) this.cookies.delete(name)
      else {
        this.cookies.set(name, value)
        this.secrets.add(value)
      }
    }
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {}
    collectSecrets(parsed, this.secrets)
    return { status: res.status, headers: res.headers, text, body: parsed }
  }
}

/** Log lines that contain any of the secrets (by value), with the secret masked in the report. */
export function findSecrets(lines: string[], secrets: Set<string>): string[] {
  const leaks: string[] = []
  for (const line of lines)
    for (const secret of secrets)
      if (secret.length >= 8 && line.includes(secret)) leaks.push(line.replaceAll(secret, '<SECRET>').slice(0, 300))
  return leaks
}

function collectSecrets(value: unknown, into: Set<string>): void {
  if (!value || typeof value !== 'object') return
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string' && /token|password|secret/i.test(key) && v.length >= 12) into.add(v)
    else collectSecrets(v, into)
  }
}
