import { Writable } from 'node:stream'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import { Hono } from 'hono'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import type { Identity } from '../src/auth/identity.ts'
import { AppError, errorHandler, NotFoundError } from '../src/http/errors.ts'
import type { ReadinessChecks } from '../src/routes/health.ts'
import { ScratchDatabases } from '../src/sql/scratch-databases.ts'
import { createTestDatabase, type TestDatabase } from './support/databases.ts'
import { createMembers } from './support/members.ts'

/** A logger writing JSON lines into memory, so tests can read what was logged. */
function memoryLogger() {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line))
      done()
    },
  })
  return { logger: pino({ level: 'info' }, stream), lines }
}

describe('HTTP API skeleton', () => {
  let duckdb: DuckdbDatabase
  const scratch = new ScratchDatabases()
  const readiness: ReadinessChecks = {
    database: async () => {},
    duckdb: async () => duckdb.ping(),
    jupyter: async () => {},
    temporal: async () => {},
  }
  const { logger, lines } = memoryLogger()
  let app: ReturnType<typeof createApp>
  let database: TestDatabase
  let identity: Identity
  let token: string
  const authed = { Authorization: '' }

  beforeAll(async () => {
    duckdb = await DuckdbDatabase.open({ sandboxed: true })
    database = await createTestDatabase('pglite', { migrate: true })
    const members = createMembers(database)
    identity = members.identity
    token = (await members.member(await members.workspace(), 'editor')).token
    authed.Authorization = `Bearer ${token}`
    app = createApp({ logger, readiness, scratch: () => scratch, identity })
  })
  afterAll(async () => {
    duckdb.close()
    await scratch.close()
    await database?.dispose()
  })

  it('answers liveness', async () => {
    const res = await app.request('/api/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })

  it('answers 503 naming the service that is down, the others still up', async () => {
    const failing = createApp({
      logger,
      readiness: { ...readiness, jupyter: async () => Promise.reject(new Error('connection refused')) },
      scratch: () => scratch,
      identity,
    })
    const res = await failing.request('/api/readyz')
    expect(res.status).toBe(503)
    const body = (await res.json()) as any
    expect(body.status).toBe('not_ready')
    expect(body.services.jupyter).toMatchObject({ status: 'down', error: 'connection refused' })
    expect(body.services.duckdb.status).toBe('up')
  })

  it('reports a service that is still starting as down rather than waiting for it', async () => {
    const starting = createApp({
      logger,
      readiness: { ...readiness, temporal: undefined },
      scratch: () => scratch,
      identity,
    })
    const body = (await (await starting.request('/api/readyz')).json()) as any
    expect(body.services.temporal).toEqual({ status: 'down', latencyMs: 0, error: 'starting' })
  })

  it('cuts a hanging probe at its deadline', async () => {
    const hanging = createApp({
      logger,
      readiness: { ...readiness, database: () => new Promise(() => {}) },
      scratch: () => scratch,
      identity,
    })
    const body = (await (await hanging.request('/api/readyz')).json()) as any
    expect(body.services.database).toMatchObject({ status: 'down', error: 'no answer within 2000 ms' })
  })

  it('runs SQL on the scratch DuckDB, and answers SQL errors and bad bodies in the error shape', async () => {
    const ok = await app.request('/api/sql/scratch', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authed },
      body: JSON.stringify({ sql: 'SELECT 42 AS answer' }),
    })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ columns: [{ name: 'answer', type: 'INTEGER' }], rows: [[42]] })

    const sqlError = await app.request('/api/sql/scratch', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authed },
      body: JSON.stringify({ sql: 'SELEC 1' }),
    })
    expect(sqlError.status).toBe(400)
    expect(await sqlError.json()).toMatchObject({ code: 'sql_error', message: expect.stringContaining('syntax error') })

    const badBody = await app.request('/api/sql/scratch', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authed },
      body: JSON.stringify({ sql: 42, limit: -1 }),
    })
    expect(badBody.status).toBe(400)
    const error = (await badBody.json()) as any
    expect(error.code).toBe('validation_failed')
    expect(error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['limit', 'sql'])
    expect(error.requestId).toEqual(badBody.headers.get('X-Request-Id'))
  })

  it('keeps the scratch database away from files', async () => {
    const res = await app.request('/api/sql/scratch', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authed },
      body: JSON.stringify({ sql: "SELECT * FROM read_csv('/etc/passwd')" }),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as any).message).toContain('disabled by configuration')
  })

  it('answers unknown API routes with a 404 in the error shape', async () => {
    const res = await app.request('/api/nope')
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ code: 'route_not_found', requestId: expect.any(String) })
  })

  it('publishes an OpenAPI 3.1 document generated from the route schemas, and a docs page', async () => {
    const doc = (await (await app.request('/api/openapi.json')).json()) as any
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.servers).toEqual([{ url: '/api' }])
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/sql/scratch']))
    expect(doc.paths['/sql/scratch'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/ScratchQueryRequest',
    )
    const page = await app.request('/api/docs')
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('/api/docs/assets/swagger-ui-bundle.js')
    const asset = await app.request('/api/docs/assets/swagger-ui-bundle.js')
    expect(asset.status).toBe(200)
    expect(asset.headers.get('Content-Type')).toContain('javascript')
    expect((await app.request('/api/docs/assets/..%2Fpackage.json')).status).toBe(404)
  })

  it('exposes Prometheus metrics: request durations by route pattern, and process metrics', async () => {
    await app.request('/api/healthz')
    const res = await app.request('/api/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toContain('text/plain')
    const text = await res.text()
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/api\/healthz"[^}]*status="200"/)
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\(unmatched\)"[^}]*status="404"/)
    expect(text).toContain('process_cpu_user_seconds_total')
    expect(text).toContain('nodejs_heap_size_used_bytes')
  })

  it('writes one structured JSON log line per request, carrying its request id', async () => {
    const res = await app.request('/api/healthz', { headers: { 'X-Request-Id': 'req-123' } })
    expect(res.headers.get('X-Request-Id')).toBe('req-123')
    const line = lines.find((l) => l.requestId === 'req-123')
    expect(line).toMatchObject({ msg: 'request', method: 'GET', path: '/api/healthz', status: 200 })
    expect(line?.durationMs).toBeTypeOf('number')
  })
})

describe('error handler', () => {
  const { logger, lines } = memoryLogger()
  const app = new Hono()
  app.onError(errorHandler(logger))
  app.get('/app-error', () => {
    throw new AppError(409, 'notebook_conflict', 'The notebook changed meanwhile')
  })
  app.get('/not-found', () => {
    throw new NotFoundError('notebook', 'nb_1')
  })
  app.get('/crash', () => {
    throw new Error('password=hunter2 at /srv/secret/path.ts:12')
  })

  it('answers an AppError with its status and stable code', async () => {
    const res = await app.request('/app-error')
    expect(res.status).toBe(409)
    expect(await res.json()).toMatchObject({ code: 'notebook_conflict', message: 'The notebook changed meanwhile' })
  })

  it('answers a NotFoundError with a resource-specific code', async () => {
    const res = await app.request('/not-found')
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ code: 'notebook_not_found', message: 'No notebook with id nb_1' })
  })

  it('answers an unexpected error with 500 and no internals, and logs it', async () => {
    const res = await app.request('/crash')
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(JSON.parse(text)).toMatchObject({ code: 'internal_error', message: 'Internal server error' })
    expect(text).not.toContain('hunter2')
    expect(lines.some((l) => l.msg === 'unhandled error')).toBe(true)
  })
})
