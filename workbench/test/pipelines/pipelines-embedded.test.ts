import { randomUUID } from 'node:crypto'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWebhookServer, waitFor } from '../../../orchestrator/test/support/pipeline-env.ts'
import { writeAllowedNetworks } from '../../src/connections/network-settings.ts'
import { runPostgresParams } from '../support/connections.ts'
import { TEST_SIGNING_KEY } from '../support/identity.ts'
import { createMembers } from '../support/members.ts'
import { startTestWorkbench, type TestWorkbench } from '../support/workbench.ts'
import { header, ORDERS_REPORT_NOTEBOOK, workspaceCaller } from './support.ts'

/** The runtime's wiring: API -> Temporal -> in-process worker -> run records in the metadata DB. */
describe('pipelines in embedded mode', () => {
  let workbench: TestWorkbench
  let webhooks: Awaited<ReturnType<typeof startWebhookServer>>

  beforeAll(async () => {
    webhooks = await startWebhookServer({
      '/ok': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    })
    workbench = await startTestWorkbench({ AUTH_JWT_SECRET: TEST_SIGNING_KEY })
    // The outbound policy refuses loopback in every mode: the tests' own servers are allow-listed.
    await writeAllowedNetworks(workbench.db.db, ['127.0.0.0/8'])
  })
  afterAll(async () => {
    await workbench?.dispose()
    await webhooks?.close()
  })

  it('runs a pipeline saved and triggered through the API, recorded by the in-process worker', async () => {
    const members = createMembers(workbench.db)
    const ws = await members.workspace()
    const { token } = await members.member(ws, 'editor')
    const api = workspaceCaller(workbench.app, ws, token)
    const created = await api('POST', '/pipelines', {
      yaml: `${header('embedded')}steps:\n  - { id: call, type: http, with: { url: '${webhooks.url}/ok' } }\n`,
    })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await api('POST', `/pipelines/${created.body.id}/runs`, {})
    expect(started.status).toBe(201)
    let detail: any
    await waitFor(
      async () => {
        detail = (await api('GET', `/pipeline-runs/${started.body.id}`)).body
        return detail.status === 'succeeded' && detail.steps[0]?.status === 'succeeded'
      },
      'the run to be recorded as succeeded',
      60_000,
    )
    expect(detail.steps[0]).toMatchObject({ stepId: 'call', attempts: 1, output: { status: 200, body: { ok: true } } })
  })

  it("runs sql, quality and notebook steps on the workspace's own DuckDB, where notebooks see their tables", async () => {
    const members = createMembers(workbench.db)
    const ws = await members.workspace()
    const { token } = await members.member(ws, 'editor')
    const call = workspaceCaller(workbench.app, ws, token)
    const imported = await call('POST', '/notebooks/import?name=report', JSON.stringify(ORDERS_REPORT_NOTEBOOK))
    expect(imported.status, JSON.stringify(imported.body)).toBe(201)
    const yaml = [
      `${header('workspace-data')}steps:`,
      "  - { id: load, type: sql, with: { sql: 'CREATE OR REPLACE TABLE orders AS SELECT range AS id FROM range(7)' } }",
      '  - id: check',
      '    type: quality',
      '    depends_on: [load]',
      '    with: { table: orders, checks: [{ row_count: { min: 7, max: 7 } }] }',
      '  - id: report',
      '    type: notebook',
      '    depends_on: [check]',
      `    with: { notebook: '${imported.body.id}', parameters: { factor: 3 } }`,
      '',
    ].join('\n')
    const created = await call('POST', '/pipelines', { yaml })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await call('POST', `/pipelines/${created.body.id}/runs`, {})
    expect(started.status).toBe(201)
    let detail: any
    await waitFor(
      async () => {
        detail = (await call('GET', `/pipeline-runs/${started.body.id}`)).body
        return ['succeeded', 'failed'].includes(detail.status)
      },
      'the run to finish',
      120_000,
    )
    expect(detail.status, JSON.stringify(detail)).toBe('succeeded')
    const report = detail.steps.find((s: any) => s.stepId === 'report')
    // The executed notebook is the step's artifact, listed with its name, kind, size and media type.
    expect(report.artifacts).toEqual([
      {
        name: 'executed.ipynb',
        kind: 'notebook',
        format: 'ipynb',
        size: expect.any(Number),
        mediaType: 'application/x-ipynb+json',
      },
    ])
    expect(report.output.artifact).toMatchObject({ name: 'executed.ipynb', format: 'ipynb' })
    // No server path in the API: it would tell callers the data folder's layout.
    expect(JSON.stringify(detail)).not.toContain(workbench.dataDir)
    expect(JSON.stringify(detail)).not.toContain('pipeline-artifacts')
    const logs = await call('GET', `/pipeline-runs/${started.body.id}/logs?limit=1000`)
    expect(JSON.stringify(logs.body)).not.toContain(workbench.dataDir)
    // Each step's own output is in the live log, not only its start and end: the SQL step's timing, each
    // notebook cell, its SQL result's row count and what it printed.
    const lines: string[] = logs.body.items.map((l: any) => `${l.stepId}: ${l.message}`)
    expect(lines).toContain('load: running SQL on duckdb')
    expect(
      lines.some((l) => /^load: \d+ rows? × \d+ columns? in \d+ ms$/.test(l)),
      lines.join('\n'),
    ).toBe(true)
    expect(
      lines.some((l) => /^report: cell \d+\/\d+ \(SQL\) started$/.test(l)),
      lines.join('\n'),
    ).toBe(true)
    expect(lines).toContain('report: 1 row × 1 column')
    expect(lines).toContain('report: total 21')
    expect(lines.indexOf('report: total 21')).toBeLessThan(
      lines.findIndex((l) => /^report: attempt 1 succeeded/.test(l)),
    )

    // Downloaded through the API, it shows the injected parameter applied to the SQL result.
    const artifactPath = `/pipeline-runs/${started.body.id}/steps/report/artifacts`
    const download = async (path: string, as = token, workspace = ws) =>
      workbench.app.request(`/api/workspaces/${workspace}${artifactPath}${path}`, {
        headers: { Authorization: `Bearer ${as}` },
      })
    const res = await download('/executed.ipynb')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-ipynb+json')
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="executed.ipynb"/)
    const executed = await res.text()
    expect(executed).toMatch(/total 21/)
    expect(executed.length).toBe(report.artifacts[0].size)
    // A viewer may download it too.
    const { token: viewer } = await members.member(ws, 'viewer')
    expect((await download('/executed.ipynb', viewer)).status).toBe(200)
    // Unknown names, names that climb out of the folder and another workspace's view of the run: not found.
    for (const name of ['/nope.ipynb', '/..%2F..%2Fworkspace.duckdb', '/%2E%2E', '/result.json']) {
      expect((await download(name)).status, name).toBe(404)
    }
    expect(((await (await download('/nope.ipynb')).json()) as { code: string }).code).toBe(
      'pipeline_artifact_not_found',
    )
    // Non-members learn nothing about a workspace: not found.
    expect((await download('/executed.ipynb', token, randomUUID())).status).toBe(404)
    const other = await members.workspace()
    const { token: otherEditor } = await members.member(other, 'editor')
    expect((await download('/executed.ipynb', otherEditor, other)).status).toBe(404)
    expect((await download('/executed.ipynb', otherEditor)).status).toBe(404)
    const unknownStep = await workbench.app.request(
      `/api/workspaces/${ws}/pipeline-runs/${started.body.id}/steps/check/artifacts/executed.ipynb`,
      { headers: { Authorization: `Bearer ${token}` } },
    )
    expect(unknownStep.status).toBe(404)

    // A recorded path that leads outside the workspace's artifact folder (directly or through a symlink) is never read.
    const artifactDir = path.join(workbench.dataDir, 'workspaces', ws, 'data', 'pipeline-artifacts')
    const link = path.join(artifactDir, 'escape.txt')
    symlinkSync(path.join(workbench.dataDir, 'workspaces', ws, 'data', 'workspace.duckdb'), link)
    const otherDir = path.join(workbench.dataDir, 'workspaces', other, 'data', 'pipeline-artifacts')
    mkdirSync(otherDir, { recursive: true })
    writeFileSync(path.join(otherDir, 'theirs.txt'), 'secret')
    const planted = [
      { name: 'escape.txt', path: link },
      { name: 'theirs.txt', path: path.join(otherDir, 'theirs.txt') },
      { name: 'climb.txt', path: `${artifactDir}/../workspace.duckdb` },
      { name: 'passwd', path: '/etc/passwd' },
    ]
    await workbench.db.db
      .updateTable('pipeline_step_runs')
      .set({ artifacts: JSON.stringify(planted) })
      .where('run_id', '=', started.body.id)
      .where('step_id', '=', 'report')
      .execute()
    for (const { name } of planted) expect((await download(`/${name}`)).status, name).toBe(404)

    // The table the pipeline wrote is in the workspace database that notebook sessions query.
    const session = await call('POST', '/kernels/sessions', { notebookId: imported.body.id })
    expect(session.status).toBe(201)
    const rows = await call('POST', `/kernels/sessions/${session.body.id}/execute`, {
      language: 'sql',
      code: 'SELECT count(*) AS n FROM orders',
    })
    expect(JSON.stringify(rows.body.outputs)).toMatch(/"rows":\[\["7"\]\]/)
  })

  it('records the lineage of sql steps (the run as producer) and of notebook SQL cells in the catalog', async () => {
    const members = createMembers(workbench.db)
    const ws = await members.workspace()
    const tokens = {
      editor: (await members.member(ws, 'editor')).token,
      admin: (await members.member(ws, 'admin')).token,
    }
    const call = async (method: string, path: string, body?: unknown, as: keyof typeof tokens = 'editor') => {
      const res = await workbench.app.request(`/api/workspaces/${ws}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens[as]}` },
        body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await res.text()
      return { status: res.status, body: (text ? JSON.parse(text) : null) as any }
    }
    const yaml = [
      `${header('lineage')}params: { factor: { type: integer, default: 3 } }`,
      'steps:',
      "  - { id: load, type: sql, with: { sql: 'CREATE OR REPLACE TABLE raw_orders AS SELECT range AS id, range * 2 AS amount FROM range(5)' } }",
      '  - id: derive',
      '    type: sql',
      '    depends_on: [load]',
      "    with: { sql: 'CREATE OR REPLACE TABLE order_totals AS SELECT id AS order_id, amount * {{ params.factor }} AS total FROM raw_orders' }",
      '',
    ].join('\n')
    const created = await call('POST', '/pipelines', { yaml })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await call('POST', `/pipelines/${created.body.id}/runs`, {})
    expect(started.status).toBe(201)
    await waitFor(
      async () => (await call('GET', `/pipeline-runs/${started.body.id}`)).body.status === 'succeeded',
      'the run to succeed',
      120_000,
    )

    // The steps wrote tables: the catalog rediscovers the workspace DuckDB by itself (no button, no catalog.refresh).
    await waitFor(
      async () =>
        (await call('GET', '/catalog/search?q=order_totals')).body.items.some((i: any) => i.name === 'order_totals'),
      'order_totals to be catalogued without starting a discovery',
      60_000,
    )

    // A notebook reads the pipeline's table in a SQL cell run through the execution API.
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        {
          id: 'top',
          cell_type: 'code',
          source: '%%sql\nCREATE TABLE top_orders AS SELECT order_id FROM order_totals WHERE total > 5',
          metadata: { workbench: { type: 'sql', connection: 'duckdb' } },
          outputs: [],
          execution_count: null,
        },
      ],
    }
    const imported = await call('POST', '/notebooks/import?name=top', JSON.stringify(notebook))
    expect(imported.status, JSON.stringify(imported.body)).toBe(201)
    const notebookId = imported.body.id
    expect((await call('POST', `/notebooks/${notebookId}/execution/run`, { cellIds: ['top'] })).status).toBe(202)

    // Discovery makes the tables assets; lineage and usage are then read through the catalog API.
    const sources = await call('GET', '/catalog/sources')
    const sourceId = sources.body.find((s: any) => s.kind === 'duckdb').id
    const assetOf = async (name: string) => {
      let hit: any
      await waitFor(
        async () => {
          const discovery = await call('POST', `/catalog/sources/${sourceId}/discover`, undefined, 'admin')
          await waitFor(
            async () => (await call('GET', `/catalog/runs/${discovery.body.runId}`)).body.status !== 'running',
            'discovery to finish',
            30_000,
          )
          hit = (await call('GET', `/catalog/search?q=${name}`)).body.items.find((i: any) => i.name === name)
          return hit !== undefined
        },
        `${name} to be catalogued`,
        60_000,
      )
      return hit.id as string
    }
    const totals = await assetOf('order_totals')
    await assetOf('top_orders')
    let graph: any
    await waitFor(
      async () => {
        graph = (await call('GET', `/catalog/assets/${totals}/lineage?column=total&direction=both`)).body
        return graph.edges.length > 0
      },
      'the lineage of order_totals.total',
      60_000,
    )
    const edge = (from: string, to: string) => graph.edges.find((e: any) => e.from === from && e.to === to)
    expect(edge('main.raw_orders.amount', 'main.order_totals.total')?.producers).toEqual([
      { kind: 'pipeline', id: created.body.id, version: started.body.id },
    ])
    // The notebook's filter on total is not lineage of top_orders' columns.
    expect(graph.edges).toHaveLength(1)
    const orderId = (await call('GET', `/catalog/assets/${totals}/lineage?column=order_id&direction=downstream`)).body
    expect(orderId.edges).toEqual([
      {
        from: 'main.order_totals.order_id',
        to: 'main.top_orders.order_id',
        producers: [{ kind: 'notebook', id: notebookId, version: expect.stringMatching(/^seq:\d+$/) }],
      },
    ])
    const usage = (await call('GET', `/catalog/assets/${totals}/usage`)).body
    expect(usage).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'pipeline', id: created.body.id, mode: 'write', count: 1 }),
        expect.objectContaining({ kind: 'notebook', id: notebookId, mode: 'read', count: 1 }),
      ]),
    )
  }, 240_000)

  it('runs sql steps on a workspace PostgreSQL connection named in the spec, read-only', async () => {
    const members = createMembers(workbench.db)
    const ws = await members.workspace()
    const { token } = await members.member(ws, 'editor')
    const api = workspaceCaller(workbench.app, ws, token)
    // Workspace admins manage connections; editors use them in pipelines.
    const admin = workspaceCaller(workbench.app, ws, (await members.member(ws, 'admin')).token)
    const connection = await admin('POST', '/connections', {
      name: 'erp',
      type: 'postgres',
      params: runPostgresParams(),
    })
    expect(connection.status, JSON.stringify(connection.body)).toBe(201)
    const run = async (name: string, sql: string) => {
      const yaml = `${header(name)}steps:\n  - { id: q, type: sql, with: { connection: erp, sql: "${sql}" } }\n`
      const created = await api('POST', '/pipelines', { yaml })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      const started = await api('POST', `/pipelines/${created.body.id}/runs`, {})
      let detail: any
      await waitFor(
        async () => {
          detail = (await api('GET', `/pipeline-runs/${started.body.id}`)).body
          return ['succeeded', 'failed'].includes(detail.status)
        },
        'the run to finish',
        60_000,
      )
      return detail
    }
    const read = await run('pg-read', 'SELECT 40 + 2 AS answer')
    expect(read.status, JSON.stringify(read)).toBe('succeeded')
    expect(read.steps[0].output).toMatchObject({ columns: ['answer'], rows: [{ answer: 42 }] })
    // The connection is not writable: a write fails the run with the database's own error, without retries.
    const write = await run('pg-write', 'CREATE TABLE pipeline_should_not_write (x int)')
    expect(write.status).toBe('failed')
    expect(write.steps[0]).toMatchObject({ status: 'failed', attempts: 1 })
    expect(JSON.stringify(write.steps[0].error)).toMatch(/read-only/)
  })
})

