import { randomBytes } from 'node:crypto'
import { impactOf } from '@workbench/catalog'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogDb } from '../../src/catalog/catalog-db.ts'
import { SupersetClient, SupersetError } from '../../src/connections/types/superset/client.ts'
import { SupersetService } from '../../src/superset/superset-service.ts'
import {
  type ConnectionsFixture,
  createConnectionsFixture,
  runPostgresParams,
  runPostgresSql,
} from '../support/connections.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type SupersetServer, startSupersetServer } from '../support/superset-server.ts'
import { loopbackFetch, supersetAdminClient, supersetChart, supersetDashboard, supersetDatabase } from './helpers.ts'

let superset: SupersetServer
beforeAll(async () => {
  superset = await startSupersetServer()
}, 300_000)
afterAll(async () => {
  await superset?.stop()
})

describe('Superset client against a real Superset', () => {
  it('signs in, fetches the CSRF token with its session cookie and writes', async () => {
    const client = supersetAdminClient(superset)
    const db = await supersetDatabase(client, `csrf_${randomBytes(3).toString('hex')}`, 'postgres')
    expect(db).toBeGreaterThan(0)
  })

  it("shows Superset's own message for a write without the CSRF token", async () => {
    const stripping: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers)
      headers.delete('x-csrftoken')
      return loopbackFetch(input, { ...init, headers })
    }
    const client = new SupersetClient({ baseUrl: superset.url, auth: superset.admin, fetch: stripping })
    const err = await client.post('/api/v1/dashboard/', { dashboard_title: 'x' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SupersetError)
    expect(err).toMatchObject({ status: 400, code: 'superset_csrf' })
    expect((err as Error).message).toMatch(/The CSRF token is missing/)
  })

  it('answers 401, 404 and 422 with stable codes and the message Superset gave', async () => {
    const wrong = new SupersetClient({
      baseUrl: superset.url,
      auth: { username: 'admin', password: 'nope' },
      fetch: loopbackFetch,
    })
    await expect(wrong.get('/api/v1/me/')).rejects.toMatchObject({ status: 401, code: 'superset_unauthorized' })
    const client = supersetAdminClient(superset)
    const missing = await client.get('/api/v1/dataset/987654').catch((e: unknown) => e)
    expect(missing).toMatchObject({ status: 404, code: 'superset_not_found' })
    expect((missing as Error).message).toMatch(/Not found/i)
    const invalid = await client.post('/api/v1/dataset/', { table_name: 'x' }).catch((e: unknown) => e)
    expect(invalid).toMatchObject({ code: expect.stringMatching(/superset_invalid/) })
    expect((invalid as Error).message).toMatch(/database/i)
  })
})

