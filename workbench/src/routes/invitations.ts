import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import { acceptInvitation, createInvitation, findInvitation, toInvitationInfo } from '../auth/invitations.ts'
import { normalizeEmail } from '../auth/users.ts'
import { workspaceScope } from '../auth/workspace-scope.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError, NotFoundError } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import { Email, errorResponses, InvitableRole, json, jsonBody, RoleSchema, Uuid } from './identity-schemas.ts'

const WorkspaceParams = z.object({ workspaceId: z.string().openapi({ param: { name: 'workspaceId', in: 'path' } }) })
const InvitationParams = WorkspaceParams.extend({
  invitationId: Uuid.openapi({ param: { name: 'invitationId', in: 'path' } }),
})
const InvitationSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    email: z.string(),
    role: InvitableRole,
    status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
    createdAt: z.string(),
    expiresAt: z.string(),
  })
  .openapi('Invitation')
const TokenBody = z.object({ token: z.string().min(1).max(200) })

const list = createRoute({
  method: 'get',
  path: '/workspaces/{workspaceId}/invitations',
  tags: ['invitations'],
  summary: "The workspace's invitations (admin)",
  request: { params: WorkspaceParams },
  responses: { 200: json(z.object({ invitations: z.array(InvitationSchema) })), ...errorResponses },
})
const create = createRoute({
  method: 'post',
  path: '/workspaces/{workspaceId}/invitations',
  tags: ['invitations'],
  summary:
    'Invite someone by email (admin). The answer carries the link, shown once; it is also mailed when SMTP is set',
  request: { params: WorkspaceParams, ...jsonBody(z.object({ email: Email, role: InvitableRole })) },
  responses: {
    201: json(z.object({ invitation: InvitationSchema, link: z.string(), emailSent: z.boolean() }), 'Created'),
    ...errorResponses,
  },
})
const revoke = createRoute({
  method: 'delete',
  path: '/workspaces/{workspaceId}/invitations/{invitationId}',
  tags: ['invitations'],
  summary: 'Revoke a pending invitation (admin)',
  request: { params: InvitationParams },
  responses: { 204: { description: 'Revoked' }, ...errorResponses },
})
const lookup = createRoute({
  method: 'post',
  path: '/invitations/lookup',
  tags: ['invitations'],
  summary: 'What an invitation token is for (the token is the credential; it travels in the body, never a URL)',
  request: jsonBody(TokenBody),
  responses: {
    200: json(
      z.object({
        workspaceName: z.string(),
        email: z.string(),
        role: RoleSchema,
        status: InvitationSchema.shape.status,
      }),
    ),
    ...errorResponses,
  },
})
const accept = createRoute({
  method: 'post',
  path: '/invitations/accept',
  tags: ['invitations'],
  summary: "Accept an invitation addressed to the caller's email",
  request: jsonBody(TokenBody),
  responses: { 200: json(z.object({ workspaceId: z.string() })), ...errorResponses, 410: errorResponses[404] },
})

function linkFor(c: Context<AppEnv>, identity: Identity, token: string): string {
  const origin = identity.options.publicUrl ?? new URL(c.req.url).origin
  // In the fragment, so the token never reaches a server log or a Referer header.
  return `${origin}/#/invite/${token}`
}

/** Invitations into a workspace, and accepting them. */
export function invitationRoutes(identity: Identity) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...list, middleware: [authorize(identity, can.workspace('admin'), 'invitations.list')] }, async (c) => {
      const rows = await workspaceScope(c, identity)
        .selectFrom('invitations')
        .selectAll()
        .orderBy('created_at', 'desc')
        .execute()
      return c.json({ invitations: rows.map(toInvitationInfo) }, 200)
    })
    .openapi(
      { ...create, middleware: [authorize(identity, can.workspace('admin'), 'invitations.create')] },
      async (c) => {
        const scope = workspaceScope(c, identity)
        const body = c.req.valid('json')
        const email = normalizeEmail(body.email)
        const { token, invitation } = await createInvitation(scope, {
          email,
          role: body.role,
          invitedBy: currentPrincipal(c).userId,
        })
        const link = linkFor(c, identity, token)
        let emailSent = false
        if (identity.mailer.configured) {
          // A mail failure must not lose the invitation: the link is in this answer either way.
          try {
            await identity.mailer.send({
              to: email,
              subject: `You are invited to ${scope.workspace.name} on Workbench`,
              text: `${currentPrincipal(c).name} invited you to the workspace "${scope.workspace.name}" as ${body.role}.\n\nAccept: ${link}\n\nThe link expires on ${invitation.expiresAt}.`,
            })
            emailSent = true
          } catch (err) {
            const reason = err instanceof Error ? err.message : String(err)
            identity.logger.error({ invitationId: invitation.id, reason }, 'invitation email not sent')
          }
        }
        return c.json({ invitation, link, emailSent }, 201)
      },
    )
    .openapi(
      { ...revoke, middleware: [authorize(identity, can.workspace('admin'), 'invitations.revoke')] },
      async (c) => {
        const { invitationId } = c.req.valid('param')
        const result = await workspaceScope(c, identity)
          .updateTable('invitations')
          .set({ revoked_at: new Date() })
          .where('id', '=', invitationId)
          .where('accepted_at', 'is', null)
          .where('revoked_at', 'is', null)
          .executeTakeFirst()
        if (Number(result.numUpdatedRows) !== 1) throw new NotFoundError('invitation', invitationId)
        return c.body(null, 204)
      },
    )
    .openapi({ ...lookup, middleware: [authorize(identity, can.public, 'invitations.lookup')] }, async (c) => {
      const found = await findInvitation(identity.db(), c.req.valid('json').token)
      if (!found) throw new AppError(404, 'invitation_not_found', 'No such invitation')
      return c.json(
        { workspaceName: found.workspaceName, email: found.email, role: found.role, status: found.status },
        200,
      )
    })
    .openapi({ ...accept, middleware: [authorize(identity, can.user, 'invitations.accept')] }, async (c) => {
      const { token } = c.req.valid('json')
      const found = await findInvitation(identity.db(), token)
      if (!found) throw new AppError(404, 'invitation_not_found', 'No such invitation')
      if (found.email !== normalizeEmail(currentPrincipal(c).email))
        throw new AppError(403, 'invitation_email_mismatch', 'The invitation was sent to another email address')
      const workspaceId = await acceptInvitation(identity.db(), token, currentPrincipal(c).userId)
      return c.json({ workspaceId }, 200)
    })
}
