/**
 * Every failed call, in the server's one error shape (`{code, message, requestId, details?}`): `code` is
 * stable and machine-readable (`validation_failed`, `notebook_not_found`, `forbidden`, ...).
 *
 * @example
 * try { await ok(wb.GET('/me')) } catch (err) { if (err instanceof WorkbenchError && err.status === 401) signIn() }
 */
export class WorkbenchError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly requestId?: string,
  ) {
    super(message)
    this.name = 'WorkbenchError'
  }

  /** The message the server gave for one invalid field (`details.fields` of a `validation_failed`). */
  fieldMessage(field: string): string | undefined {
    const details = this.details
    if (!details || typeof details !== 'object' || !('fields' in details) || !Array.isArray(details.fields))
      return undefined
    for (const f of details.fields) if (f && typeof f === 'object' && f.field === field) return String(f.message)
    return undefined
  }

  /** The error a response body carries; a body not in the error shape becomes `http_<status>`. */
  static from(status: number, body: unknown): WorkbenchError {
    if (body && typeof body === 'object' && 'code' in body && 'message' in body)
      return new WorkbenchError(
        status,
        String(body.code),
        String(body.message),
        'details' in body ? body.details : undefined,
        'requestId' in body ? String(body.requestId) : undefined,
      )
    return new WorkbenchError(status, `http_${status}`, `HTTP ${status}`)
  }
}

/** Codes the server answers when a session's access token has expired or its cookie is gone. */
export const EXPIRED_SESSION_CODES: ReadonlySet<string> = new Set(['token_expired', 'authentication_required'])
