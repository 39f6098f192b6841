import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASE_KINDS } from '../support/databases.ts'
import { createIdentityFixture, findSecrets, type IdentityFixture, PASSWORD } from '../support/identity.ts'

describe('security headers and CORS', () => {
  let f: IdentityFixture
  beforeAll(async () => {
    f = await createIdentityFixture('pglite', {
      env: { CORS_ORIGINS: 'https://app.example.com, https://bi.example.com' },
    })
  })
  afterAll(async () => f?.dispose())

  it('sends CSP with frame-ancestors, nosniff and no HSTS over plain HTTP', async () => {
    const res = await f.client().get('/api/healthz', { 'x-forwarded-proto': 'http' })
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/)
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('strict-transport-security')).toBeNull()
  })

  it('sends HSTS when the client came over TLS through the trusted proxy', async () => {
    const res = await f.client().get('/api/healthz', { 'x-forwarded-proto': 'https' })
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/)
  })

  it('answers CORS only for allow-listed origins', async () => {
    const preflight = await f.client().request('OPTIONS', '/api/me', undefined, {
      origin: 'https://app.example.com',
      'access-control-request-method': 'POST',
    })
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true')
    const foreign = await f.client().get('/api/healthz', { origin: 'https://evil.example' })
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
    const allowedWrite = await f
      .client()
      .post('/api/auth/login', { email: 'x@example.com', password: 'y' }, { origin: 'https://bi.example.com' })
    expect(allowedWrite.status).toBe(401)
  })
})

describe('origin checks', () => {
  let f: IdentityFixture
  beforeAll(async () => {
    f = await createIdentityFixture('pglite')
  })
  afterAll(async () => f?.dispose())

  it('refuses cross-site WebSocket upgrades, which browsers send with cookies', async () => {
    const upgrade = { upgrade: 'websocket', connection: 'Upgrade', origin: 'https://evil.example' }
    const res = await f.client().get('/api/healthz', upgrade)
    expect([res.status, res.body.code]).toEqual([403, 'origin_not_allowed'])
    const same = await f.client().get('/api/healthz', { ...upgrade, origin: 'http://localhost' })
    expect(same.status).toBe(200)
  })
})

describe.each(DATABASE_KINDS)('secrets stay out of logs and answers on %s', (kind) => {
  let f: IdentityFixture
  beforeAll(async () => {
    f = await createIdentityFixture(kind)
  })
  afterAll(async () => f?.dispose())

  it('logs every step of every credential flow at trace level without a secret', async () => {
    const owner = await f.signUp('owner@example.com')
    const ws = (await owner.post('/api/workspaces', { name: 'W' })).body.id
    const inv = await owner.post(`/api/workspaces/${ws}/invitations`, { email: 'guest@example.com', role: 'viewer' })
    const token = inv.body.link.split('/#/invite/')[1]
    await f.client().post('/api/invitations/lookup', { token })
    const guest = f.client()
    await guest.post('/api/auth/register', {
      email: 'guest@example.com',
      name: 'G',
      password: PASSWORD,
      invitationToken: token,
    })
    const api = await f.client().post('/api/auth/token', { email: 'owner@example.com', password: PASSWORD })
    await f.client().post('/api/auth/refresh', { refreshToken: api.body.refreshToken })
    await f.client().post('/api/auth/refresh', { refreshToken: api.body.refreshToken })
    await f.client().post('/api/auth/login', { email: 'owner@example.com', password: 'a wrong password' })
    const pat = await owner.post('/api/me/tokens', { name: 'p', scope: 'read' })
    await f.client().withBearer(pat.body.token).get('/api/me')
    await f.client().withBearer(`${pat.body.token}x`).get('/api/me')
    await owner.post('/api/me/password', { currentPassword: PASSWORD, newPassword: 'another long password' })
    await f.client().post('/api/auth/register', '{"password": "half a body')

    expect(f.logs.length).toBeGreaterThan(10)
    const hashes = await f.db.selectFrom('users').select('password_hash').execute()
    const secrets = new Set([
      ...f.secrets,
      ...hashes.map((h) => h.password_hash),
      'another long password',
      `${pat.body.token}x`,
    ])
    expect(findSecrets(f.logs, secrets)).toEqual([])
    // Nor does any answer carry a password hash.
    const me = await owner.get('/api/me')
    expect(me.text).not.toMatch(/argon2|password/i)
  })
})
