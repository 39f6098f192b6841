import { sign } from 'hono/jwt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../src/auth/secrets.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { createIdentityFixture, type IdentityFixture, PASSWORD, TEST_SIGNING_KEY } from '../support/identity.ts'

describe.each(DATABASE_KINDS)('accounts and sessions on %s', (kind) => {
  let f: IdentityFixture
  beforeAll(async () => {
    f = await createIdentityFixture(kind)
  })
  afterAll(async () => f?.dispose())

  it('makes the first account instance admin, and later ones not', async () => {
    expect((await f.client().get('/api/auth/setup')).body).toEqual({ registration: 'open', needsFirstUser: true })
    const first = await f.signUp('First@Example.com')
    const second = await f.signUp('second@example.com')
    expect((await first.get('/api/me')).body).toMatchObject({ email: 'first@example.com', isInstanceAdmin: true })
    expect((await second.get('/api/me')).body).toMatchObject({ email: 'second@example.com', isInstanceAdmin: false })
    expect((await f.client().get('/api/auth/setup')).body.needsFirstUser).toBe(false)
    const again = await f
      .client()
      .post('/api/auth/register', { email: 'FIRST@example.com', name: 'x', password: PASSWORD })
    expect([again.status, again.body.code]).toEqual([409, 'email_taken'])
  })

  it('signs a browser in with httpOnly SameSite cookies and requires the CSRF header on writes', async () => {
    const c = f.client()
    const res = await c.post('/api/auth/login', { email: 'second@example.com', password: PASSWORD })
    expect(res.status).toBe(200)
    const cookies = res.headers.getSetCookie()
    const access = cookies.find((x) => x.startsWith('wb_access='))
    const refresh = cookies.find((x) => x.startsWith('wb_refresh='))
    expect(access).toMatch(/HttpOnly/)
    expect(access).toMatch(/SameSite=Lax/)
    expect(refresh).toMatch(/HttpOnly/)
    expect(refresh).toMatch(/SameSite=Strict/)
    expect(refresh).toMatch(/Path=\/api\/auth/)
    expect(res.body.csrfToken).toBe(c.cookies.get('wb_csrf'))
    expect(JSON.stringify(res.body)).not.toContain(c.cookies.get('wb_access'))

    expect((await c.get('/api/me')).status).toBe(200)
    c.sendCsrf = false
    const forged = await c.post('/api/workspaces', { name: 'No CSRF' })
    expect([forged.status, forged.body.code]).toEqual([403, 'csrf_failed'])
    c.sendCsrf = true
    expect((await c.post('/api/workspaces', { name: 'With CSRF' })).status).toBe(201)
  })

  it('refuses a write from a foreign Origin', async () => {
    const c = await f.signUp('origin@example.com')
    const res = await c.post('/api/workspaces', { name: 'x' }, { origin: 'https://evil.example' })
    expect([res.status, res.body.code]).toEqual([403, 'origin_not_allowed'])
  })

  it('gives API clients Bearer tokens; refresh rotates, and reusing a rotated token revokes the session', async () => {
    const c = f.client()
    const login = await c.post('/api/auth/token', { email: 'second@example.com', password: PASSWORD })
    expect(login.status).toBe(200)
    expect(login.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 })
    expect(login.headers.getSetCookie()).toEqual([])
    const bearer = c.withBearer(login.body.accessToken)
    expect((await bearer.get('/api/me')).body.email).toBe('second@example.com')

    const rotated = await c.post('/api/auth/refresh', { refreshToken: login.body.refreshToken })
    expect(rotated.status).toBe(200)
    expect(rotated.body.refreshToken).not.toBe(login.body.refreshToken)
    const newBearer = c.withBearer(rotated.body.accessToken)
    expect((await newBearer.get('/api/me')).status).toBe(200)

    // Past the grace window for concurrent refreshes (see refresh-grace.test.ts), a rotated token is reuse.
    await f.db
      .updateTable('refresh_tokens')
      .set({ rotated_at: new Date(Date.now() - 60_000) })
      .where('token_hash', '=', hashSecret(login.body.refreshToken))
      .execute()
    const reuse = await c.post('/api/auth/refresh', { refreshToken: login.body.refreshToken })
    expect([reuse.status, reuse.body.code]).toEqual([401, 'refresh_token_reused'])
    // The whole family is gone: the newest refresh token and the live access token both stop working.
    const afterReuse = await c.post('/api/auth/refresh', { refreshToken: rotated.body.refreshToken })
    expect([afterReuse.status, afterReuse.body.code]).toEqual([401, 'refresh_token_reused'])
    expect((await newBearer.get('/api/me')).status).toBe(401)
  })

  it('rotates the browser refresh cookie and signs out with logout', async () => {
    const c = f.client()
    await c.post('/api/auth/login', { email: 'second@example.com', password: PASSWORD })
    const before = c.cookies.get('wb_refresh')
    const refreshed = await c.post('/api/auth/refresh')
    expect(refreshed.status).toBe(200)
    expect(c.cookies.get('wb_refresh')).not.toBe(before)
    const access = c.cookies.get('wb_access') ?? ''
    expect((await c.post('/api/auth/logout')).status).toBe(204)
    expect(c.cookies.has('wb_access')).toBe(false)
    // The access token is refused at once, even though it has not expired.
    const stale = f.client().withBearer(access)
    expect([(await stale.get('/api/me')).status, (await stale.get('/api/me')).body.code]).toEqual([
      401,
      'invalid_token',
    ])
  })

  it('answers 401 with distinct codes for missing, forged, expired and malformed credentials', async () => {
    const user = await f.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'second@example.com')
      .executeTakeFirstOrThrow()
    const session = await f.identity.sessions.start(user.id)
    const now = Math.floor(Date.now() / 1000)
    const claims = { sub: user.id, sid: session.sessionId, typ: 'access' }
    const expired = await sign({ ...claims, iat: now - 7200, exp: now - 3600 }, TEST_SIGNING_KEY, 'HS256')
    const forged = await sign(
      { ...claims, iat: now, exp: now + 600 },
      'another-key-another-key-another-key-00',
      'HS256',
    )
    const forgedExpired = await sign(
      { ...claims, iat: now - 7200, exp: now - 3600 },
      'another-key-another-key-another-0',
      'HS256',
    )
    const cases: [string | undefined, string][] = [
      [undefined, 'authentication_required'],
      [expired, 'token_expired'],
      [forged, 'invalid_token'],
      [forgedExpired, 'invalid_token'],
      ['not.a.jwt', 'invalid_token'],
      ['wbt_unknown-token', 'invalid_token'],
    ]
    for (const [token, code] of cases) {
      const c = token ? f.client().withBearer(token) : f.client()
      const res = await c.get('/api/me')
      expect([res.status, res.body.code], String(token)).toEqual([401, code])
    }
    const basic = await f.client().get('/api/me', { authorization: 'Basic Zm9vOmJhcg==' })
    expect([basic.status, basic.body.code]).toEqual([401, 'invalid_token'])
    expect((await f.client().withBearer(session.accessToken).get('/api/me')).status).toBe(200)
  })

  it('gives an unknown email and a wrong password the same answer after the same hashing work', async () => {
    const c = f.client({ ip: '203.0.113.50' })
    const before = f.identity.passwords.verifications
    const unknown = await c.post('/api/auth/login', { email: 'nobody@example.com', password: 'wrong password!' })
    const afterUnknown = f.identity.passwords.verifications
    const wrong = await c.post('/api/auth/login', { email: 'second@example.com', password: 'wrong password!' })
    const afterWrong = f.identity.passwords.verifications
    expect(afterUnknown - before).toBe(1)
    expect(afterWrong - afterUnknown).toBe(1)
    expect(unknown.status).toBe(401)
    expect(wrong.status).toBe(401)
    const strip = (b: { requestId: string }) => ({ ...b, requestId: undefined })
    expect(strip(unknown.body)).toEqual(strip(wrong.body))
    expect(unknown.body.code).toBe('invalid_credentials')
  })

  it('slows a guesser spread over many IPs, but not the owner’s own client, and tells when to retry', async () => {
    // Signing up signs in: the owner's IP is trusted for the account from then on.
    const owner = await f.signUp('target@example.com', { ip: '203.0.113.77' })
    for (let i = 0; i < 20; i++) {
      const res = await f
        .client({ ip: `192.0.2.${i % 10}` })
        .post('/api/auth/login', { email: 'target@example.com', password: 'nope nope nope' })
      expect(res.status).toBe(401)
    }
    const slowed = await f
      .client({ ip: '192.0.2.99' })
      .post('/api/auth/login', { email: 'target@example.com', password: PASSWORD })
    expect([slowed.status, slowed.body.code]).toEqual([429, 'too_many_attempts'])
    expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(Number(slowed.headers.get('retry-after'))).toBeLessThanOrEqual(30)
    // The owner's client is not locked out by somebody else's failures.
    const own = await f
      .client({ ip: owner.ip })
      .post('/api/auth/login', { email: 'target@example.com', password: PASSWORD })
    expect(own.status).toBe(200)
    // An account that does not exist is throttled the same way, so the limiter reveals nothing.
    for (let i = 0; i < 20; i++)
      await f
        .client({ ip: `192.0.2.${i % 10}` })
        .post('/api/auth/login', { email: 'ghost@example.com', password: 'nope nope nope' })
    const ghost = await f
      .client({ ip: '192.0.2.98' })
      .post('/api/auth/login', { email: 'ghost@example.com', password: 'x' })
    expect([ghost.status, ghost.body.code]).toEqual([429, 'too_many_attempts'])
  })

  it('limits failed sign-ins per IP across accounts', async () => {
    const ip = '198.51.100.200'
    let last = 0
    for (let i = 0; i < 31; i++) {
      const res = await f
        .client({ ip })
        .post('/api/auth/login', { email: `spray${i}@example.com`, password: 'guess guess' })
      last = res.status
    }
    expect(last).toBe(429)
    const other = await f
      .client({ ip: '198.51.100.201' })
      .post('/api/auth/login', { email: 'second@example.com', password: PASSWORD })
    expect(other.status).toBe(200)
  })

  it('limits registration probes (taken emails) per IP', async () => {
    const ip = '198.51.100.150'
    const statuses: number[] = []
    for (let i = 0; i < 7; i++) {
      const res = await f
        .client({ ip })
        .post('/api/auth/register', { email: 'second@example.com', name: 'x', password: PASSWORD })
      statuses.push(res.status)
    }
    expect(statuses.slice(0, 5)).toEqual([409, 409, 409, 409, 409])
    expect(statuses.at(-1)).toBe(429)
  })

  it('refuses an expired refresh token', async () => {
    const login = await f.client().post('/api/auth/token', { email: 'second@example.com', password: PASSWORD })
    const sessionId = await f.identity.sessions.sessionOf(login.body.refreshToken)
    expect(sessionId).toEqual(expect.any(String))
    await f.db
      .updateTable('refresh_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('family_id', '=', sessionId ?? '')
      .execute()
    const res = await f.client().post('/api/auth/refresh', { refreshToken: login.body.refreshToken })
    expect([res.status, res.body.code]).toEqual([401, 'invalid_refresh_token'])
    // With its session expired, the access token stops working too.
    expect((await f.client().withBearer(login.body.accessToken).get('/api/me')).status).toBe(401)
  })

  it('rejects bad input with 400 naming the field', async () => {
    const c = f.client()
    const cases: [unknown, string][] = [
      [{ email: 'not-an-email', name: 'x', password: PASSWORD }, 'email'],
      [{ email: 'a@example.com', name: 'x', password: 'short' }, 'password'],
      [{ email: 'a@example.com', name: 'x'.repeat(101), password: PASSWORD }, 'name'],
      [{ email: 'a@example.com', name: 42, password: PASSWORD }, 'name'],
      [{ email: 'a@example.com', name: 'x', password: 'p'.repeat(257) }, 'password'],
    ]
    for (const [body, field] of cases) {
      const res = await c.post('/api/auth/register', body)
      expect(res.status).toBe(400)
      expect(res.body.code).toBe('validation_failed')
      expect(res.body.details.fields.map((x: { field: string }) => x.field)).toContain(field)
    }
    const malformed = await c.post('/api/auth/login', '{"email": ')
    expect(malformed.status).toBe(400)
  })

  it('changes a password: the current one is required, and other sessions end', async () => {
    const me = await f.signUp('changer@example.com')
    const other = f.client()
    await other.post('/api/auth/login', { email: 'changer@example.com', password: PASSWORD })
    const wrong = await me.post('/api/me/password', {
      currentPassword: 'not it at all',
      newPassword: 'a new long password',
    })
    expect([wrong.status, wrong.body.code]).toEqual([400, 'current_password_wrong'])
    const ok = await me.post('/api/me/password', { currentPassword: PASSWORD, newPassword: 'a new long password' })
    expect(ok.status).toBe(204)
    expect((await me.get('/api/me')).status).toBe(200)
    expect((await other.get('/api/me')).status).toBe(401)
    const login = await f
      .client()
      .post('/api/auth/login', { email: 'changer@example.com', password: 'a new long password' })
    expect(login.status).toBe(200)
  })

  it('lets instance admins list, disable and reset accounts', async () => {
    const admin = f.client()
    await admin.post('/api/auth/login', { email: 'first@example.com', password: PASSWORD })
    const victim = await f.signUp('victim@example.com')
    const list = await admin.get('/api/admin/users?q=victim')
    expect(list.body.users.map((u: { email: string }) => u.email)).toEqual(['victim@example.com'])
    expect(list.text).not.toMatch(/argon2|password_hash/)
    const disabled = await admin.patch(`/api/admin/users/${victim.userId}`, { disabled: true })
    expect(disabled.body.disabled).toBe(true)
    expect((await victim.get('/api/me')).status).toBe(401)
    const login = await f.client().post('/api/auth/login', { email: 'victim@example.com', password: PASSWORD })
    expect([login.status, login.body.code]).toEqual([401, 'invalid_credentials'])
    await admin.patch(`/api/admin/users/${victim.userId}`, { disabled: false })
    const reset = await admin.post(`/api/admin/users/${victim.userId}/reset-password`)
    expect(reset.status).toBe(200)
    const withTemp = await f
      .client()
      .post('/api/auth/login', { email: 'victim@example.com', password: reset.body.temporaryPassword })
    expect(withTemp.status).toBe(200)
    const self = await admin.patch(`/api/admin/users/${(await admin.get('/api/me')).body.id}`, { disabled: true })
    expect([self.status, self.body.code]).toEqual([409, 'cannot_disable_self'])
  })
})