describe.each(DATABASE_KINDS)('Superset connection and catalog (%s)', (kind) => {
  let x: ConnectionsFixture
  let service: SupersetService
  const suffix = randomBytes(3).toString('hex')
  const sourceDb = `ss_src_${suffix}`
  // Superset's SQLite metadata keeps a unique index on dataset table names (its migrations cannot drop it there).
  const table = `orders_${suffix}`
  let pgConnectionId: string
  let supersetConnectionId: string
  const charts: Record<string, number> = {}
  let datasetId: number

  beforeAll(async () => {
    x = await createConnectionsFixture(kind, { timeoutMs: 20_000 })
    service = new SupersetService({ db: x.f.db, connections: () => x.service, logger: pino({ level: 'silent' }) })
    await runPostgresSql(`CREATE DATABASE ${sourceDb}`)
    await runPostgresSql(
      `CREATE TABLE public.${table} (id int PRIMARY KEY, amount numeric(10,2) NOT NULL, ordered_at date NOT NULL);
       INSERT INTO public.${table} VALUES (1, 10.5, '2026-01-01'), (2, 20, '2026-01-02');`,
      sourceDb,
    )
    const pg = await x.as.admin.post(x.base, {
      name: 'Warehouse',
      type: 'postgres',
      params: runPostgresParams(sourceDb),
    })
    expect(pg.status).toBe(201)
    pgConnectionId = pg.body.connection.id
    // Superset reads the same PostgreSQL database through its own database entry.
    const client = supersetAdminClient(superset)
    const databaseId = await supersetDatabase(client, `warehouse_${suffix}`, sourceDb)
    const ds = await client.post<{ id: number }>('/api/v1/dataset/', {
      database: databaseId,
      schema: 'public',
      table_name: table,
    })
    datasetId = ds.id
    const dashboard = await supersetDashboard(client, `Sales ${suffix}`)
    charts.line = await supersetChart(client, `Orders by day ${suffix}`, datasetId, { x_axis: 'ordered_at' }, [
      dashboard,
    ])
  }, 120_000)
  afterAll(async () => {
    await x?.dispose()
    await runPostgresSql(`DROP DATABASE IF EXISTS ${sourceDb} WITH (FORCE)`)
  })

  it('tests a superset connection: version, user, roles and permissions', async () => {
    const res = await x.as.admin.post(`${x.base}/test`, {
      type: 'superset',
      params: { baseUrl: superset.url, ...superset.admin },
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ ok: true, serverVersion: 'Apache Superset 6.1.0' })
    expect(res.body.details).toMatchObject({ user: 'admin', roles: ['Admin'] })
    expect(res.body.details.permissions).toContain('can_write on Dataset')
  })

  it("refuses a wrong password with Superset's message, and nothing is saved", async () => {
    const res = await x.as.admin.post(x.base, {
      name: 'Bad BI',
      type: 'superset',
      params: { baseUrl: superset.url, username: 'admin', password: 'wrong' },
    })
    expect(res.status).toBe(422)
    expect(res.body.code).toBe('authentication_failed')
    expect(res.body.message).toMatch(/401/)
    const list = await x.as.admin.get(x.base)
    expect(list.body.connections ?? list.body).not.toContainEqual(expect.objectContaining({ name: 'Bad BI' }))
  })

  it('catalogues databases, datasets, charts and dashboards with lineage from the workbench table', async () => {
    const res = await x.as.admin.post(x.base, {
      name: 'BI',
      type: 'superset',
      params: { baseUrl: superset.url, ...superset.admin },
    })
    expect(res.status).toBe(201)
    expect(res.body.connection.secrets).toEqual({ password: 'set', accessToken: 'unset' })
    supersetConnectionId = res.body.connection.id
    const sync = await service.sync(x.workspaceId, 'BI', null)
    expect(sync.discovery.status).toBe('succeeded')
    expect(sync.matched).toContainEqual({ datasetId, table: `public.${table}` })
    const assets = await catalogDb(x.f.db)
      .selectFrom('catalog_assets')
      .select(['schema_name', 'name', 'kind'])
      .where('source_id', '=', sync.sourceId)
      .execute()
    expect(assets).toContainEqual({ schema_name: 'superset.datasets', name: `${table} #${datasetId}`, kind: 'table' })
    expect(assets).toContainEqual(
      expect.objectContaining({ schema_name: 'superset.charts', name: `Orders by day ${suffix} #${charts.line}` }),
    )
    expect(assets).toContainEqual(expect.objectContaining({ schema_name: 'superset.dashboards' }))
    const columns = await catalogDb(x.f.db)
      .selectFrom('catalog_columns as c')
      .innerJoin('catalog_assets as a', 'a.id', 'c.asset_id')
      .select(['c.name'])
      .where('a.source_id', '=', sync.sourceId)
      .where('a.name', '=', `${table} #${datasetId}`)
      .execute()
    expect(columns.map((c) => c.name).sort()).toEqual(['amount', 'id', 'ordered_at'])
  })

  it('impact analysis from a workbench column reaches the Superset chart and dashboard', async () => {
    const impact = await impactOf(catalogDb(x.f.db), {
      workspaceId: x.workspaceId,
      table: `public.${table}`,
      column: 'amount',
    })
    const tables = impact.affected.map((n) => n.table)
    expect(tables).toContain(`superset.datasets.${table} #${datasetId}`)
    expect(tables).toContain(`superset.charts.orders by day ${suffix} #${charts.line}`.toLowerCase())
    expect(tables).toContainEqual(expect.stringMatching(new RegExp(`^superset\\.dashboards\\.sales ${suffix}`)))
    expect(impact.producers).toContainEqual({ kind: 'superset', id: supersetConnectionId })
    void pgConnectionId
  })
})
