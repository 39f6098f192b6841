import { z } from '@hono/zod-openapi'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem } from '../auth/password-policy.ts'
import { AppError } from '../http/errors.ts'

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
/** A password being set: the policy of `password-policy.ts` (length, not a common or breached one). */
export const NewPassword = z
  .string()
  .min(PASSWORD_MIN_LENGTH)
  .max(PASSWORD_MAX_LENGTH)
  .superRefine((value, ctx) => {
    const problem = value.length >= PASSWORD_MIN_LENGTH ? passwordProblem(value) : undefined
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })

/** The 400 for a password that breaks the policy once the account's context (its email) is known. */
export function checkPasswordInContext(password: string, context: string[], field = 'password'): void {
  const problem = passwordProblem(password, context)
  if (problem)
    throw new AppError(400, 'validation_failed', `Invalid request: ${field}: ${problem}`, {
      fields: [{ field, message: problem }],
    })
}
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
