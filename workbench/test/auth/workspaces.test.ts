import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Mailer, MailMessage } from '../../src/auth/mailer.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type Client, createIdentityFixture, type IdentityFixture } from '../support/identity.ts'

/** Records what would be sent: the SMTP sender sits behind the same interface. */
class RecordingMailer implements Mailer {
  readonly configured = true
  readonly sent: MailMessage[] = []
  /** Simulates an SMTP server that refuses the message. */
  failing = false
  async send(message: MailMessage) {
    if (this.failing) throw new Error('550 mailbox unavailable')
    this.sent.push(message)
  }
}

describe.each(DATABASE_KINDS)('workspaces, members and invitations on %s', (kind) => {
  let f: IdentityFixture
  const mailer = new RecordingMailer()
  let owner: Client & { userId: string }
  let workspaceId: string

  beforeAll(async () => {
    f = await createIdentityFixture(kind, { mailer, env: { PUBLIC_URL: 'https://workbench.example.com/' } })
    owner = await f.signUp('owner@example.com')
    workspaceId = (await owner.post('/api/workspaces', { name: 'Analytics' })).body.id
  })
  afterAll(async () => f?.dispose())

  const invite = async (email: string, role: string) => {
    const res = await owner.post(`/api/workspaces/${workspaceId}/invitations`, { email, role })
    expect(res.status, res.text).toBe(201)
    return { ...res.body, token: res.body.link.split('/#/invite/')[1] as string }
  }

  it('creates, lists, renames and soft-deletes workspaces', async () => {
    const ws = await owner.post('/api/workspaces', { name: 'Scratch' })
    expect(ws.body).toMatchObject({ name: 'Scratch', role: 'owner' })
    const renamed = await owner.patch(`/api/workspaces/${ws.body.id}`, { name: 'Scratchpad' })
    expect(renamed.body.name).toBe('Scratchpad')
    const names = (await owner.get('/api/workspaces')).body.workspaces.map((w: { name: string }) => w.name)
    expect(names).toEqual(['Analytics', 'Scratchpad'])
    expect((await owner.delete(`/api/workspaces/${ws.body.id}`)).status).toBe(204)
    expect((await owner.get('/api/workspaces')).body.workspaces.map((w: { name: string }) => w.name)).toEqual([
      'Analytics',
    ])
    const gone = await owner.get(`/api/workspaces/${ws.body.id}`)
    expect([gone.status, gone.body.code]).toEqual([404, 'workspace_not_found'])
    const row = await f.db
      .selectFrom('workspaces')
      .select('deleted_at')
      .where('id', '=', ws.body.id)
      .executeTakeFirstOrThrow()
    expect(row.deleted_at).toBeInstanceOf(Date)
  })

  it('invites by email: the API returns the link (token in the fragment) and mails it when SMTP is set', async () => {
    const inv = await invite('Viewer@Example.com', 'viewer')
    expect(inv.link).toMatch(/^https:\/\/workbench\.example\.com\/#\/invite\/wbi_/)
    expect(inv.emailSent).toBe(true)
    expect(mailer.sent.at(-1)).toMatchObject({ to: 'viewer@example.com' })
    expect(mailer.sent.at(-1)?.text).toContain(inv.link)
    const lookup = await f.client().post('/api/invitations/lookup', { token: inv.token })
    expect(lookup.body).toEqual({
      workspaceName: 'Analytics',
      email: 'viewer@example.com',
      role: 'viewer',
      status: 'pending',
    })
    // The list never shows tokens.
    const list = await owner.get(`/api/workspaces/${workspaceId}/invitations`)
    expect(list.text).not.toContain(inv.token)
  })

  it('keeps the invitation and its link when the mail cannot be sent', async () => {
    mailer.failing = true
    try {
      const inv = await invite('bounce@example.com', 'viewer')
      expect(inv.emailSent).toBe(false)
      expect(inv.link).toMatch(/#\/invite\/wbi_/)
      expect(f.logs.some((line) => line.includes('invitation email not sent'))).toBe(true)
    } finally {
      mailer.failing = false
    }
  })

  it('accepts an invitation only for the invited email, once', async () => {
    const inv = await invite('editor@example.com', 'editor')
    const stranger = await f.signUp('stranger@example.com')
    const wrong = await stranger.post('/api/invitations/accept', { token: inv.token })
    expect([wrong.status, wrong.body.code]).toEqual([403, 'invitation_email_mismatch'])
    const editor = await f.signUp('editor@example.com')
    const ok = await editor.post('/api/invitations/accept', { token: inv.token })
    expect(ok.body).toEqual({ workspaceId })
    const again = await editor.post('/api/invitations/accept', { token: inv.token })
    expect([again.status, again.body.code]).toEqual([410, 'invitation_invalid'])
    const members = (await editor.get(`/api/workspaces/${workspaceId}/members`)).body.members
    expect(members.map((m: { email: string; role: string }) => [m.email, m.role])).toEqual([
      ['editor@example.com', 'editor'],
      ['owner@example.com', 'owner'],
    ])
  })

  it('refuses revoked invitations', async () => {
    const inv = await invite('late@example.com', 'viewer')
    expect((await owner.delete(`/api/workspaces/${workspaceId}/invitations/${inv.invitation.id}`)).status).toBe(204)
    const late = await f.signUp('late@example.com')
    const res = await late.post('/api/invitations/accept', { token: inv.token })
    expect([res.status, res.body.code]).toEqual([410, 'invitation_invalid'])
  })

  it('lets admins manage roles, only owners touch ownership, and keeps the last owner', async () => {
    const inv = await invite('admin@example.com', 'admin')
    const admin = await f.signUp('admin@example.com')
    await admin.post('/api/invitations/accept', { token: inv.token })
    const editorId = (
      await f.db.selectFrom('users').select('id').where('email', '=', 'editor@example.com').executeTakeFirstOrThrow()
    ).id
    const demote = await admin.patch(`/api/workspaces/${workspaceId}/members/${editorId}`, { role: 'viewer' })
    expect(demote.body.role).toBe('viewer')
    const grantOwner = await admin.patch(`/api/workspaces/${workspaceId}/members/${editorId}`, { role: 'owner' })
    expect([grantOwner.status, grantOwner.body.code]).toEqual([403, 'role_insufficient'])
    const removeOwner = await admin.delete(`/api/workspaces/${workspaceId}/members/${owner.userId}`)
    expect([removeOwner.status, removeOwner.body.code]).toEqual([403, 'role_insufficient'])
    const lastOwner = await owner.patch(`/api/workspaces/${workspaceId}/members/${owner.userId}`, { role: 'admin' })
    expect([lastOwner.status, lastOwner.body.code]).toEqual([409, 'last_owner'])
    expect((await admin.delete(`/api/workspaces/${workspaceId}/members/${editorId}`)).status).toBe(204)
    const editor = f.client()
    await editor.post('/api/auth/login', { email: 'editor@example.com', password: 'correct horse battery staple' })
    const gone = await editor.get(`/api/workspaces/${workspaceId}`)
    expect([gone.status, gone.body.code]).toEqual([404, 'workspace_not_found'])
  })

  it('lets a viewer read but not change the workspace', async () => {
    const inv = await invite('reader@example.com', 'viewer')
    const viewer = await f.signUp('reader@example.com')
    await viewer.post('/api/invitations/accept', { token: inv.token })
    expect((await viewer.get(`/api/workspaces/${workspaceId}/members`)).status).toBe(200)
    const rename = await viewer.patch(`/api/workspaces/${workspaceId}`, { name: 'Mine now' })
    expect([rename.status, rename.body.code, rename.body.details]).toEqual([
      403,
      'role_insufficient',
      { required: 'admin', actual: 'viewer' },
    ])
  })
})
