import { randomBytes } from 'node:crypto'
import { impactOf } from '@workbench/catalog'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../../orchestrator/test/support/pipeline-env.ts'
import { catalogDb } from '../../src/catalog/catalog-db.ts'
import { writeAllowedNetworks } from '../../src/connections/network-settings.ts'
import { header, workspaceCaller } from '../pipelines/support.ts'
import { runPostgresParams, runPostgresSql } from '../support/connections.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { TEST_SIGNING_KEY } from '../support/identity.ts'
import { createMembers } from '../support/members.ts'
import { type SupersetServer, startSupersetServer } from '../support/superset-server.ts'
import { startTestWorkbench, type TestWorkbench } from '../support/workbench.ts'
import { supersetAdminClient, supersetChart, supersetDashboard } from './helpers.ts'

let superset: SupersetServer
beforeAll(async () => {
  superset = await startSupersetServer()
}, 300_000)
afterAll(async () => {
  await superset?.stop()
})

/**
 * The whole loop with a real Superset: publish a workbench table, change it in a pipeline, and the
 * `superset.refresh` step makes Superset follow and says what changed.
 */
describe.each(DATABASE_KINDS)('Superset and pipelines end to end (%s)', (kind) => {
  let workbench: TestWorkbench
  let metadata: TestDatabase | undefined
  let api: ReturnType<typeof workspaceCaller>
  let ws: string
  const suffix = randomBytes(3).toString('hex')
  const sourceDb = `ss_e2e_${suffix}`
  // Superset's SQLite metadata keeps dataset table names unique across databases.
  const table = `sales_${suffix}`
  const spare = `spare_${suffix}`
  let supersetId: string
  let datasetId: number
  let chartId: number

  const runPipeline = async (name: string, steps: string[]) => {
    const created = await api('POST', '/pipelines', { yaml: `${header(name)}steps:\n${steps.join('\n')}\n` })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await api('POST', `/pipelines/${created.body.id}/runs`, {})
    expect(started.status, JSON.stringify(started.body)).toBe(201)
    let detail: any
    await waitFor(
      async () => {
        detail = (await api('GET', `/pipeline-runs/${started.body.id}`)).body
        return ['succeeded', 'failed'].includes(detail.status)
      },
      `the run of ${name} to finish`,
      180_000,
    )
    return detail
  }

  beforeAll(async () => {
    metadata = kind === 'postgres' ? await createTestDatabase('postgres') : undefined
    workbench = await startTestWorkbench({
      AUTH_JWT_SECRET: TEST_SIGNING_KEY,
      ...(metadata?.url ? { DATABASE_URL: metadata.url } : {}),
    })
    await writeAllowedNetworks(workbench.db.db, ['127.0.0.0/8'])
    await runPostgresSql(`CREATE DATABASE ${sourceDb}`)
    await runPostgresSql(
      `CREATE TABLE public.${table} (id int PRIMARY KEY, amount numeric(10,2), ordered_at date NOT NULL);
       COMMENT ON COLUMN public.${table}.amount IS 'Order total in EUR';
       INSERT INTO public.${table} VALUES (1, 10, '2026-01-01');
       CREATE TABLE public.${spare} (id int);`,
      sourceDb,
    )
    const members = createMembers(workbench.db)
    ws = await members.workspace()
    const { token } = await members.member(ws, 'admin')
    api = workspaceCaller(workbench.app, ws, token)
    const pg = await api('POST', '/connections', {
      name: 'Warehouse',
      type: 'postgres',
      params: runPostgresParams(sourceDb),
      writable: true,
    })
    expect(pg.status, JSON.stringify(pg.body)).toBe(201)
    const source = await api('POST', '/catalog/sources', { name: 'Warehouse', connectionId: pg.body.connection.id })
    expect(source.status, JSON.stringify(source.body)).toBe(201)
    await waitFor(
      async () => (await api('GET', `/catalog/runs/${source.body.runId}`)).body?.status === 'succeeded',
      'the warehouse to be catalogued',
      60_000,
    )
    const bi = await api('POST', '/connections', {
      name: 'BI',
      type: 'superset',
      params: { baseUrl: superset.url, ...superset.admin },
    })
    expect(bi.status, JSON.stringify(bi.body)).toBe(201)
    supersetId = bi.body.connection.id
  }, 400_000)
  afterAll(async () => {
    await workbench?.dispose()
    await metadata?.dispose()
    await runPostgresSql(`DROP DATABASE IF EXISTS ${sourceDb} WITH (FORCE)`)
  })

  it('publishes a table: database entry and dataset created, descriptions from the catalog, readable names', async () => {
    const res = await api('POST', `/superset/${supersetId}/publish`, {
      connection: 'Warehouse',
      schema: 'public',
      table,
      databaseName: `Warehouse ${suffix}`,
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ databaseCreated: true, datasetCreated: true, described: ['amount'] })
    datasetId = res.body.datasetId
    const client = supersetAdminClient(superset)
    const { result } = await client.get<{ result: { columns: any[] } }>(`/api/v1/dataset/${datasetId}`)
    const amount = result.columns.find((c) => c.column_name === 'amount')
    expect(amount).toMatchObject({ description: 'Order total in EUR', verbose_name: 'Amount' })
    expect(result.columns.find((c) => c.column_name === 'ordered_at')).toMatchObject({ verbose_name: 'Ordered at' })
    // Publishing again updates the same dataset.
    const again = await api('POST', `/superset/${supersetId}/publish`, {
      connection: 'Warehouse',
      schema: 'public',
      table,
    })
    expect(again.body).toMatchObject({ databaseCreated: false, datasetCreated: false, datasetId })
    const dashboard = await supersetDashboard(client, `Sales board ${suffix}`)
    chartId = await supersetChart(client, `Sales per day ${suffix}`, datasetId, { x_axis: 'ordered_at' }, [dashboard])
  })

  it('a pipeline adds a column; its superset.refresh step refreshes the dataset and reports the new column', async () => {
    const run = await runPipeline(`add-col-${kind}`, [
      `  - { id: alter, type: sql, with: { connection: Warehouse, sql: 'ALTER TABLE public.${table} ADD COLUMN region text' } }`,
      '  - { id: bi, type: superset.refresh, depends_on: [alter], with: { connection: BI, from_run: true } }',
    ])
    expect(run.status, JSON.stringify(run)).toBe('succeeded')
    const step = run.steps.find((s: any) => s.stepId === 'bi')
    expect(step.output.datasets).toEqual([
      expect.objectContaining({
        id: datasetId,
        status: 'refreshed',
        added: [{ name: 'region', type: 'TEXT' }],
        removed: [],
        changed: [],
        breaking: [],
      }),
    ])
    // The catalog shows when the dataset was last synced, and has the new column.
    const asset = await catalogDb(workbench.db.db)
      .selectFrom('catalog_assets')
      .select(['id', 'synced_at'])
      .where('workspace_id', '=', ws)
      .where('name', '=', `${table} #${datasetId}`)
      .executeTakeFirstOrThrow()
    expect(asset.synced_at).not.toBeNull()
    const columns = await catalogDb(workbench.db.db)
      .selectFrom('catalog_columns')
      .select('name')
      .where('asset_id', '=', asset.id)
      .execute()
    expect(columns.map((c) => c.name)).toContain('region')
    const detail = await api('GET', `/catalog/assets/${asset.id}`)
    expect(detail.body.syncedAt).toEqual(expect.any(String))
  })

  it('lineage reaches the chart and its dashboard from the workbench column', async () => {
    const impact = await impactOf(catalogDb(workbench.db.db), {
      workspaceId: ws,
      table: `public.${table}`,
      column: 'ordered_at',
    })
    const tables = impact.affected.map((n) => n.table)
    expect(tables).toContain(`superset.charts.sales per day ${suffix} #${chartId}`)
    expect(tables).toContainEqual(expect.stringMatching(new RegExp(`^superset\\.dashboards\\.sales board ${suffix}`)))
  })

  it("flags a type change of the chart's time column as breaking, and fails the step when told to", async () => {
    const run = await runPipeline(`retype-${kind}`, [
      `  - { id: alter, type: sql, with: { connection: Warehouse, sql: 'ALTER TABLE public.${table} ALTER COLUMN ordered_at TYPE text' } }`,
      `  - { id: bi, type: superset.refresh, depends_on: [alter], with: { connection: BI, tables: ['Warehouse:public.${table}'], on_breaking: fail } }`,
    ])
    expect(run.status).toBe('failed')
    const step = run.steps.find((s: any) => s.stepId === 'bi')
    expect(step.status).toBe('failed')
    expect(step.error).toMatch(
      new RegExp(`time column ordered_at changed type DATE → TEXT; used by Sales per day ${suffix}`),
    )
  })

  it('a dataset deleted in Superset is marked gone in the catalog instead of failing', async () => {
    const client = supersetAdminClient(superset)
    const published = await api('POST', `/superset/${supersetId}/publish`, {
      connection: 'Warehouse',
      schema: 'public',
      table: spare,
    })
    expect(published.status, JSON.stringify(published.body)).toBe(200)
    await client.delete(`/api/v1/dataset/${published.body.datasetId}`)
    const res = await api('POST', `/superset/${supersetId}/refresh`, { datasets: [published.body.datasetId] })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.datasets).toEqual([expect.objectContaining({ id: published.body.datasetId, status: 'gone' })])
    const tracked = await api('GET', `/superset/${supersetId}/datasets`)
    expect(tracked.body.datasets).toContainEqual(
      expect.objectContaining({ datasetId: published.body.datasetId, goneAt: expect.any(String) }),
    )
    const asset = await catalogDb(workbench.db.db)
      .selectFrom('catalog_assets')
      .select('gone_at')
      .where('workspace_id', '=', ws)
      .where('name', '=', `${spare} #${published.body.datasetId}`)
      .executeTakeFirstOrThrow()
    expect(asset.gone_at).not.toBeNull()
    // Told to fail instead: a stable code, and the report.
    const strict = await api('POST', `/superset/${supersetId}/refresh`, {
      datasets: [published.body.datasetId],
      onMissing: 'fail',
    })
    expect(strict.status).toBe(409)
    expect(strict.body.code).toBe('superset_dataset_gone')
  })

  it('a viewer cannot publish', async () => {
    const members = createMembers(workbench.db)
    const { token } = await members.member(ws, 'viewer')
    const viewer = workspaceCaller(workbench.app, ws, token)
    const res = await viewer('POST', `/superset/${supersetId}/publish`, {
      connection: 'Warehouse',
      schema: 'public',
      table,
    })
    expect(res.status).toBe(403)
  })
})
