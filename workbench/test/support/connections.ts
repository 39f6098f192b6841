import net from 'node:net'
import pg from 'pg'
import { inject } from 'vitest'
import { ConnectionService } from '../../src/connections/connection-service.ts'
import type { Resolver } from '../../src/connections/network-guard.ts'
import { writeAllowedNetworks } from '../../src/connections/network-settings.ts'
import { generateKey, type SecretKey } from '../../src/connections/secret-box.ts'
import type { DatabaseKind } from './databases.ts'
import { type Client, createIdentityFixture, type IdentityFixture } from './identity.ts'

export interface ConnectionsFixture {
  f: IdentityFixture
  service: ConnectionService
  masterKey: SecretKey
  workspaceId: string
  base: string
  /** Signed-in members of the workspace, by role. */
  as: Record<'owner' | 'admin' | 'editor' | 'viewer', Client & { userId: string }>
  /** The resolver the service uses; tests swap its answer (rebinding). */
  dns: { answer: Resolver }
  dispose(): Promise<void>
}

/**
 * The API app with a real connection service over a test metadata DB of `kind`, a workspace with one
 * member per role, and a DNS stub (names ending in `.test`; others go to the system resolver).
 */
export async function createConnectionsFixture(
  kind: DatabaseKind,
  /** `allowLoopback` (default true) puts 127.0.0.0/8 and ::1 on the instance allow-list. */
  options: { timeoutMs?: number; allowLoopback?: boolean; webDist?: string; statementTimeoutMs?: number } = {},
): Promise<ConnectionsFixture> {
  const masterKey = generateKey()
  const dns: { answer: Resolver } = { answer: async () => [] }
  let service: ConnectionService | undefined
  const f = await createIdentityFixture(kind, {
    webDist: options.webDist,
    env: options.webDist ? { TRUST_PROXY: 'false' } : {},
    deps: (database, logger) => {
      service = new ConnectionService({
        db: () => database.db,
        masterKey,
        logger,
        timeoutMs: options.timeoutMs ?? 10_000,
        pool: { max: 3, idleTimeoutMs: 5_000 },
        statementTimeoutMs: options.statementTimeoutMs,
        resolver: async (host) => {
          if (host.endsWith('.test')) return dns.answer(host)
          const { systemResolver } = await import('../../src/connections/network-guard.ts')
          return systemResolver(host)
        },
      })
      return { connections: () => service }
    },
  })
  if (!service) throw new Error('connection service not built')
  // Loopback is refused in every mode: the tests' databases are reached through the admins' allow-list.
  if (options.allowLoopback ?? true) await writeAllowedNetworks(f.db, ['127.0.0.0/8', '::1/128'])
  const owner = await f.signUp(`owner-${Math.random().toString(36).slice(2)}@example.com`)
  const workspaceId = (await owner.post('/api/workspaces', { name: 'Data' })).body.id as string
  const member = async (role: 'admin' | 'editor' | 'viewer') => {
    const client = await f.signUp(`${role}-${Math.random().toString(36).slice(2)}@example.com`)
    await f.db.insertInto('memberships').values({ workspace_id: workspaceId, user_id: client.userId, role }).execute()
    return client
  }
  const as = { owner, admin: await member('admin'), editor: await member('editor'), viewer: await member('viewer') }
  const s = service
  return {
    f,
    service: s,
    masterKey,
    workspaceId,
    base: `/api/workspaces/${workspaceId}/connections`,
    as,
    dns,
    dispose: async () => {
      await s.close()
      await f.dispose()
    },
  }
}

/** Parameters of the run's PostgreSQL (trust auth: any password passes) for a `postgres` connection. */
export function runPostgresParams(database = 'postgres') {
  const url = new URL(inject('postgresUrl'))
  return {
    host: url.hostname,
    port: Number(url.port),
    database,
    user: decodeURIComponent(url.username),
    password: 'pg-connection-password-123',
    sslMode: 'disable',
  }
}

/** Runs SQL as the run's PostgreSQL superuser on `database`. */
export async function runPostgresSql(sql: string, database = 'postgres'): Promise<void> {
  const url = new URL(inject('postgresUrl'))
  url.pathname = `/${database}`
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** A TCP server that accepts connections and never answers: a database that hangs. */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as net.AddressInfo
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
