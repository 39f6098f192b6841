import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ConnectionsFixture, createConnectionsFixture, runPostgresParams } from '../support/connections.ts'
import { DATABASE_KINDS } from '../support/databases.ts'

/**
 * An attacker's "database": answers every PostgreSQL startup with AuthenticationCleartextPassword, so
 * a client that connects sends the stored password in clear. Records every byte it receives.
 */
async function passwordCatcher(): Promise<{ port: number; received(): string; close(): Promise<void> }> {
  const chunks: Buffer[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    let answered = false
    socket.on('data', (data) => {
      chunks.push(data)
      // SSLRequest (8 bytes, code 80877103): refuse TLS so the client goes on in clear.
      if (data.length === 8 && data.readInt32BE(4) === 80877103) return void socket.write('N')
      if (!answered) {
        answered = true
        const auth = Buffer.alloc(9)
        auth.write('R', 0)
        auth.writeInt32BE(8, 1)
        auth.writeInt32BE(3, 5) // cleartext password, please
        socket.write(auth)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => Buffer.concat(chunks).toString('latin1'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/**
 * Finding 6 of issue 14: an editor PATCHed a saved connection to a host of theirs without re-entering
 * the password (or called `…/test` with new params), and the stored password was sent there in clear.
 * Now changing where a secret goes requires the secret again, only admins manage connections, and the
 * attacker's listener receives nothing.
 */
describe.each(DATABASE_KINDS)('connection secrets cannot be redirected (%s)', (kind) => {
  let x: ConnectionsFixture
  let catcher: Awaited<ReturnType<typeof passwordCatcher>>
  let id: string
  const secret = runPostgresParams().password

  beforeAll(async () => {
    // Loopback is allow-listed (the fixture's default), so the listener would be reachable: only the
    // secret rule stands between the stored password and it.
    x = await createConnectionsFixture(kind, { timeoutMs: 2_000 })
    catcher = await passwordCatcher()
    const created = await x.as.admin.post(x.base, { name: 'Warehouse', type: 'postgres', params: runPostgresParams() })
    expect(created.status, created.text).toBe(201)
    id = created.body.connection.id
  })
  afterAll(async () => {
    await catcher?.close()
    await x?.dispose()
  })

  const stored = async () =>
    x.f.db.selectFrom('connections').select(['params', 'secrets']).where('id', '=', id).executeTakeFirstOrThrow()

  it('PATCHing the host to an attacker listener without the password is refused; the listener receives nothing', async () => {
    const before = await stored()
    for (const params of [
      { host: '127.0.0.1', port: catcher.port },
      { port: catcher.port },
      { host: 'localhost', port: catcher.port },
    ]) {
      const res = await x.as.admin.patch(`${x.base}/${id}`, { params, saveAnyway: true })
      expect(res.status, res.text).toBe(400)
      expect(res.body.code).toBe('secret_required')
      expect(res.body.details.fields.map((f: { field: string }) => f.field)).toEqual(['params.password'])
    }
    // Other target fields move the secret too: user, database, TLS settings.
    for (const params of [{ user: 'other' }, { database: 'other' }, { sslMode: 'require' }]) {
      const res = await x.as.admin.patch(`${x.base}/${id}`, { params })
      expect([res.status, res.body.code]).toEqual([400, 'secret_required'])
    }
    // An editor may not change a connection at all.
    const editor = await x.as.editor.patch(`${x.base}/${id}`, { params: { port: catcher.port }, saveAnyway: true })
    expect([editor.status, editor.body.code]).toEqual([403, 'role_insufficient'])
    expect(await stored()).toEqual(before)
    expect(catcher.received()).toBe('')
  })

  it('testing new params with the stored secret is refused; the listener receives nothing', async () => {
    for (const caller of [x.as.admin, x.as.editor]) {
      const res = await caller.post(`${x.base}/${id}/test`, { params: { host: '127.0.0.1', port: catcher.port } })
      expect(res.status, res.text).toBeGreaterThanOrEqual(400)
      expect(['secret_required', 'role_insufficient']).toContain(res.body.code)
    }
    expect(catcher.received()).toBe('')
    expect(catcher.received()).not.toContain(secret)
    // The stored target still tests fine with the stored secret, for editors too.
    expect((await x.as.editor.post(`${x.base}/${id}/test`)).body).toMatchObject({ ok: true })
  })

  it('with the secret given again the change is allowed (only what was typed goes to the new target)', async () => {
    const typed = 'typed-again-password-456'
    x.f.secrets.add(typed)
    const res = await x.as.admin.post(`${x.base}/${id}/test`, {
      params: { host: '127.0.0.1', port: catcher.port, password: typed },
    })
    expect(res.status).toBe(200)
    expect(res.body.ok).toBe(false)
    expect(catcher.received()).toContain(typed)
    expect(catcher.received()).not.toContain(secret)
    // Renaming, or changing nothing that decides where the secret goes, needs no secret.
    const renamed = await x.as.admin.patch(`${x.base}/${id}`, { name: 'Warehouse 2' })
    expect(renamed.status).toBe(200)
  })
})
