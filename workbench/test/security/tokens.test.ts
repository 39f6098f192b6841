import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sign } from 'hono/jwt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveSigningKey } from '../../src/auth/signing-key.ts'
import { masterKeyFile, resolveMasterKey } from '../../src/connections/master-key.ts'
import { generateKey } from '../../src/connections/secret-box.ts'
import { openDatabase } from '../../src/db/database.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type Client, createIdentityFixture, type IdentityFixture } from '../support/identity.ts'

const mode = (file: string) => statSync(file).mode & 0o777

/**
 * Escape suite, keys and tokens (issue #14, finding 1 and build item 2): with the instance's real
 * signing key an attacker mints a token for the admin naming his own session; a disabled account is
 * refused on every kind of credential at once; key files and the metadata folder are private to the
 * server's uid, also when an older install left them readable.
 */
describe.each(DATABASE_KINDS)('access tokens and credentials on %s', (kind) => {
  let f: IdentityFixture
  let dataDir: string
  let signingKey: string
  let admin: Client & { userId: string }
  let attacker: Client & { userId: string }

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'wb-tokens-'))
    // The key as embedded mode keeps it in the data folder: what a kernel escape would have read.
    signingKey = await resolveSigningKey(undefined, dataDir)
    f = await createIdentityFixture(kind, { env: { AUTH_JWT_SECRET: signingKey } })
    f.secrets.add(signingKey)
    admin = await f.signUp('admin@example.com')
    attacker = await f.signUp('mallory@example.com')
  })
  afterAll(async () => {
    await f?.dispose()
    rmSync(dataDir, { recursive: true, force: true })
  })

  const sessionOf = async (userId: string) =>
    (
      await f.db
        .selectFrom('refresh_tokens')
        .select('family_id')
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).family_id
  const mint = (claims: Record<string, unknown>) => {
    const now = Math.floor(Date.now() / 1000)
    return sign({ typ: 'access', iat: now, exp: now + 600, ...claims }, signingKey, 'HS256')
  }

  it('refuses a token minted for the admin with the attacker’s own live session', async () => {
    const forged = await mint({ sub: admin.userId, sid: await sessionOf(attacker.userId) })
    const me = await f.client().withBearer(forged).get('/api/me')
    expect([me.status, me.body.code]).toEqual([401, 'invalid_token'])
    const users = await f.client().withBearer(forged).get('/api/admin/users')
    expect(users.status).toBe(401)
    // The same key and the attacker's own subject still work: it is the pairing that is refused.
    const own = await f
      .client()
      .withBearer(await mint({ sub: attacker.userId, sid: await sessionOf(attacker.userId) }))
      .get('/api/me')
    expect([own.status, own.body.user?.id ?? own.body.id]).toEqual([200, attacker.userId])
  })

  it('refuses minted tokens with a made-up or malformed session id (401, never 500)', async () => {
    for (const sid of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "x' or 1=1 --", ''])
      expect(
        (
          await f
            .client()
            .withBearer(await mint({ sub: admin.userId, sid }))
            .get('/api/me')
        ).status,
      ).toBe(401)
    expect(
      (
        await f
          .client()
          .withBearer(await mint({ sub: 'admin', sid: await sessionOf(admin.userId) }))
          .get('/api/me')
      ).status,
    ).toBe(401)
  })

  it('refuses a disabled account at once on cookies, access tokens, API tokens and refresh', async () => {
    const victim = await f.signUp('victim@example.com')
    const pair = await f
      .client()
      .post('/api/auth/token', { email: 'victim@example.com', password: 'correct horse battery staple' })
    expect(pair.status).toBe(200)
    const apiToken = await victim.post('/api/me/tokens', { name: 'ci', scope: 'write', expiresInDays: 30 })
    expect(apiToken.status).toBe(201)
    const bearer = f.client().withBearer(pair.body.accessToken)
    const tokenClient = f.client().withBearer(apiToken.body.token)
    for (const c of [victim, bearer, tokenClient]) expect((await c.get('/api/me')).status).toBe(200)

    // Disabled straight in the database, as another API server (or an operator) would: no cache may answer.
    await f.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', victim.userId).execute()
    for (const c of [victim, bearer, tokenClient]) expect((await c.get('/api/me')).status).toBe(401)
    const refreshed = await f.client().post('/api/auth/refresh', { refreshToken: pair.body.refreshToken })
    expect(refreshed.status).toBe(401)
    const cookieRefresh = await victim.post('/api/auth/refresh')
    expect(cookieRefresh.status).toBe(401)
    const login = await f
      .client()
      .post('/api/auth/login', { email: 'victim@example.com', password: 'correct horse battery staple' })
    expect(login.status).toBe(401)

    // Through the admin API too: the sessions are revoked, so re-enabling does not revive them.
    await f.db.updateTable('users').set({ disabled_at: null }).where('id', '=', victim.userId).execute()
    expect((await bearer.get('/api/me')).status).toBe(200)
    const disabled = await admin.patch(`/api/admin/users/${victim.userId}`, { disabled: true })
    expect(disabled.status).toBe(200)
    for (const c of [victim, bearer, tokenClient]) expect((await c.get('/api/me')).status).toBe(401)
  })
})

describe('key files and the metadata folder', () => {
  let dataDir: string
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'wb-keyfiles-'))
  })
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('creates the signing key and master key 0600 in a 0700 folder, whatever the umask', async () => {
    const fresh = path.join(dataDir, 'fresh')
    const previous = process.umask(0)
    try {
      await resolveSigningKey(undefined, fresh)
      await resolveMasterKey(undefined, fresh, { required: false })
    } finally {
      process.umask(previous)
    }
    expect(mode(path.join(fresh, 'secrets'))).toBe(0o700)
    expect(mode(path.join(fresh, 'secrets', 'jwt-signing.key'))).toBe(0o600)
    expect(mode(masterKeyFile(fresh))).toBe(0o600)
  })

  it('tightens world-readable key files and folders left by an older install at start', async () => {
    const old = path.join(dataDir, 'old')
    const secrets = path.join(old, 'secrets')
    mkdirSync(secrets, { recursive: true })
    chmodSync(secrets, 0o755)
    const signing = path.join(secrets, 'jwt-signing.key')
    writeFileSync(signing, 'k'.repeat(64), { mode: 0o644 })
    writeFileSync(masterKeyFile(old), `${generateKey().key.toString('base64')}\n`, { mode: 0o644 })
    chmodSync(signing, 0o644)
    chmodSync(masterKeyFile(old), 0o644)

    expect(await resolveSigningKey(undefined, old)).toBe('k'.repeat(64))
    await resolveMasterKey(undefined, old, { required: false })
    expect(mode(secrets)).toBe(0o700)
    expect(mode(signing)).toBe(0o600)
    expect(mode(masterKeyFile(old))).toBe(0o600)
  })

  it('keeps the embedded metadata database folder private to the server', async () => {
    const metadata = path.join(dataDir, 'metadata')
    mkdirSync(metadata, { recursive: true })
    chmodSync(metadata, 0o755)
    const db = await openDatabase({ kind: 'pglite', dataDir: metadata })
    try {
      expect(mode(metadata)).toBe(0o700)
    } finally {
      await db.close()
    }
  })
})
