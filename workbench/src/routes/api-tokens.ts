import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { authorize, can, currentPrincipal } from '../auth/authorize.ts'
import type { Identity } from '../auth/identity.ts'
import type { AppEnv } from '../http/env.ts'
import { validationHook } from '../http/validation.ts'
import { errorResponses, json, jsonBody, Name, Uuid } from './identity-schemas.ts'

const ApiTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: z.enum(['read', 'write']),
    prefix: z.string(),
    createdAt: z.string(),
    expiresAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revoked: z.boolean(),
  })
  .openapi('ApiToken')

const list = createRoute({
  method: 'get',
  path: '/me/tokens',
  tags: ['api tokens'],
  summary: "The caller's personal API tokens (never the secrets)",
  responses: { 200: json(z.object({ tokens: z.array(ApiTokenSchema) })), ...errorResponses },
})
const create = createRoute({
  method: 'post',
  path: '/me/tokens',
  tags: ['api tokens'],
  summary: 'Create a personal API token; the secret is in this answer only',
  request: jsonBody(
    z.object({
      name: Name,
      scope: z.enum(['read', 'write']),
      expiresInDays: z.number().int().min(1).max(365).default(90),
    }),
  ),
  responses: { 201: json(z.object({ token: z.string(), info: ApiTokenSchema }), 'Created'), ...errorResponses },
})
const revoke = createRoute({
  method: 'delete',
  path: '/me/tokens/{tokenId}',
  tags: ['api tokens'],
  summary: 'Revoke a personal API token',
  request: { params: z.object({ tokenId: Uuid.openapi({ param: { name: 'tokenId', in: 'path' } }) }) },
  responses: { 204: { description: 'Revoked' }, ...errorResponses },
})

/** Personal API tokens. Managed only from a signed-in session: a token cannot mint or revoke tokens. */
export function apiTokenRoutes(identity: Identity) {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi({ ...list, middleware: [authorize(identity, can.userSession, 'tokens.list')] }, async (c) => {
      return c.json({ tokens: await identity.apiTokens.list(currentPrincipal(c).userId) }, 200)
    })
    .openapi({ ...create, middleware: [authorize(identity, can.userSession, 'tokens.create')] }, async (c) => {
      const created = await identity.apiTokens.create(currentPrincipal(c).userId, c.req.valid('json'))
      return c.json(created, 201)
    })
    .openapi({ ...revoke, middleware: [authorize(identity, can.userSession, 'tokens.revoke')] }, async (c) => {
      await identity.apiTokens.revoke(currentPrincipal(c).userId, c.req.valid('param').tokenId)
      return c.body(null, 204)
    })
}
