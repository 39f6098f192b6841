import nodemailer from 'nodemailer'

export interface MailMessage {
  to: string
  subject: string
  text: string
}

/** Sends mail; the SMTP one when configured. Kept behind this interface so the rest never knows. */
export interface Mailer {
  readonly configured: boolean
  send(message: MailMessage): Promise<void>
}

/** No SMTP configured: nothing is sent, and callers hand the link to the user in the API answer instead. */
export const noMailer: Mailer = {
  configured: false,
  send: async () => {},
}

/** SMTP through nodemailer, from an `smtp://user:pass@host:port` or `smtps://` URL. */
export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url)
  return {
    configured: true,
    send: async (message) => {
      await transport.sendMail({ from, ...message })
    },
  }
}
