import createClient, { type Client } from 'openapi-fetch'
import { EXPIRED_SESSION_CODES, WorkbenchError } from './error.ts'
import type { paths } from './generated/openapi.ts'

export type { QueryParams, RequestBody, ResponseBody } from './body-types.ts'
export { EXPIRED_SESSION_CODES, WorkbenchError } from './error.ts'
export type * from './generated/openapi.ts'

export interface WorkbenchClientOptions {
  /**
   * Where the API lives, `/api` included: `http://localhost:8080/api` from Node, `/api` in the browser.
   * Default `/api`.
   */
  baseUrl?: string
  /** A personal API token (`wbt_…`) or a session access token, sent as `Authorization: Bearer`. */
  token?: string | (() => string | undefined)
  /**
   * Browser sessions authenticate with cookies, and the server then wants the CSRF cookie's value echoed in
   * `X-CSRF-Token` on every write: return it here (read on each request, since refreshes rotate it).
   */
  csrfToken?: () => string | undefined
  /**
   * Called once when a call fails because the session expired; resolve true when the session was renewed
   * (e.g. `POST /api/auth/refresh`) and the call is retried once.
   */
  refreshSession?: () => Promise<boolean>
  /** Cookies: `same-origin` (default) in the browser, `include` across origins. */
  credentials?: 'same-origin' | 'include' | 'omit'
  /** The fetch to call; default `globalThis.fetch`. */
  fetch?: (request: Request) => Promise<Response>
}

/** A typed client: `GET`, `POST`, `PUT`, `PATCH`, `DELETE` over every documented path. */
export type WorkbenchClient = Client<paths> & {
  /**
   * The authenticated fetch under the typed methods (token, CSRF, refresh), for what the typed methods do not
   * cover: uploads of raw bytes, paths built at run time. Paths are relative to `baseUrl`.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>
}

/**
 * A typed client for the Workbench REST API.
 *
 * @example
 * const wb = createWorkbenchClient({ baseUrl: 'http://localhost:8080/api', token: process.env.WORKBENCH_TOKEN })
 * const { workspaces } = await ok(wb.GET('/workspaces'))
 */
export function createWorkbenchClient(options: WorkbenchClientOptions = {}): WorkbenchClient {
  const baseUrl = (options.baseUrl ?? '/api').replace(/\/+$/, '')
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request))
  const authenticated = async (request: Request): Promise<Response> => {
    const retry = options.refreshSession ? request.clone() : undefined
    const res = await send(withCredentials(request, options))
    if (!retry || res.status !== 401 || !options.refreshSession) return res
    const error = WorkbenchError.from(
      401,
      await res
        .clone()
        .json()
        .catch(() => undefined),
    )
    if (!EXPIRED_SESSION_CODES.has(error.code) || !(await options.refreshSession())) return res
    return send(withCredentials(retry, options))
  }
  const client = createClient<paths>({
    baseUrl,
    fetch: authenticated,
    credentials: options.credentials ?? 'same-origin',
  })
  return Object.assign(client, {
    fetch: (path: string, init?: RequestInit) =>
      authenticated(new Request(`${baseUrl}${path}`, { credentials: options.credentials ?? 'same-origin', ...init })),
  })
}

function withCredentials(request: Request, options: WorkbenchClientOptions): Request {
  const headers = new Headers(request.headers)
  const token = typeof options.token === 'function' ? options.token() : options.token
  if (token) headers.set('Authorization', `Bearer ${token}`)
  const csrf = options.csrfToken?.()
  if (csrf && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) headers.set('X-CSRF-Token', csrf)
  if (!headers.has('Accept')) headers.set('Accept', 'application/json')
  return new Request(request, { headers })
}

/**
 * The data of a typed call, or a {@link WorkbenchError} thrown with the server's code when it failed.
 *
 * @example
 * const notebook = await ok(wb.GET('/workspaces/{workspaceId}/notebooks/{notebookId}', { params: { path: { workspaceId, notebookId } } }))
 */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call
  if (!response.ok) throw WorkbenchError.from(response.status, error)
  return data as T
}

/** Throws the {@link WorkbenchError} a raw response carries, or returns it when it succeeded. */
export async function okResponse(response: Response): Promise<Response> {
  if (response.ok) return response
  throw WorkbenchError.from(response.status, await response.json().catch(() => undefined))
}
