import { randomBytes } from 'node:crypto'
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import { errorResponses, json, jsonBody, UserSchema, Uuid } from './identity-schemas.ts'

const UserParams = z.object({ userId: Uuid.openapi({ param: { name: 'userId', in: 'path' } }) })

const list = createRoute({
  method: 'get',
  path: '/admin/users',
  tags: ['admin'],
  summary: 'Every account (instance admins)',
  request: {
    query: z.object({
      q: z.string().max(200).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
      offset: z.coerce.number().int().min(0).default(0),
    }),
  },
  responses: { 200: json(z.object({ users: z.array(UserSchema) })), ...errorResponses },
})
const update = createRoute({
  method: 'patch',
  path: '/admin/users/{userId}',
  tags: ['admin'],
  summary: 'Disable or re-enable an account (instance admins); disabling signs it out everywhere',
  request: { params: UserParams, ...jsonBody(z.object({ disabled: z.boolean() })) },
  responses: { 200: json(UserSchema), ...errorResponses },
})
const resetPassword = createRoute({
  method: 'post',
  path: '/admin/users/{userId}/reset-password',
  tags: ['admin'],
  summary: 'Set a random temporary password, shown once, and sign the account out everywhere',
  request: { params: UserParams },
  responses: { 200: json(z.object({ temporaryPassword: z.string() })), ...errorResponses },
})

/** Instance administration of accounts. */
export function adminRoutes(identity: Identity) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...list, middleware: [authorize(identity, can.instanceAdmin, 'admin.users.list')] }, async (c) => {
      const { q, limit, offset } = c.req.valid('query')
      return c.json({ users: await identity.users.list({ query: q, limit, offset }) }, 200)
    })
    .openapi({ ...update, middleware: [authorize(identity, can.instanceAdmin, 'admin.users.update')] }, async (c) => {
      const { userId } = c.req.valid('param')
      const { disabled } = c.req.valid('json')
      if (disabled && userId === currentPrincipal(c).userId)
        throw new AppError(409, 'cannot_disable_self', 'Administrators cannot disable their own account')
      const user = await identity.users.setDisabled(userId, disabled)
      if (disabled) await identity.sessions.revokeAllForUser(userId)
      return c.json(user, 200)
    })
    .openapi(
      { ...resetPassword, middleware: [authorize(identity, can.instanceAdmin, 'admin.users.reset_password')] },
      async (c) => {
        const { userId } = c.req.valid('param')
        const temporaryPassword = randomBytes(18).toString('base64url')
        await identity.users.setPassword(userId, temporaryPassword)
        await identity.sessions.revokeAllForUser(userId)
        return c.json({ temporaryPassword }, 200)
      },
    )
}
