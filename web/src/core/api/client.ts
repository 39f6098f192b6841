/** The error shape every API failure has (`{code, message, requestId}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /** The message of the first invalid field, when the server named one. */
  fieldMessage(field: string): string | undefined {
    const details = this.details
    if (!details || typeof details !== 'object' || !('fields' in details) || !Array.isArray(details.fields))
      return undefined
    for (const f of details.fields) if (f && typeof f === 'object' && f.field === field) return String(f.message)
    return undefined
  }
}

const CSRF_COOKIE = 'wb_csrf'

/** The CSRF cookie the server set, echoed on writes (also by uploads outside `api`). */
export function csrfToken(): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=')
    if (name === CSRF_COOKIE) return rest.join('=')
  }
  return undefined
}

let refreshing: Promise<boolean> | undefined

/** The Web Lock every tab of this site takes to refresh the session. */
const REFRESH_LOCK = 'workbench-session-refresh'

/** One refresh at a time, however many requests (or tabs) found the access token expired together. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= refreshAcrossTabs().finally(() => {
    refreshing = undefined
  })
  return refreshing
}

/**
 * Tabs share the refresh cookie and the server rotates it on every refresh, so two tabs refreshing at once would
 * present one token twice. A Web Lock makes them take turns; a tab that waited finds the CSRF cookie changed (every
 * refresh sets a new one) and uses the session the other tab just refreshed instead of refreshing it again. Where
 * Web Locks are missing (a page not served from a secure context), the server's short grace window for a
 * just-rotated token covers the overlap.
 */
async function refreshAcrossTabs(): Promise<boolean> {
  const before = csrfToken()
  if (typeof navigator === 'undefined' || !navigator.locks) return postRefresh()
  return navigator.locks.request(REFRESH_LOCK, async () =>
    before !== undefined && csrfToken() !== before && csrfToken() !== undefined ? true : postRefresh(),
  )
}

function postRefresh(): Promise<boolean> {
  return fetch('/api/auth/refresh', { method: 'POST', credentials: 'same-origin' })
    .then((res) => res.ok)
    .catch(() => false)
}

/**
 * Calls the API with the session cookies, echoing the CSRF cookie on writes, and refreshes the session
 * once when the access token has expired (or its cookie is gone).
 */
export async function api<T>(method: string, path: string, body?: unknown, retry = true): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const csrf = csrfToken()
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (res.status === 204) return undefined as T
  const payload: unknown = await res.json().catch(() => undefined)
  if (res.ok) return payload as T
  const error = toApiError(res.status, payload)
  // The access cookie expires with its token, so an expired session usually arrives as "no credential":
  // either way, one refresh with the (longer-lived) refresh cookie is worth a try.
  const expired = error.code === 'token_expired' || error.code === 'authentication_required'
  if (retry && expired && (await refreshSession())) return api(method, path, body, false)
  throw error
}

function toApiError(status: number, payload: unknown): ApiError {
  if (payload && typeof payload === 'object' && 'code' in payload && 'message' in payload)
    return new ApiError(
      status,
      String(payload.code),
      String(payload.message),
      'details' in payload ? payload.details : undefined,
    )
  return new ApiError(status, `http_${status}`, `HTTP ${status}`)
}
