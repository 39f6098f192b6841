import { expect } from 'vitest'
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../support/databases.ts'
import { TEST_SIGNING_KEY } from '../support/identity.ts'
import { createMembers, type Members } from '../support/members.ts'
import { startTestWorkbench, type TestWorkbench } from '../support/workbench.ts'

/** The whole workbench as `npm start` runs it, on PGlite or PostgreSQL, with accounts made in its database. */
export interface LimitsStack {
  wb: TestWorkbench
  members: Members
  /** A JSON call to the real HTTP server with a bearer token. */
  api(token: string, method: string, path: string, body?: unknown, init?: RequestInit): Promise<Answer>
  dispose(): Promise<void>
}

export interface Answer {
  status: number
  body: any
  ms: number
}

export async function startLimitsStack(kind: DatabaseKind, env: Record<string, string> = {}): Promise<LimitsStack> {
  let database: TestDatabase | undefined
  if (kind === 'postgres') database = await createTestDatabase('postgres')
  const wb = await startTestWorkbench({
    AUTH_JWT_SECRET: TEST_SIGNING_KEY,
    ...(database?.url ? { DATABASE_URL: database.url } : {}),
    ...env,
  })
  const members = createMembers(wb.db)
  return {
    wb,
    members,
    api: async (token, method, path, body, init = {}) => {
      const started = performance.now()
      const res = await fetch(`${wb.url}/api${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        ...init,
      })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = text ? JSON.parse(text) : undefined
      } catch {}
      return { status: res.status, body: parsed, ms: performance.now() - started }
    },
    dispose: async () => {
      await wb.dispose()
      await database?.dispose()
    },
  }
}

/** An account that belongs to no workspace. */
export async function loneAccount(stack: LimitsStack): Promise<{ userId: string; token: string }> {
  const workspace = await stack.members.workspace()
  const account = await stack.members.member(workspace, 'viewer')
  await stack.wb.db.db.deleteFrom('memberships').where('user_id', '=', account.userId).execute()
  return account
}

/**
 * Sends `GET /api/healthz` as `token` every `everyMs` until stopped, over the real socket, and records each
 * answer's wall time: what another user sees of the server while an attack runs.
 */
export async function watchHealth(stack: LimitsStack, token: string, everyMs = 50) {
  // One request first, so the samples measure the server, not the watcher's first connection.
  await (await fetch(`${stack.wb.url}/api/healthz`, { headers: { authorization: `Bearer ${token}` } })).text()
  const times: number[] = []
  const failures: string[] = []
  let running = true
  const loop = (async () => {
    while (running) {
      const started = performance.now()
      try {
        const res = await fetch(`${stack.wb.url}/api/healthz`, { headers: { authorization: `Bearer ${token}` } })
        await res.text()
        if (res.status !== 200) failures.push(`status ${res.status}`)
      } catch (err) {
        failures.push(String(err))
      }
      times.push(performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, everyMs))
    }
  })()
  return {
    async stop(): Promise<{ times: number[]; failures: string[]; max: number }> {
      running = false
      await loop
      return { times, failures, max: Math.max(0, ...times) }
    },
  }
}

/**
 * Every health check answered, within 100 ms. On a shared 2-core machine the OS may delay one sample, so one
 * slower answer (still under 500 ms) is tolerated; a blocked event loop delays every sample taken meanwhile.
 */
export function expectResponsive(health: { times: number[]; failures: string[]; max: number }): void {
  expect(health.failures).toEqual([])
  expect(health.times.length).toBeGreaterThan(0)
  expect(health.times.filter((t) => t >= 100).length, health.times.map(Math.round).join(',')).toBeLessThanOrEqual(1)
  expect(health.max).toBeLessThan(500)
}
