import { rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../../orchestrator/test/support/pipeline-env.ts'
import { workspaceCaller } from '../pipelines/support.ts'
import { startTestWorkbench, type TestWorkbench } from '../support/workbench.ts'

const ADMIN = { email: 'quota-admin@example.com', password: 'a long passphrase for quota tests' }
const QUOTA = 64 * 1024 ** 2

type Outputs = { output_type: string; text?: string; ename?: string; evalue?: string }[]

/**
 * The workspace disk quota holds while a kernel runs, not only when it starts: a sandboxed kernel that
 * writes past it loses its session, no kernel of that workspace starts until files are deleted, and other
 * workspaces are not affected. (The quota is about the workspace folder, not the metadata DB: PGlite only.)
 */
describe('workspace disk quota (sandboxed kernels)', () => {
  let wb: TestWorkbench
  let api1: ReturnType<typeof workspaceCaller>
  let api2: ReturnType<typeof workspaceCaller>
  let ws1Dir: string

  const openSession = async (api: typeof api1, name: string) => {
    const notebook = (await api('POST', '/notebooks', { name })).body.id
    return (await api('POST', '/kernels/sessions', { notebookId: notebook })).body.id as string
  }
  const exec = async (api: typeof api1, session: string, code: string) => {
    const res = await api('POST', `/kernels/sessions/${session}/execute`, { language: 'python', code })
    return { status: res.status, outputs: (res.body?.outputs ?? []) as Outputs }
  }

  beforeAll(async () => {
    wb = await startTestWorkbench({
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      KERNEL_WORKSPACE_QUOTA_BYTES: String(QUOTA),
      KERNEL_QUOTA_CHECK_MS: '200',
    })
    const login = await wb.app.request('/api/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    })
    const token = ((await login.json()) as { accessToken: string }).accessToken
    const workspace = async (name: string) => {
      const res = await wb.app.request('/api/workspaces', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ name }),
      })
      return ((await res.json()) as { id: string }).id
    }
    const ws1 = await workspace('quota-ws1')
    const ws2 = await workspace('quota-ws2')
    api1 = workspaceCaller(wb.app, ws1, token)
    api2 = workspaceCaller(wb.app, ws2, token)
    ws1Dir = path.join(wb.dataDir, 'workspaces', ws1, 'data')
  }, 180_000)
  afterAll(async () => {
    await wb?.dispose()
  })

  it('a kernel writing past the quota loses its session; no kernel starts until files are deleted', async () => {
    const session1 = await openSession(api1, 'writer')
    const session2 = await openSession(api2, 'neighbour')
    expect((await exec(api2, session2, 'print(6 * 7)')).outputs).toEqual([expect.objectContaining({ text: '42\n' })])

    const write = await exec(
      api1,
      session1,
      "with open('big.bin', 'wb') as f:\n    for _ in range(80):\n        f.write(b'x' * 1024 * 1024)\nprint('written')",
    )
    expect(write.outputs).toEqual([expect.objectContaining({ text: 'written\n' })])
    // Within a few checks the over-quota workspace's session is gone.
    await waitFor(
      async () => (await api1('GET', `/kernels/sessions/${session1}`)).status === 404,
      'the over-quota session to close',
      15_000,
    )

    // A new session of WS1 cannot start Python while the folder is over quota; the error says why.
    const retry = await openSession(api1, 'retry')
    const refused = await exec(api1, retry, 'print("should not run")')
    expect(refused.outputs).toEqual([
      expect.objectContaining({
        output_type: 'error',
        ename: 'KernelUnavailable',
        evalue: expect.stringMatching(/over its quota/),
      }),
    ])

    // The neighbour workspace never noticed.
    expect((await exec(api2, session2, 'print(6 * 7)')).outputs).toEqual([expect.objectContaining({ text: '42\n' })])

    // Deleting the file brings WS1 back.
    rmSync(path.join(ws1Dir, 'big.bin'))
    const back = await openSession(api1, 'back')
    expect((await exec(api1, back, 'print("back")')).outputs).toEqual([expect.objectContaining({ text: 'back\n' })])
  }, 120_000)
})
