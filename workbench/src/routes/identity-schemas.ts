import { z } from '@hono/zod-openapi'

/** Shapes shared by the identity routes' OpenAPI documents. */
export const ErrorBody = z
  .object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() })
  .openapi('Error')

export const RoleSchema = z.enum(['owner', 'admin', 'editor', 'viewer']).openapi('Role')
export const InvitableRole = z.enum(['admin', 'editor', 'viewer'])

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    isInstanceAdmin: z.boolean(),
    disabled: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('User')

export const WorkspaceSchema = z
  .object({ id: z.string(), name: z.string(), role: RoleSchema, createdAt: z.string() })
  .openapi('Workspace')

export const Email = z.email().max(320)
/** Long enough to resist guessing; bounded because hashing a megabyte password is a cheap DoS. */
export const NewPassword = z.string().min(12).max(256)
export const Name = z.string().trim().min(1).max(100)
export const Uuid = z.uuid()

const errorContent = { 'application/json': { schema: ErrorBody } }

/** The error answers every protected route may give, documented once. */
export const errorResponses = {
  400: { description: 'Invalid input; `details.fields` names each bad field', content: errorContent },
  401: { description: 'No valid credential', content: errorContent },
  403: { description: 'Not allowed (role, token scope, CSRF)', content: errorContent },
  404: { description: 'Not found, or not visible to the caller', content: errorContent },
} as const

export function json<T extends z.ZodType>(schema: T, description = 'OK') {
  return { description, content: { 'application/json': { schema } } }
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { required: true, content: { 'application/json': { schema } } } }
}
