import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import type { Identity } from '../../src/auth/identity.ts'
import type { ReadinessChecks } from '../../src/routes/health.ts'
import { ScratchDatabases } from '../../src/sql/scratch-databases.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { createMembers } from '../support/members.ts'

const INDEX = '<!doctype html><div id="root"></div><script type="module" src="/assets/index-abc.js"></script>'

/**
 * The web app uses history-API URLs: the server answers its index.html for any app path (deep links to a notebook
 * cell, a run, an asset, a catalog search survive a reload), and never for the API, MCP, websockets or assets.
 */
describe.each(DATABASE_KINDS)('serving the built web app (%s)', (kind) => {
  let dist: string
  let database: TestDatabase
  let identity: Identity
  let app: ReturnType<typeof createApp>
  const scratch = new ScratchDatabases()
  const readiness: ReadinessChecks = {
    database: async () => {},
    duckdb: async () => {},
    jupyter: async () => {},
    temporal: async () => {},
  }

  beforeAll(async () => {
    dist = await mkdtemp(path.join(tmpdir(), 'wb-web-dist-'))
    await mkdir(path.join(dist, 'assets'))
    await writeFile(path.join(dist, 'index.html'), INDEX)
    await writeFile(path.join(dist, 'assets', 'index-abc.js'), 'console.log("app")')
    database = await createTestDatabase(kind, { migrate: true })
    identity = createMembers(database).identity
    app = createApp({ logger: pino({ level: 'silent' }), readiness, scratch: () => scratch, identity, webDist: dist })
  }, 120_000)
  afterAll(async () => {
    await scratch.close()
    await database?.dispose()
    await rm(dist, { recursive: true, force: true })
  })

  it.each([
    '/',
    '/login',
    '/w/0b7c6a1e-0000-4000-8000-000000000001/notebooks/nb-1?cell=c-3',
    '/w/0b7c6a1e-0000-4000-8000-000000000001/pipeline-runs/run-9',
    '/w/0b7c6a1e-0000-4000-8000-000000000001/catalog/asset-1?tab=lineage',
    '/w/0b7c6a1e-0000-4000-8000-000000000001/catalog?q=customers',
    '/invite',
  ])('answers index.html for the app path %s', async (url) => {
    const res = await app.request(url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/html/)
    expect(await res.text()).toBe(INDEX)
  })

  it('serves the built assets as files', async () => {
    const res = await app.request('/assets/index-abc.js')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('console.log("app")')
  })

  it.each([
    ['an unknown API route', '/api/no-such-thing'],
    ['an unknown API route under a workspace', '/api/workspaces/w1/no-such-thing'],
    ['a missing asset', '/assets/index-old.js'],
    ['a missing file at the top', '/favicon-missing.ico'],
    ['the websocket prefix', '/ws/anything'],
    ['under the MCP endpoint', '/mcp/anything'],
  ])('does not answer the app for %s', async (_what, url) => {
    const res = await app.request(url)
    expect(res.status).toBe(404)
    expect(await res.text()).not.toContain('<div id="root">')
  })

  it('still answers the API in its own error shape, not with the app', async () => {
    const res = await app.request('/api/workspaces')
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ code: expect.any(String), message: expect.any(String) })
  })
})
