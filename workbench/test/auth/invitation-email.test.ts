import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIdentityFixture, type IdentityFixture } from '../support/identity.ts'

interface Received {
  from: string | undefined
  to: string[]
  body: string
}

/** A real SMTP server (the protocol implementation nodemailer's authors maintain) on port 0. */
async function startSmtpServer(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let body = ''
      stream.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8')
      })
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          body,
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('invitations by email over SMTP', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>
  let f: IdentityFixture

  beforeAll(async () => {
    smtp = await startSmtpServer()
    f = await createIdentityFixture('pglite', {
      env: {
        SMTP_URL: smtp.url,
        SMTP_FROM: 'Workbench <noreply@workbench.test>',
        PUBLIC_URL: 'https://wb.example.test',
      },
    })
  })
  afterAll(async () => {
    await f?.dispose()
    await smtp?.close()
  })

  it('mails the invitation link to the invitee, and the link admits them', async () => {
    const owner = await f.signUp('owner@example.com')
    const ws = await owner.post('/api/workspaces', { name: 'Finance' })
    const invite = await owner.post(`/api/workspaces/${ws.body.id}/invitations`, {
      email: 'guest@example.com',
      role: 'editor',
    })
    expect(invite.status).toBe(201)
    expect(invite.body.emailSent).toBe(true)
    expect(smtp.received).toHaveLength(1)
    const mail = smtp.received[0] as Received
    expect(mail.from).toBe('noreply@workbench.test')
    expect(mail.to).toEqual(['guest@example.com'])
    const link = invite.body.link as string
    expect(link.startsWith('https://wb.example.test/')).toBe(true)
    // Quoted-printable may wrap long lines: compare without soft line breaks.
    expect(mail.body.replace(/=\r?\n/g, '').replace(/=3D/g, '=')).toContain(link)

    const token = link.split('/#/invite/')[1]
    f.secrets.add(token as string)
    const guest = f.client()
    const joined = await guest.post('/api/auth/register', {
      email: 'guest@example.com',
      name: 'Guest',
      password: 'correct horse battery staple',
      invitationToken: token,
    })
    expect(joined.status).toBe(201)
  })
})
