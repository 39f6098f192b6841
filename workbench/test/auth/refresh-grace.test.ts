import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../src/auth/secrets.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { createIdentityFixture, type IdentityFixture, PASSWORD } from '../support/identity.ts'

describe.each(DATABASE_KINDS)('refresh token grace window on %s', (kind) => {
  let f: IdentityFixture
  let strict: IdentityFixture
  beforeAll(async () => {
    ;[f, strict] = await Promise.all([
      createIdentityFixture(kind),
      createIdentityFixture(kind, { env: { AUTH_REFRESH_REUSE_GRACE_SECONDS: '0' } }),
    ])
    await f.signUp('grace@example.com')
    await strict.signUp('grace@example.com')
  })
  afterAll(async () => {
    await f?.dispose()
    await strict?.dispose()
  })

  const signIn = async (fixture: IdentityFixture) => {
    const login = await fixture.client().post('/api/auth/token', { email: 'grace@example.com', password: PASSWORD })
    expect(login.status).toBe(200)
    return login.body.refreshToken as string
  }
  const age = (fixture: IdentityFixture, token: string, ms: number) =>
    fixture.db
      .updateTable('refresh_tokens')
      .set({ rotated_at: new Date(Date.now() - ms) })
      .where('token_hash', '=', hashSecret(token))
      .execute()

  it('lets two concurrent refreshes with one token both succeed, in the same session', async () => {
    const token = await signIn(f)
    const c = f.client()
    const [a, b] = await Promise.all([
      c.post('/api/auth/refresh', { refreshToken: token }),
      c.post('/api/auth/refresh', { refreshToken: token }),
    ])
    expect([a.status, b.status]).toEqual([200, 200])
    expect(a.body.refreshToken).not.toBe(b.body.refreshToken)
    // Both access tokens and both successors work: nothing was revoked.
    for (const answer of [a, b]) expect((await c.withBearer(answer.body.accessToken).get('/api/me')).status).toBe(200)
    const next = await Promise.all(
      [a, b].map((x) => c.post('/api/auth/refresh', { refreshToken: x.body.refreshToken })),
    )
    expect(next.map((x) => x.status)).toEqual([200, 200])
  })

  it('still treats a rotated token presented after the window as reuse and revokes the session', async () => {
    const token = await signIn(f)
    const c = f.client()
    const rotated = await c.post('/api/auth/refresh', { refreshToken: token })
    expect(rotated.status).toBe(200)
    // A second use inside the window is the other tab; the same token 11 s after rotation is a copy.
    expect((await c.post('/api/auth/refresh', { refreshToken: token })).status).toBe(200)
    await age(f, token, 11_000)
    const reuse = await c.post('/api/auth/refresh', { refreshToken: token })
    expect([reuse.status, reuse.body.code]).toEqual([401, 'refresh_token_reused'])
    const successor = await c.post('/api/auth/refresh', { refreshToken: rotated.body.refreshToken })
    expect([successor.status, successor.body.code]).toEqual([401, 'refresh_token_reused'])
    expect((await c.withBearer(rotated.body.accessToken).get('/api/me')).status).toBe(401)
  })

  it('gives no sibling for a session that was signed out', async () => {
    const token = await signIn(f)
    const c = f.client()
    const rotated = await c.post('/api/auth/refresh', { refreshToken: token })
    expect((await c.post('/api/auth/logout', { refreshToken: rotated.body.refreshToken })).status).toBe(204)
    const late = await c.post('/api/auth/refresh', { refreshToken: token })
    expect(late.status).toBe(401)
  })

  it('with the window set to 0, the concurrent second refresh is reuse (the old behaviour)', async () => {
    const token = await signIn(strict)
    const c = strict.client()
    const answers = await Promise.all([
      c.post('/api/auth/refresh', { refreshToken: token }),
      c.post('/api/auth/refresh', { refreshToken: token }),
    ])
    expect(answers.map((x) => x.status).sort()).toEqual([200, 401])
  })
})
