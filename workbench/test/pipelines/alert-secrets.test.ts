import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWebhookServer } from '../../../orchestrator/test/support/pipeline-env.ts'
import { createApp } from '../../src/app.ts'
import { generateKey } from '../../src/connections/secret-box.ts'
import { rotateMasterKey, WorkspaceKeys } from '../../src/connections/workspace-keys.ts'
import { signBody } from '../../src/pipelines/alerts.ts'
import { Pipelines } from '../../src/pipelines/pipelines-module.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { createMembers } from '../support/members.ts'
import { header } from './support.ts'

const SECRET = 'alert-signing-secret-0123456789'
const LEGACY = 'legacy-clear-secret-0123456789'
const simple = (name: string) =>
  `${header(name)}steps:\n  - { id: a, type: http, with: { url: 'http://127.0.0.1:9/x' } }\n`

describe.each(DATABASE_KINDS)('pipeline alert secrets on %s', (kind) => {
  let database: TestDatabase
  let masterKey = generateKey()
  let pipelines: Pipelines
  let app: ReturnType<typeof createApp>
  let ws: string
  let token: string
  let logged = ''
  let receiver: Awaited<ReturnType<typeof startWebhookServer>>

  // Every log line at every level, so the test can tell a secret never reaches the logs.
  const logger = pino(
    { level: 'trace' },
    new Writable({
      write(chunk, _encoding, done) {
        logged += String(chunk)
        done()
      },
    }),
  )
  const pipelinesWith = (key = masterKey) =>
    new Pipelines({
      db: database.db,
      logger,
      orchestrator: () => undefined,
      backgroundEveryMs: 0,
      keys: new WorkspaceKeys(() => database.db, key),
      alerts: { attempts: 1 },
    })
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(`/api/workspaces/${ws}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined }
  }
  const row = (id: string) =>
    database.db.selectFrom('pipelines').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  const alertSignature = async (pipelineId: string, dedupeKey: string) => {
    const before = receiver.requests.length
    await pipelines.alerts.raise({ pipelineId, runId: null, kind: 'failure', dedupeKey, message: 'broke' })
    await pipelines.alerts.settle()
    const request = receiver.requests[before]
    if (!request) throw new Error('no alert was delivered')
    return { signature: request.headers['x-workbench-signature'], body: request.body }
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    receiver = await startWebhookServer({ '/alert': (_req, res) => res.writeHead(204).end() })
    pipelines = pipelinesWith()
    const members = createMembers(database)
    ws = await members.workspace()
    token = (await members.member(ws, 'editor')).token
    app = createApp({
      identity: members.identity,
      logger,
      readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
      pipelines: () => pipelines,
    })
  })
  afterAll(async () => {
    await pipelines?.stop()
    await receiver?.close()
    await database?.dispose()
  })

  it('stores the secret sealed, never returns nor logs it, and signs alerts with it', async () => {
    const created = await api('POST', '/pipelines', {
      yaml: simple('sealed'),
      alertWebhookUrl: `${receiver.url}/alert`,
      alertSecret: SECRET,
    })
    expect(created.status).toBe(201)
    expect(created.body.alertSecretSet).toBe(true)
    const id = created.body.id
    const stored = await row(id)
    expect(stored.alert_secret).toBeNull()
    expect(stored.alert_secret_sealed).toMatch(/^v1\./)
    expect(JSON.stringify(stored)).not.toContain(SECRET)
    for (const path of [`/pipelines/${id}`, '/pipelines']) {
      const res = await api('GET', path)
      expect(res.status).toBe(200)
      expect(res.text).not.toContain(SECRET)
      expect(res.text).not.toContain(stored.alert_secret_sealed)
    }
    const alert = await alertSignature(id, 'a1')
    expect(alert.signature).toBe(signBody(SECRET, alert.body))

    // Replacing it re-seals; removing it leaves alerts unsigned.
    const replaced = await api('PATCH', `/pipelines/${id}/settings`, { alertSecret: `${SECRET}-2` })
    expect(replaced.body.alertSecretSet).toBe(true)
    const again = await alertSignature(id, 'a2')
    expect(again.signature).toBe(signBody(`${SECRET}-2`, again.body))
    const removed = await api('PATCH', `/pipelines/${id}/settings`, { alertSecret: null })
    expect(removed.body.alertSecretSet).toBe(false)
    expect((await row(id)).alert_secret_sealed).toBeNull()
    expect((await alertSignature(id, 'a3')).signature).toBeUndefined()
    expect(logged).not.toContain(SECRET)
    expect(logged).toContain('"method":"PATCH"')
  })

  it('seals secrets stored in clear before the upgrade, once, and keeps signing with them', async () => {
    const { id } = (
      await api('POST', '/pipelines', { yaml: simple('legacy'), alertWebhookUrl: `${receiver.url}/alert` })
    ).body
    await database.db.updateTable('pipelines').set({ alert_secret: LEGACY }).where('id', '=', id).execute()
    expect((await api('GET', `/pipelines/${id}`)).body.alertSecretSet).toBe(true)

    expect(await pipelines.sealClearSecrets()).toBe(1)
    expect(await pipelines.sealClearSecrets()).toBe(0)
    const stored = await row(id)
    expect(stored.alert_secret).toBeNull()
    expect(stored.alert_secret_sealed).not.toContain(LEGACY)
    const alert = await alertSignature(id, 'l1')
    expect(alert.signature).toBe(signBody(LEGACY, alert.body))
    expect(logged).not.toContain(LEGACY)
  })

  it('keeps sealed secrets usable across a master-key rotation; a sealed value moved to another pipeline does not open', async () => {
    const { id } = (
      await api('POST', '/pipelines', {
        yaml: simple('rotated'),
        alertWebhookUrl: `${receiver.url}/alert`,
        alertSecret: SECRET,
      })
    ).body
    const newKey = generateKey()
    await rotateMasterKey(database.db, masterKey, newKey)
    await pipelines.stop()
    masterKey = newKey
    pipelines = pipelinesWith(newKey)
    const alert = await alertSignature(id, 'r1')
    expect(alert.signature).toBe(signBody(SECRET, alert.body))

    const { id: other } = (
      await api('POST', '/pipelines', { yaml: simple('copied'), alertWebhookUrl: `${receiver.url}/alert` })
    ).body
    await database.db
      .updateTable('pipelines')
      .set({ alert_secret_sealed: (await row(id)).alert_secret_sealed })
      .where('id', '=', other)
      .execute()
    expect((await alertSignature(other, 'c1')).signature).toBeUndefined()
    expect(logged).toContain('cannot open the alert secret')
    expect(logged).not.toContain(SECRET)
  })

  it('refuses to store a secret when no data keys are configured', async () => {
    const keyless = new Pipelines({ db: database.db, logger, orchestrator: () => undefined, backgroundEveryMs: 0 })
    const previous = pipelines
    pipelines = keyless
    try {
      const res = await api('POST', '/pipelines', { yaml: simple('keyless'), alertSecret: SECRET })
      expect(res).toMatchObject({ status: 503, body: { code: 'secrets_unavailable' } })
    } finally {
      pipelines = previous
      await keyless.stop()
    }
  })
})
