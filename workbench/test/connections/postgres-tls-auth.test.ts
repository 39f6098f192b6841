import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ConnectionsFixture, createConnectionsFixture } from '../support/connections.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type PostgresServer, startPostgresServer } from '../support/postgres-server.ts'
import { createTestPki, type TestPki } from '../support/tls-certs.ts'

const PASSWORD = 'tls-server-password-42'
let server: PostgresServer
let pki: TestPki

beforeAll(async () => {
  pki = createTestPki()
  server = await startPostgresServer({ password: PASSWORD, tls: pki.server })
})
afterAll(() => server?.stop())

function params(extra: Record<string, unknown> = {}) {
  const url = new URL(server.url)
  return {
    host: '127.0.0.1',
    port: Number(url.port),
    database: 'postgres',
    user: 'postgres',
    password: PASSWORD,
    ...extra,
  }
}

describe.each(DATABASE_KINDS)('PostgreSQL with password auth and TLS (%s)', (kind) => {
  let x: ConnectionsFixture
  beforeAll(async () => {
    x = await createConnectionsFixture(kind)
    x.f.secrets.add(PASSWORD)
  })
  afterAll(async () => {
    await x?.dispose()
  })
  const test = (p: Record<string, unknown>) => x.as.admin.post(`${x.base}/test`, { type: 'postgres', params: p })

  it('a wrong password is authentication_failed, and creating with it saves nothing', async () => {
    const wrong = await test(params({ sslMode: 'require', password: 'not-it-at-all-1' }))
    expect(wrong.body.error.code).toBe('authentication_failed')
    const created = await x.as.admin.post(x.base, {
      name: 'Secure',
      type: 'postgres',
      params: params({ sslMode: 'require', password: 'not-it-at-all-1' }),
    })
    expect(created.status).toBe(422)
    expect(created.body.code).toBe('authentication_failed')
    expect((await x.as.viewer.get(x.base)).body.connections).toEqual([])
  })

  it('verify-full succeeds with the CA that signed the server certificate', async () => {
    const ok = await test(params({ sslMode: 'verify-full', caPem: pki.caPem }))
    expect(ok.body).toMatchObject({ ok: true })
    const saved = await x.as.admin.post(x.base, {
      name: 'Secure',
      type: 'postgres',
      params: params({ sslMode: 'verify-full', caPem: pki.caPem }),
    })
    expect(saved.status).toBe(201)
    expect(saved.body.connection.params).toMatchObject({ sslMode: 'verify-full', caPem: pki.caPem })
    expect((await x.as.admin.post(`${x.base}/${saved.body.connection.id}/test`)).body.ok).toBe(true)
  })

  it('verify-full with an untrusted CA is tls_failed; require does not check the certificate', async () => {
    const untrusted = await test(params({ sslMode: 'verify-full', caPem: pki.otherCaPem }))
    expect(untrusted.body.error.code).toBe('tls_failed')
    expect((await test(params({ sslMode: 'require' }))).body).toMatchObject({ ok: true })
  })

  it('verify-full checks the certificate against the host name the user typed', async () => {
    // The certificate names localhost and 127.0.0.1; a name that resolves there but is not on it fails.
    x.dns.answer = async () => [{ address: '127.0.0.1', family: 4 }]
    const res = await test(params({ host: 'db.test', sslMode: 'verify-full', caPem: pki.caPem }))
    expect(res.body.error.code).toBe('tls_failed')
    expect(res.body.error.message).toMatch(/db\.test/)
  })
})
