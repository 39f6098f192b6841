import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type Client, createIdentityFixture, type IdentityFixture, PASSWORD } from '../support/identity.ts'

describe.each(DATABASE_KINDS)('audit log on %s', (kind) => {
  let f: IdentityFixture
  let root: Client & { userId: string }
  let alice: Client & { userId: string }
  let bob: Client & { userId: string }
  let aliceWs: string
  let bobWs: string

  beforeAll(async () => {
    f = await createIdentityFixture(kind)
    root = await f.signUp('root@example.com')
    alice = await f.signUp('alice@example.com')
    bob = await f.signUp('bob@example.com')
    aliceWs = (await alice.post('/api/workspaces', { name: 'A' })).body.id
    bobWs = (await bob.post('/api/workspaces', { name: 'B' })).body.id
    // Reads of state a page polls: not worth an event each.
    for (let i = 0; i < 5; i++) await alice.get(`/api/workspaces/${aliceWs}/members`)
    await bob.get(`/api/workspaces/${bobWs}/members`)
    await alice.patch(`/api/workspaces/${aliceWs}`, { name: 'A renamed' })
    await f
      .client({ ip: '203.0.113.9' })
      .post('/api/auth/login', { email: 'alice@example.com', password: 'wrong wrong' })
    await f.client({ ip: '203.0.113.9' }).post('/api/auth/login', { email: 'alice@example.com', password: PASSWORD })
    // A probe of Bob's workspace by Alice.
    await alice.get(`/api/workspaces/${bobWs}/members`)
  })
  afterAll(async () => f?.dispose())

  it('records sign-ins (success and failure), reads and changes with actor, request id, IP and outcome', async () => {
    const admin = await root.get('/api/admin/audit?limit=500')
    const events = admin.body.events as Record<string, unknown>[]
    const logins = events.filter((e) => e.action === 'auth.login' && e.ip === '203.0.113.9')
    expect(logins.map((e) => e.outcome).sort()).toEqual(['failure', 'success'])
    expect(logins.every((e) => e.actorEmail === 'alice@example.com')).toBe(true)
    const change = events.find((e) => e.action === 'workspace.rename' && e.workspaceId === aliceWs)
    expect(change).toMatchObject({ actorId: alice.userId, outcome: 'success', status: 200, ip: '198.51.100.7' })
    expect(change?.requestId).toEqual(expect.any(String))
    expect(events.find((e) => e.action === 'workspace.create' && e.workspaceId === aliceWs)).toMatchObject({
      outcome: 'success',
    })
    const probe = events.find(
      (e) => e.action === 'members.list' && e.actorId === alice.userId && e.outcome === 'denied',
    )
    expect(probe).toMatchObject({ status: 404, workspaceId: null, resource: `/api/workspaces/${bobWs}/members` })
  })

  it("shows workspace admins only their workspace's events, with filters and paging", async () => {
    const all = await alice.get(`/api/workspaces/${aliceWs}/audit?limit=500`)
    expect(all.status).toBe(200)
    expect(all.body.events.length).toBeGreaterThan(1)
    expect(all.body.events.every((e: { workspaceId: string }) => e.workspaceId === aliceWs)).toBe(true)
    expect(all.text).not.toContain(bobWs)
    const filtered = await alice.get(`/api/workspaces/${aliceWs}/audit?action=workspace.rename&outcome=success`)
    expect(filtered.body.events.length).toBeGreaterThan(0)
    expect(filtered.body.events.every((e: { action: string }) => e.action === 'workspace.rename')).toBe(true)

    const page1 = await alice.get(`/api/workspaces/${aliceWs}/audit?limit=1`)
    expect(page1.body.events).toHaveLength(1)
    expect(page1.body.nextBefore).toEqual(page1.body.events[0].id)
    const page2 = await alice.get(`/api/workspaces/${aliceWs}/audit?limit=1&before=${page1.body.nextBefore}`)
    expect(BigInt(page2.body.events[0].id)).toBeLessThan(BigInt(page1.body.events[0].id))
    const future = await alice.get(
      `/api/workspaces/${aliceWs}/audit?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
    )
    expect(future.body.events).toEqual([])
    const bad = await alice.get(`/api/workspaces/${aliceWs}/audit?from=yesterday&limit=0`)
    expect(bad.status).toBe(400)
    expect(bad.body.details.fields.map((x: { field: string }) => x.field).sort()).toEqual(['from', 'limit'])
  })

  it('keeps changes, refusals and reads of data, not the reads of state a page polls', async () => {
    const events = (await root.get('/api/admin/audit?limit=500')).body.events as Record<string, unknown>[]
    const successfulLists = events.filter((e) => e.action === 'members.list' && e.outcome === 'success')
    expect(successfulLists).toEqual([])
    // The refused probe of Bob's workspace is kept, and so is each read of the audit log (data).
    expect(events.some((e) => e.action === 'members.list' && e.outcome === 'denied')).toBe(true)
    const before = (await alice.get(`/api/workspaces/${aliceWs}/audit?limit=500`)).body.events.length
    for (let i = 0; i < 10; i++) await alice.get(`/api/workspaces/${aliceWs}/members`)
    const after = (await alice.get(`/api/workspaces/${aliceWs}/audit?limit=500`)).body.events as {
      action: string
    }[]
    // Only the first audit read itself was added (a read of data), not the ten polls.
    expect(after.length).toBe(before + 1)
    expect(after[0]?.action).toBe('audit.read')
  })

  it('filters by action prefix and by category, lists the actions, and names resources with a link', async () => {
    const prefixed = await alice.get(`/api/workspaces/${aliceWs}/audit?action=${encodeURIComponent('workspace.*')}`)
    const actions = new Set(prefixed.body.events.map((e: { action: string }) => e.action))
    expect([...actions].sort()).toEqual(['workspace.create', 'workspace.rename'])
    const dotted = await alice.get(`/api/workspaces/${aliceWs}/audit?action=workspace.`)
    expect(dotted.body.events.length).toBe(prefixed.body.events.length)
    // An underscore in a prefix is a character, not a LIKE wildcard.
    expect((await alice.get(`/api/workspaces/${aliceWs}/audit?action=workspace_*`)).body.events).toEqual([])

    const data = await alice.get(`/api/workspaces/${aliceWs}/audit?category=data`)
    expect(data.body.events.length).toBeGreaterThan(0)
    expect(data.body.events.every((e: { category: string }) => e.category === 'data')).toBe(true)
    const changes = await alice.get(`/api/workspaces/${aliceWs}/audit?category=change`)
    expect(changes.body.events.map((e: { action: string }) => e.action)).toContain('workspace.rename')
    expect(changes.body.events.every((e: { category: string }) => e.category === 'change')).toBe(true)
    const auth = await root.get('/api/admin/audit?category=auth&limit=500')
    expect(auth.body.events.every((e: { action: string }) => e.action.startsWith('auth.'))).toBe(true)
    expect(auth.body.events.length).toBeGreaterThan(0)
    const denied = await root.get('/api/admin/audit?category=denied&limit=500')
    expect(denied.body.events.every((e: { outcome: string }) => e.outcome === 'denied')).toBe(true)
    expect((await alice.get(`/api/workspaces/${aliceWs}/audit?category=polls`)).status).toBe(400)

    const list = await alice.get(`/api/workspaces/${aliceWs}/audit/actions`)
    expect(list.status).toBe(200)
    expect(list.body.actions).toContainEqual({ action: 'workspace.rename', category: 'change' })
    expect(list.body.actions).toContainEqual({ action: 'audit.read', category: 'data' })
    expect(list.text).not.toContain('auth.login')
    expect((await bob.get(`/api/workspaces/${aliceWs}/audit/actions`)).status).toBe(404)

    const rename = changes.body.events.find((e: { action: string }) => e.action === 'workspace.rename')
    expect(rename.target).toEqual({ kind: 'workspace', id: aliceWs, name: 'A renamed', link: `/w/${aliceWs}` })
  })

  it('exports CSV with a header row and escaped fields', async () => {
    const res = await alice.get(`/api/workspaces/${aliceWs}/audit.csv`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
    const lines = res.text.trim().split('\r\n')
    expect(lines[0]).toBe('id,occurredAt,actorId,actorEmail,workspaceId,action,resource,requestId,ip,outcome,status')
    expect(lines.length).toBeGreaterThan(2)
    expect(lines.slice(1).every((l) => l.split(',')[4] === aliceWs)).toBe(true)
    const admin = await root.get(`/api/admin/audit.csv?workspaceId=${bobWs}`)
    expect(admin.text).toContain(bobWs)
    expect(admin.text).not.toContain(aliceWs)
  })

  it('neutralises spreadsheet formulas and quotes in CSV cells', async () => {
    await f.identity.audit.record({
      actorId: null,
      actorEmail: '=HYPERLINK("https://evil.example","x")',
      workspaceId: bobWs,
      action: 'test.csv',
      resource: 'a,b',
      requestId: null,
      ip: null,
      outcome: 'failure',
      status: null,
    })
    const res = await root.get(`/api/admin/audit.csv?action=test.csv`)
    const line = res.text.trim().split('\r\n')[1] ?? ''
    expect(line).toContain(`"'=HYPERLINK(""https://evil.example"",""x"")"`)
    expect(line).toContain('"a,b"')
  })

  it('has no API that changes or deletes events, and the database refuses it too', async () => {
    const writes = f.app.routes.filter((r) => /audit/.test(r.path) && r.method !== 'GET' && r.method !== 'ALL')
    expect(writes).toEqual([])
    expect((await root.delete('/api/admin/audit')).status).toBe(404)
    await expect(sql`update audit_events set outcome = 'success'`.execute(f.db)).rejects.toThrow(/append-only/)
    await expect(sql`delete from audit_events`.execute(f.db)).rejects.toThrow(/append-only/)
    await expect(sql`truncate audit_events`.execute(f.db)).rejects.toThrow(/append-only/)
  })

  it('keeps the instance log from workspace admins', async () => {
    const res = await alice.get('/api/admin/audit')
    expect([res.status, res.body.code]).toEqual([403, 'instance_admin_required'])
  })
})
