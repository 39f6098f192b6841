import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWebhookServer, waitFor } from '../../../orchestrator/test/support/pipeline-env.ts'
import { TEST_SIGNING_KEY } from '../support/identity.ts'
import { createMembers } from '../support/members.ts'
import { startTestWorkbench, type TestWorkbench } from '../support/workbench.ts'
import { header } from './support.ts'

/** The runtime's wiring: API -> Temporal -> in-process worker -> run records in the metadata DB. */
describe('pipelines in embedded mode', () => {
  let workbench: TestWorkbench
  let webhooks: Awaited<ReturnType<typeof startWebhookServer>>

  beforeAll(async () => {
    webhooks = await startWebhookServer({
      '/ok': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    })
    workbench = await startTestWorkbench({ AUTH_JWT_SECRET: TEST_SIGNING_KEY })
  })
  afterAll(async () => {
    await workbench?.dispose()
    await webhooks?.close()
  })

  it('runs a pipeline saved and triggered through the API, recorded by the in-process worker', async () => {
    const members = createMembers(workbench.db)
    const ws = await members.workspace()
    const { token } = await members.member(ws, 'editor')
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await workbench.app.request(`/api/workspaces/${ws}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      return { status: res.status, body: (await res.json()) as any }
    }
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
    const call = async (method: string, path: string, body?: unknown, raw?: string) => {
      const res = await workbench.app.request(`/api/workspaces/${ws}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      })
      return { status: res.status, body: (await res.json()) as any }
    }
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: [
        {
          id: 'p',
          cell_type: 'code',
          source: 'factor = 1',
          metadata: { tags: ['parameters'] },
          outputs: [],
          execution_count: null,
        },
        {
          id: 'q',
          cell_type: 'code',
          source: '%%sql counts <<\nSELECT count(*) AS n FROM orders',
          metadata: { workbench: { type: 'sql', connection: 'duckdb', output: 'counts' } },
          outputs: [],
          execution_count: null,
        },
        {
          id: 'r',
          cell_type: 'code',
          source: "print('total', int(counts.n[0]) * factor)",
          metadata: {},
          outputs: [],
          execution_count: null,
        },
      ],
    }
    const imported = await call('POST', '/notebooks/import?name=report', undefined, JSON.stringify(notebook))
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
    // The executed notebook, saved as the step's artifact, shows the injected parameter applied to the SQL result.
    const executed = readFileSync(report.output.artifact.path, 'utf8')
    expect(executed).toMatch(/total 21/)

    // The table the pipeline wrote is in the workspace database that notebook sessions query.
    const session = await call('POST', '/kernels/sessions', { notebookId: imported.body.id })
    expect(session.status).toBe(201)
    const rows = await call('POST', `/kernels/sessions/${session.body.id}/execute`, {
      language: 'sql',
      code: 'SELECT count(*) AS n FROM orders',
    })
    expect(JSON.stringify(rows.body.outputs)).toMatch(/"rows":\[\["7"\]\]/)
  })
})
