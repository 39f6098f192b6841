import type { Hook } from '@hono/zod-openapi'
import { AppError } from './errors.ts'

/**
 * Turns a failed request validation into a 400 `validation_failed` naming each bad field, instead of
 * zod-openapi's default body.
 */
// biome-ignore lint/suspicious/noExplicitAny: the hook serves every route, whatever its env and schema
export const validationHook: Hook<any, any, any, any> = (result) => {
  if (result.success) return
  const fields = result.error.issues.map((issue) => ({
    field: issue.path.join('.') || '(body)',
    message: issue.message,
  }))
  const summary = fields.map((f) => `${f.field}: ${f.message}`).join('; ')
  throw new AppError(400, 'validation_failed', `Invalid request: ${summary}`, { fields })
}
