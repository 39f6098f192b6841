import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { AppError } from '../http/errors.ts'
import { validationHook } from '../http/validation.ts'
import {
  checkPasswordInContext,
  errorResponses,
  json,
  jsonBody,
  Name,
  NewPassword,
  UserSchema,
} from './identity-schemas.ts'

const me = createRoute({
  method: 'get',
  path: '/me',
  tags: ['account'],
  summary: 'The signed-in account',
  responses: { 200: json(UserSchema), ...errorResponses },
})
const update = createRoute({
  method: 'patch',
  path: '/me',
  tags: ['account'],
  summary: 'Change the display name',
  request: jsonBody(z.object({ name: Name })),
  responses: { 200: json(UserSchema), ...errorResponses },
})
const changePassword = createRoute({
  method: 'post',
  path: '/me/password',
  tags: ['account'],
  summary: 'Change the password; every other session is signed out',
  request: jsonBody(z.object({ currentPassword: z.string().min(1).max(256), newPassword: NewPassword })),
  responses: { 204: { description: 'Changed' }, ...errorResponses },
})

/** The caller's own account. */
export function meRoutes(identity: Identity) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...me, middleware: [authorize(identity, can.user, 'account.read')] }, async (c) => {
      return c.json(await identity.users.getOrThrow(currentPrincipal(c).userId), 200)
    })
    .openapi({ ...update, middleware: [authorize(identity, can.user, 'account.update')] }, async (c) => {
      return c.json(await identity.users.setName(currentPrincipal(c).userId, c.req.valid('json').name), 200)
    })
    .openapi(
      { ...changePassword, middleware: [authorize(identity, can.userSession, 'account.change_password')] },
      async (c) => {
        const principal = currentPrincipal(c)
        const body = c.req.valid('json')
        const stored = await identity.users.passwordHashOf(principal.userId)
        if (!(await identity.passwords.verify(stored, body.currentPassword)))
          throw new AppError(400, 'current_password_wrong', 'The current password is wrong', {
            fields: [{ field: 'currentPassword', message: 'wrong password' }],
          })
        checkPasswordInContext(body.newPassword, [principal.email], 'newPassword')
        await identity.users.setPassword(principal.userId, body.newPassword)
        await identity.sessions.revokeAllForUser(principal.userId, principal.sessionId)
        return c.body(null, 204)
      },
    )
}
