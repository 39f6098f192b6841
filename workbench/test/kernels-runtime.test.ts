import { TABLE_MIME_TYPE } from '@workbench/kernels'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectClient, eventually } from './support/collab.ts'
import { startTestWorkbench, type TestWorkbench } from './support/workbench.ts'

const ADMIN = { email: 'admin@example.test', password: 'a long enough password' }

/** The execution API as `npm start` wires it: workspace DuckDB, the spawned Jupyter Server, live documents. */
describe('kernels in the running workbench', () => {
  let wb: TestWorkbench
  let token: string
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${wb.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }

  beforeAll(async () => {
    wb = await startTestWorkbench({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password })
    const res = await fetch(`${wb.url}/api/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    })
    token = ((await res.json()) as { accessToken: string }).accessToken
  })
  afterAll(async () => {
    await wb?.dispose()
  })

  it('runs SQL on the workspace database and Python on the spawned Jupyter, and executes notebooks into the document', async () => {
    const workspace = (await api('POST', '/workspaces', { name: 'runtime' })).body as { id: string }
    const notebook = (await api('POST', `/workspaces/${workspace.id}/notebooks`, { name: 'n' })).body as { id: string }
    const session = await api('POST', `/workspaces/${workspace.id}/kernels/sessions`, { notebookId: notebook.id })
    expect(session.status).toBe(201)
    const execute = (language: string, code: string) =>
      api('POST', `/workspaces/${workspace.id}/kernels/sessions/${session.body.id}/execute`, { language, code })
    expect((await execute('sql', 'CREATE TABLE kept AS SELECT 42 AS answer')).status).toBe(200)
    expect((await execute('python', 'print(1 + 1)')).body.outputs[0]).toMatchObject({ text: '2\n' })
    // The same file the contract-H accessor hands other modules.
    const db = await wb.workspaceDatabases.get(workspace.id)
    expect((await db.query('SELECT answer FROM kept')).rows).toEqual([[42]])

    const client = connectClient(
      `${wb.url.replace('http', 'ws')}/api/workspaces/${workspace.id}/notebooks`,
      notebook.id,
      token,
    )
    try {
      await client.synced()
      client.notebook.insertCell(0, {
        id: 'q',
        cell_type: 'code',
        source: '%%sql\nSELECT answer + 1 AS a FROM kept',
        metadata: { workbench: { type: 'sql', connection: 'duckdb' } },
      })
      await eventually(async () => {
        const run = await api('POST', `/workspaces/${workspace.id}/notebooks/${notebook.id}/execution/run`, {
          cellIds: ['q'],
        })
        expect(run.body.queued).toEqual(['q'])
      })
      await eventually(() => {
        const output = client.notebook.cells[0]?.toJSON().outputs as { data: Record<string, any> }[] | undefined
        expect(output?.[0]?.data[TABLE_MIME_TYPE].rows).toEqual([[43]])
      }, 60_000)
    } finally {
      client.destroy()
    }
  })
})