describe.each(DATABASE_KINDS)('simultaneous first registrations on %s', (kind) => {
  let f: IdentityFixture
  beforeAll(async () => {
    f = await createIdentityFixture(kind)
  })
  afterAll(async () => f?.dispose())

  it('makes exactly one of them instance admin', async () => {
    const results = await Promise.all(
      ['a', 'b', 'c'].map((n) =>
        f
          .client({ ip: `192.0.2.${n.charCodeAt(0)}` })
          .post('/api/auth/register', { email: `${n}@example.com`, name: n, password: PASSWORD }),
      ),
    )
    expect(results.map((r) => r.status)).toEqual([201, 201, 201])
    expect(results.filter((r) => r.body.user.isInstanceAdmin)).toHaveLength(1)
  })
})

describe.each(DATABASE_KINDS)('first run and invite-only registration on %s', (kind) => {
  let f: IdentityFixture
  beforeAll(async () => {
    f = await createIdentityFixture(kind, {
      env: { REGISTRATION: 'invite-only', ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'root password 123' },
    })
  })
  afterAll(async () => f?.dispose())

  it('creates the configured admin once, and closes registration to people without an invitation', async () => {
    expect(await f.identity.users.ensureAdmin({ email: 'root@example.com', password: 'root password 123' })).toBe(true)
    expect(await f.identity.users.ensureAdmin({ email: 'root@example.com', password: 'root password 123' })).toBe(false)
    const admin = f.client()
    const login = await admin.post('/api/auth/login', { email: 'root@example.com', password: 'root password 123' })
    expect(login.body.user.isInstanceAdmin).toBe(true)
    expect((await f.client().get('/api/auth/setup')).body).toEqual({
      registration: 'invite-only',
      needsFirstUser: false,
    })

    const closed = await f
      .client()
      .post('/api/auth/register', { email: 'new@example.com', name: 'New', password: PASSWORD })
    expect([closed.status, closed.body.code]).toEqual([403, 'registration_closed'])

    const ws = await admin.post('/api/workspaces', { name: 'Team' })
    const invite = await admin.post(`/api/workspaces/${ws.body.id}/invitations`, {
      email: 'new@example.com',
      role: 'editor',
    })
    const token = invite.body.link.split('/#/invite/')[1]
    const mismatch = await f.client().post('/api/auth/register', {
      email: 'other@example.com',
      name: 'Other',
      password: PASSWORD,
      invitationToken: token,
    })
    expect([mismatch.status, mismatch.body.code]).toEqual([403, 'invitation_email_mismatch'])
    const invited = f.client()
    const reg = await invited.post('/api/auth/register', {
      email: 'new@example.com',
      name: 'New',
      password: PASSWORD,
      invitationToken: token,
    })
    expect(reg.status).toBe(201)
    expect(reg.body.user.isInstanceAdmin).toBe(false)
    expect((await invited.get('/api/workspaces')).body.workspaces).toMatchObject([{ id: ws.body.id, role: 'editor' }])
  })
})