describe('catalog.refresh steps', () => {
  let workbench: TestWorkbench

  beforeAll(async () => {
    workbench = await startTestWorkbench({ AUTH_JWT_SECRET: TEST_SIGNING_KEY })
  })
  afterAll(async () => {
    await workbench?.dispose()
  })

  it('catalogues the tables a pipeline just loaded, and refuses an unknown source when the pipeline is saved', async () => {
    const members = createMembers(workbench.db)
    const ws = await members.workspace()
    const { token } = await members.member(ws, 'editor')
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await workbench.app.request(`/api${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      return { status: res.status, body: (await res.json()) as any }
    }

    // Editors get the step type in the published JSON Schema.
    const schema = await call('GET', '/pipeline-schema')
    expect(schema.status).toBe(200)
    expect(JSON.stringify(schema.body)).toContain('"catalog.refresh"')

    const unknown = await call('POST', `/workspaces/${ws}/pipelines`, {
      yaml: `${header('bad-refresh')}steps:\n  - { id: refresh, type: catalog.refresh, with: { sources: [Nowhere] } }\n`,
    })
    expect(unknown.status).toBe(400)
    expect(unknown.body.details.problems).toEqual([
      expect.objectContaining({ code: 'unknown_catalog_source', message: "unknown catalog source 'Nowhere'", line: 5 }),
    ])

    const yaml = [
      `${header('load-and-catalogue')}steps:`,
      "  - { id: load, type: sql, with: { sql: 'CREATE OR REPLACE TABLE refreshed_sales AS SELECT range AS id, range * 10 AS amount FROM range(3)' } }",
      "  - { id: refresh, type: catalog.refresh, depends_on: [load], with: { sources: ['Workspace DuckDB'] } }",
      '',
    ].join('\n')
    const created = await call('POST', `/workspaces/${ws}/pipelines`, { yaml })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await call('POST', `/workspaces/${ws}/pipelines/${created.body.id}/runs`, {})
    expect(started.status).toBe(201)
    let detail: any
    await waitFor(
      async () => {
        detail = (await call('GET', `/workspaces/${ws}/pipeline-runs/${started.body.id}`)).body
        return ['succeeded', 'failed'].includes(detail.status)
      },
      'the run to finish',
      120_000,
    )
    expect(detail.status, JSON.stringify(detail)).toBe('succeeded')
    const refresh = detail.steps.find((s: any) => s.stepId === 'refresh')
    expect(refresh.output.sources).toEqual([
      expect.objectContaining({ source: 'Workspace DuckDB', status: 'succeeded', failed: 0 }),
    ])
    expect(refresh.output.sources[0].added).toBeGreaterThanOrEqual(1)

    // The table is now found by catalog search, with its columns.
    const found = await call('GET', `/workspaces/${ws}/catalog/search?q=refreshed_sales`)
    expect(found.status).toBe(200)
    expect(found.body.items[0]).toMatchObject({ name: 'refreshed_sales', kind: 'table' })
    const logs = await call('GET', `/workspaces/${ws}/pipeline-runs/${started.body.id}/logs`)
    expect(JSON.stringify(logs.body)).toMatch(/Workspace DuckDB: \d+ objects \(\d+ new/)
  })
})
