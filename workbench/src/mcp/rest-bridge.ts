/**
 * How MCP tools reach the workbench: through its own REST API, with the caller's credential. A tool is then a
 * thin adapter over a route, so it gets exactly the route's authorization (role, token scope, workspace wall),
 * PII masking, limits, validation and audit: there is no second code path to keep in step.
 *
 * In the server the bridge calls the Hono app in-process (`app.request`); the stdio server uses the same
 * bridge over HTTP against a running instance.
 */
export type RestFetch = (path: string, init: RequestInit) => Promise<Response>

/** A REST answer that is not a success: its status and the API's stable `{code, message}`. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }
}

export interface RestCall {
  query?: Record<string, string | number | boolean | readonly string[] | undefined>
  body?: unknown
  /** A raw body (a file's bytes) instead of JSON. */
  raw?: NonNullable<RequestInit['body']>
  signal?: AbortSignal
}

/** A path segment from a tool argument: ids never reach another route through `/` or `..`. */
export function segment(value: string): string {
  if (value === '' || value === '.' || value === '..') throw new RestError(400, 'invalid_id', `Not an id: "${value}"`)
  return encodeURIComponent(value)
}

export class RestBridge {
  readonly #fetch: RestFetch
  readonly #headers: Record<string, string>

  /** `headers`: what identifies the caller on every call (`authorization`, and a trusted proxy's forwarding). */
  constructor(fetch: RestFetch, headers: Record<string, string>) {
    this.#fetch = fetch
    this.#headers = headers
  }

  get<T = unknown>(path: string, call: RestCall = {}): Promise<T> {
    return this.#call<T>('GET', path, call)
  }

  post<T = unknown>(path: string, call: RestCall = {}): Promise<T> {
    return this.#call<T>('POST', path, call)
  }

  put<T = unknown>(path: string, call: RestCall = {}): Promise<T> {
    return this.#call<T>('PUT', path, call)
  }

  async #call<T>(method: string, path: string, call: RestCall): Promise<T> {
    const search = new URLSearchParams()
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value === undefined) continue
      if (Array.isArray(value)) for (const v of value) search.append(key, String(v))
      else search.set(key, String(value))
    }
    const headers: Record<string, string> = { ...this.#headers, accept: 'application/json' }
    let body: NonNullable<RequestInit['body']> | undefined
    if (call.raw !== undefined) {
      body = call.raw
      headers['content-type'] = 'application/octet-stream'
    } else if (call.body !== undefined) {
      body = JSON.stringify(call.body)
      headers['content-type'] = 'application/json'
    }
    const query = search.size > 0 ? `?${search}` : ''
    const res = await this.#fetch(`/api${path}${query}`, { method, headers, body, signal: call.signal })
    const text = await res.text()
    const type = res.headers.get('content-type') ?? ''
    const parsed: unknown = text && type.includes('json') ? JSON.parse(text) : text
    if (!res.ok) {
      const error = (parsed ?? {}) as { code?: unknown; message?: unknown; details?: unknown }
      throw new RestError(
        res.status,
        typeof error.code === 'string' ? error.code : `http_${res.status}`,
        typeof error.message === 'string' ? error.message : `The API answered ${res.status}`,
        error.details,
      )
    }
    return (res.status === 204 ? {} : parsed) as T
  }
}
