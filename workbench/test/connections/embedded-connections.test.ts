import { statSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { masterKeyFile } from '../../src/connections/master-key.ts'
import { runPostgresParams } from '../support/connections.ts'
import { Client, PASSWORD } from '../support/identity.ts'
import { startTestWorkbench, type TestWorkbench } from '../support/workbench.ts'

/** The whole embedded workbench: a master key is generated into the data folder and survives restarts. */
describe('connections in embedded mode', () => {
  let wb: TestWorkbench | undefined
  afterAll(async () => {
    await wb?.dispose()
  })

  it('generates the master key (0600) on first start; saved secrets still open after a restart', async () => {
    wb = await startTestWorkbench()
    const file = masterKeyFile(wb.dataDir)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const keyBefore = statSync(file).mtimeMs

    const secrets = new Set<string>()
    const owner = new Client(wb.app, secrets, '127.0.0.1')
    expect(
      (await owner.post('/api/auth/register', { email: 'e@example.com', name: 'E', password: PASSWORD })).status,
    ).toBe(201)
    const workspaceId = (await owner.post('/api/workspaces', { name: 'Embedded' })).body.id as string
    const base = `/api/workspaces/${workspaceId}/connections`
    // Loopback is refused in every mode; the instance admin (the first account) allows it for a local database.
    const refused = await owner.post(base, { name: 'Local', type: 'postgres', params: runPostgresParams() })
    expect([refused.status, refused.body.code]).toEqual([422, 'destination_not_allowed'])
    const allowed = await owner.request('PUT', '/api/admin/connections/allowed-networks', { networks: ['127.0.0.0/8'] })
    expect(allowed.status).toBe(200)
    const created = await owner.post(base, { name: 'Local', type: 'postgres', params: runPostgresParams() })
    expect(created.status).toBe(201)
    const id = created.body.connection.id as string

    const dataDir = wb.dataDir
    await wb.dispose({ keepData: true })
    wb = await startTestWorkbench({}, { dataDir })
    expect(statSync(file).mtimeMs).toBe(keyBefore)
    const again = new Client(wb.app, secrets, '127.0.0.1')
    expect((await again.post('/api/auth/login', { email: 'e@example.com', password: PASSWORD })).status).toBe(200)
    const tested = await again.post(`${base}/${id}/test`)
    expect(tested.body).toMatchObject({ ok: true })
    expect((await again.get(`${base}/${id}`)).body.secrets).toEqual({ password: 'set' })
  }, 300_000)
})
