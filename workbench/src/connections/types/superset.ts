import { z } from 'zod'
import { DESTINATION_NOT_ALLOWED } from '../network-guard.ts'
import { ConnectionProblem } from '../problems.ts'
import type { ConnectionHandle, ConnectionType, OutboundContext } from './connection-type.ts'
import { type SupersetAuth, SupersetClient, SupersetError } from './superset/client.ts'
import { catalogItems, readSnapshot } from './superset/objects.ts'

const params = z
  .object({
    baseUrl: z
      .string()
      .trim()
      .max(2000)
      .regex(/^https?:\/\/[^/\s]+/, { message: 'expected an http:// or https:// URL such as https://bi.example.com' })
      .describe('Superset URL, e.g. https://bi.example.com'),
    username: z.string().trim().max(256).optional().describe('Superset user (database login)'),
    password: z.string().max(1024).optional().describe('Password'),
    accessToken: z.string().max(8192).optional().describe('Access token (instead of a user and password)'),
    catalogPrefix: z
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9_]{0,39}$/, { message: 'expected lowercase letters, digits and _ (e.g. superset)' })
      .default('superset')
      .describe('Catalog schema prefix of its datasets, charts and dashboards (one per Superset of a workspace)'),
  })
  .superRefine((p, ctx) => {
    const user = Boolean(p.username) && p.password !== undefined && p.password !== ''
    if (!user && !p.accessToken)
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'give a username and password, or an access token' })
  })

export type SupersetParams = z.infer<typeof params>

/** The Superset version and what the connection's user may do there, as the test reports it. */
export interface SupersetIdentity {
  version: string | null
  user: string
  roles: string[]
  /** `can_<verb>` on `<view>` pairs, e.g. `can_write on Dataset`. */
  permissions: string[]
}

/**
 * Apache Superset over its REST API: the test signs in and names the version and the user's roles and permissions;
 * the handle's {@link SupersetHandle.client} serves browsing, publishing and refreshing. Every request goes through
 * the outbound policy's guarded fetch, so the base URL's host is checked at each call (no host field to pin).
 */
export const supersetType: ConnectionType<SupersetParams> = {
  id: 'superset',
  label: 'Apache Superset',
  params,
  secretFields: ['password', 'accessToken'],
  hostFields: [],
  targetFields: ['baseUrl', 'username'],
  open: (p, _hosts, _pool, outbound) => new SupersetHandle(p, outbound),
}

export class SupersetHandle implements ConnectionHandle {
  readonly client: SupersetClient
  readonly prefix: string

  constructor(p: SupersetParams, outbound: OutboundContext) {
    this.prefix = p.catalogPrefix
    const auth: SupersetAuth =
      p.username && p.password ? { username: p.username, password: p.password } : { accessToken: p.accessToken ?? '' }
    this.client = new SupersetClient({ baseUrl: p.baseUrl, auth, fetch: outbound.fetch })
  }

  async test(): Promise<{ serverVersion: string; details: Record<string, unknown> }> {
    try {
      const identity = await supersetIdentity(this.client)
      return {
        serverVersion: `Apache Superset ${identity.version ?? '(version not reported)'}`,
        details: { ...identity },
      }
    } catch (err) {
      throw supersetProblem(err, this.client.baseUrl)
    }
  }

  /** Its databases, datasets (with columns), charts and dashboards, as catalog objects. */
  async *introspect() {
    yield* catalogItems(await readSnapshot(this.client), this.prefix)
  }

  async openKernel(): Promise<never> {
    throw new ConnectionProblem('connection_failed', 'A Superset connection runs no SQL: use its database instead')
  }

  async close(): Promise<void> {}
}

/** Who the connection signs in as (`/api/v1/me/`, `/api/v1/me/roles/`) and the server's version. */
export async function supersetIdentity(client: SupersetClient): Promise<SupersetIdentity> {
  const me = await client.get<{ result: { username?: string; first_name?: string } }>('/api/v1/me/')
  const roles = await client
    .get<{ result: { roles?: Record<string, [string, string][]> } }>('/api/v1/me/roles/')
    .catch(() => ({ result: { roles: {} } }))
  const byRole = roles.result.roles ?? {}
  const permissions = new Set<string>()
  for (const list of Object.values(byRole) as [string, string][][])
    for (const [verb, view] of list) permissions.add(`${verb} on ${view}`)
  return {
    version: await supersetVersion(client),
    user: me.result.username ?? me.result.first_name ?? 'unknown',
    roles: Object.keys(byRole).sort(),
    permissions: [...permissions].sort(),
  }
}

/** Superset answers `GET /version` with its version metadata (`version_string`); older ones have no such page. */
async function supersetVersion(client: SupersetClient): Promise<string | null> {
  const meta = await client.get<{ version_string?: string }>('/version').catch(() => undefined)
  return meta?.version_string ?? null
}

/** A Superset failure as a connection test problem, with Superset's message. */
export function supersetProblem(err: unknown, baseUrl: string): ConnectionProblem {
  if (err instanceof ConnectionProblem) return err
  if ((err as { code?: string }).code === DESTINATION_NOT_ALLOWED)
    return new ConnectionProblem('destination_not_allowed', (err as Error).message)
  if (err instanceof SupersetError) {
    if (err.status === 401 || err.status === 403) return new ConnectionProblem('authentication_failed', err.message)
    if (err.status === 0) return new ConnectionProblem('connection_refused', err.message)
    return new ConnectionProblem('connection_failed', `${baseUrl} did not answer as Superset: ${err.message}`)
  }
  return new ConnectionProblem('connection_failed', `${baseUrl}: ${(err as Error).message}`)
}
