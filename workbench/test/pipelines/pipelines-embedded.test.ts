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
})
