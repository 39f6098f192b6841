import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../src/auth/secrets.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type Client, createIdentityFixture, type IdentityFixture } from '../support/identity.ts'

describe.each(DATABASE_KINDS)('personal API tokens on %s', (kind) => {
  let f: IdentityFixture
  let user: Client & { userId: string }
  beforeAll(async () => {
    f = await createIdentityFixture(kind)
    user = await f.signUp('dev@example.com')
  })
  afterAll(async () => f?.dispose())

  it('shows the secret once, stores only its hash, and lists tokens without it', async () => {
    const created = await user.post('/api/me/tokens', { name: 'ci', scope: 'write', expiresInDays: 30 })
    expect(created.status).toBe(201)
    expect(created.body.token).toMatch(/^wbt_/)
    expect(created.body.info).toMatchObject({ name: 'ci', scope: 'write', revoked: false })
    const row = await f.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', created.body.info.id)
      .executeTakeFirstOrThrow()
    expect(row.token_hash).toBe(hashSecret(created.body.token))
    expect(JSON.stringify(row)).not.toContain(created.body.token)
    const list = await user.get('/api/me/tokens')
    expect(list.body.tokens).toHaveLength(1)
    expect(list.text).not.toContain(created.body.token)
  })

  it('accepts tokens as Bearer; read tokens cannot write; tokens cannot manage tokens', async () => {
    const read = (await user.post('/api/me/tokens', { name: 'read', scope: 'read' })).body.token
    const write = (await user.post('/api/me/tokens', { name: 'write', scope: 'write' })).body.token
    const reader = f.client().withBearer(read)
    const writer = f.client().withBearer(write)
    expect((await reader.get('/api/me')).body.email).toBe('dev@example.com')
    const denied = await reader.post('/api/workspaces', { name: 'x' })
    expect([denied.status, denied.body.code]).toEqual([403, 'token_scope_insufficient'])
    expect((await writer.post('/api/workspaces', { name: 'x' })).status).toBe(201)
    const mint = await writer.post('/api/me/tokens', { name: 'more', scope: 'write' })
    expect([mint.status, mint.body.code]).toEqual([403, 'session_required'])
    const password = await writer.post('/api/me/password', { currentPassword: 'x', newPassword: 'y'.repeat(12) })
    expect([password.status, password.body.code]).toEqual([403, 'session_required'])
  })

  it('stops accepting revoked and expired tokens', async () => {
    const created = (await user.post('/api/me/tokens', { name: 'short', scope: 'read' })).body
    const c = f.client().withBearer(created.token)
    expect((await c.get('/api/me')).status).toBe(200)
    expect((await user.delete(`/api/me/tokens/${created.info.id}`)).status).toBe(204)
    const revoked = await c.get('/api/me')
    expect([revoked.status, revoked.body.code]).toEqual([401, 'invalid_token'])

    const expiring = (await user.post('/api/me/tokens', { name: 'old', scope: 'read', expiresInDays: 1 })).body
    await f.db
      .updateTable('api_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', expiring.info.id)
      .execute()
    const expired = await f.client().withBearer(expiring.token).get('/api/me')
    expect([expired.status, expired.body.code]).toEqual([401, 'invalid_token'])
  })

  it("cannot revoke someone else's token", async () => {
    const other = await f.signUp('other@example.com')
    const theirs = (await other.post('/api/me/tokens', { name: 'theirs', scope: 'read' })).body
    const res = await user.delete(`/api/me/tokens/${theirs.info.id}`)
    expect([res.status, res.body.code]).toEqual([404, 'api_token_not_found'])
    expect((await f.client().withBearer(theirs.token).get('/api/me')).status).toBe(200)
  })

  it('rejects bad token requests naming the field', async () => {
    const res = await user.post('/api/me/tokens', { name: 'x', scope: 'admin', expiresInDays: 9999 })
    expect(res.status).toBe(400)
    expect(res.body.details.fields.map((x: { field: string }) => x.field).sort()).toEqual(['expiresInDays', 'scope'])
  })
})
