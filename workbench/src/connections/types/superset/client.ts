import { encodeRison } from './rison.ts'

/** How the workbench signs in to Superset: a user (JWT from `/security/login`, refreshed) or a given access token. */
export type SupersetAuth = { username: string; password: string } | { accessToken: string }

export interface SupersetClientOptions {
  /** Superset's address, e.g. `https://bi.example.com` (a sub-path is kept). */
  baseUrl: string
  auth: SupersetAuth
  /** The outbound policy's guarded fetch: every request, login included, goes through it. */
  fetch: typeof fetch
}

/**
 * A Superset API error with Superset's own message: 401 (login or token), 403, 404, 422 with its `errors` list,
 * CSRF refusals (400 "The CSRF token is missing"), and answers that are not Superset's JSON.
 */
export class SupersetError extends Error {
  constructor(
    /** HTTP status Superset answered (0 when it did not answer). */
    readonly status: number,
    /** Stable code: `superset_unauthorized`, `superset_forbidden`, `superset_not_found`, `superset_invalid`, `superset_csrf`, `superset_error`, `superset_unreachable`. */
    readonly code: string,
    message: string,
    /** Superset's `errors` list or field messages, as it sent them. */
    readonly errors?: unknown,
  ) {
    super(message)
    this.name = 'SupersetError'
  }
}

const JSON_HEADERS = { accept: 'application/json', 'content-type': 'application/json' }
/** Superset's list endpoints cap `page_size` at 100 by default. */
const PAGE_SIZE = 100

/**
 * A Superset REST client: signs in (`POST /api/v1/security/login`, `provider: db`, with a refresh token), refreshes
 * the access token when Superset says it expired, and sends writes with the CSRF token from
 * `GET /api/v1/security/csrf_token/` plus the session cookie that token is bound to and a `Referer`, as Superset's
 * CSRF protection (Flask-WTF) requires.
 *
 * @example
 * const client = new SupersetClient({ baseUrl: 'http://bi:8088', auth: { username, password }, fetch })
 * const { result } = await client.get<{ result: unknown }>('/api/v1/dataset/3')
 */
export class SupersetClient {
  private readonly base: string
  private access: string | undefined
  private refreshToken: string | undefined
  private csrf: { token: string; cookie: string } | undefined
  private signingIn: Promise<void> | undefined

  constructor(private readonly options: SupersetClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '')
    if ('accessToken' in options.auth) this.access = options.auth.accessToken
  }

  get baseUrl(): string {
    return this.base
  }

  async get<T>(path: string, query?: unknown): Promise<T> {
    return this.request<T>('GET', path, undefined, query)
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body)
  }

  async put<T>(path: string, body?: unknown, query?: Record<string, string>): Promise<T> {
    return this.request<T>('PUT', path, body, query)
  }

  async delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path)
  }

  /** Every row of a list endpoint (`GET /api/v1/<resource>/?q=(page:…,page_size:…)`), page by page. */
  async list<T>(resource: string, query: Record<string, unknown> = {}, limit = 10_000): Promise<T[]> {
    const rows: T[] = []
    for (let page = 0; rows.length < limit; page++) {
      const res = await this.get<{ result: T[]; count: number }>(`/api/v1/${resource}/`, {
        ...query,
        page,
        page_size: PAGE_SIZE,
      })
      rows.push(...res.result)
      if (res.result.length < PAGE_SIZE || rows.length >= res.count) break
    }
    return rows.slice(0, limit)
  }

  private async request<T>(method: string, path: string, body?: unknown, query?: unknown): Promise<T> {
    await this.ensureSignedIn()
    const write = method !== 'GET'
    let res = await this.send(method, path, body, query, write)
    if (res.status === 401 && this.refreshToken) {
      // The access token expired (15 min by default): refresh once, then retry.
      await this.refresh()
      res = await this.send(method, path, body, query, write)
    } else if (write && res.status === 400 && (await isCsrfRefusal(res.clone()))) {
      // The CSRF token outlived its session: fetch a new pair once.
      this.csrf = undefined
      res = await this.send(method, path, body, query, write)
    }
    return readAnswer<T>(res, `${method} ${path}`)
  }

  private async send(method: string, path: string, body: unknown, query: unknown, write: boolean): Promise<Response> {
    const headers: Record<string, string> = { ...JSON_HEADERS, authorization: `Bearer ${this.access}` }
    if (write) {
      const csrf = await this.csrfToken()
      headers['x-csrftoken'] = csrf.token
      headers.referer = `${this.base}/`
      if (csrf.cookie) headers.cookie = csrf.cookie
    }
    return this.fetch(this.url(path, query), {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  }

  private url(path: string, query?: unknown): string {
    if (query === undefined) return `${this.base}${path}`
    if (typeof query === 'object' && query !== null && Object.values(query).every((v) => typeof v === 'string')) {
      const plain = query as Record<string, string>
      if (!('q' in plain)) return `${this.base}${path}?${new URLSearchParams(plain)}`
    }
    return `${this.base}${path}?q=${encodeURIComponent(encodeRison(query))}`
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.options.fetch(url, init)
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === 'destination_not_allowed') throw err
      throw new SupersetError(0, 'superset_unreachable', `${this.base} did not answer: ${(err as Error).message}`)
    }
  }

  private async ensureSignedIn(): Promise<void> {
    if (this.access) return
    this.signingIn ??= this.login().finally(() => {
      this.signingIn = undefined
    })
    await this.signingIn
  }

  private async login(): Promise<void> {
    const auth = this.options.auth
    if ('accessToken' in auth) return
    const res = await this.fetch(`${this.base}/api/v1/security/login`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ username: auth.username, password: auth.password, provider: 'db', refresh: true }),
    })
    const tokens = await readAnswer<{ access_token?: string; refresh_token?: string }>(res, 'login')
    if (!tokens.access_token)
      throw new SupersetError(res.status, 'superset_error', 'Superset answered the login without an access token')
    this.access = tokens.access_token
    this.refreshToken = tokens.refresh_token
    this.csrf = undefined
  }

  private async refresh(): Promise<void> {
    const res = await this.fetch(`${this.base}/api/v1/security/refresh`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${this.refreshToken}` },
    })
    if (res.status === 401) {
      // The refresh token expired too: sign in again.
      this.access = undefined
      this.refreshToken = undefined
      await this.ensureSignedIn()
      return
    }
    const tokens = await readAnswer<{ access_token?: string }>(res, 'token refresh')
    this.access = tokens.access_token
    this.csrf = undefined
  }

  private async csrfToken(): Promise<{ token: string; cookie: string }> {
    if (this.csrf) return this.csrf
    const res = await this.fetch(`${this.base}/api/v1/security/csrf_token/`, {
      headers: { accept: 'application/json', authorization: `Bearer ${this.access}` },
    })
    const cookie = sessionCookies(res.headers)
    const body = await readAnswer<{ result?: string }>(res, 'CSRF token')
    if (!body.result) throw new SupersetError(res.status, 'superset_csrf', 'Superset gave no CSRF token')
    this.csrf = { token: body.result, cookie }
    return this.csrf
  }
}

/** `name=value` pairs of every Set-Cookie (the Flask session cookie holds the CSRF secret). */
function sessionCookies(headers: Headers): string {
  return headers
    .getSetCookie()
    .map((c) => c.split(';')[0]?.trim() ?? '')
    .filter(Boolean)
    .join('; ')
}

async function isCsrfRefusal(res: Response): Promise<boolean> {
  const text = await res.text().catch(() => '')
  return /csrf/i.test(text)
}

/** Superset's answer as JSON, or a {@link SupersetError} with Superset's own message. */
async function readAnswer<T>(res: Response, what: string): Promise<T> {
  const text = await res.text()
  let body: unknown
  try {
    body = text ? JSON.parse(text) : {}
  } catch {
    body = undefined
  }
  if (res.ok && body !== undefined) return body as T
  if (res.ok)
    throw new SupersetError(res.status, 'superset_error', `${what}: Superset answered with something that is not JSON`)
  const message = supersetMessage(body, text)
  const errors = (body as { errors?: unknown } | undefined)?.errors
  const code =
    res.status === 401
      ? 'superset_unauthorized'
      : res.status === 403
        ? 'superset_forbidden'
        : res.status === 404
          ? 'superset_not_found'
          : res.status === 422
            ? 'superset_invalid'
            : res.status === 400 && /csrf/i.test(message)
              ? 'superset_csrf'
              : res.status === 400
                ? 'superset_invalid'
                : 'superset_error'
  throw new SupersetError(res.status, code, `${what}: Superset answered ${res.status}: ${message}`, errors)
}

/**
 * Superset says what went wrong in one of three shapes: `{message: "…"}`, `{message: {field: ["…"]}}` (marshmallow
 * validation), or `{errors: [{message, error_type}]}` (SIP-40); HTML error pages carry a `<title>` or `<p>`.
 */
export function supersetMessage(body: unknown, text: string): string {
  const b = body as { message?: unknown; msg?: unknown; errors?: { message?: string }[] } | undefined
  const parts: string[] = []
  if (typeof b?.message === 'string') parts.push(b.message)
  else if (b?.message && typeof b.message === 'object')
    for (const [field, value] of Object.entries(b.message))
      parts.push(`${field}: ${Array.isArray(value) ? value.join(', ') : JSON.stringify(value)}`)
  if (typeof b?.msg === 'string') parts.push(b.msg)
  if (Array.isArray(b?.errors))
    for (const e of b.errors) if (e?.message && !parts.includes(e.message)) parts.push(e.message)
  if (parts.length > 0) return parts.join('; ')
  const html = /<p>([^<]{1,300})<\/p>/i.exec(text)?.[1] ?? /<title>([^<]{1,200})<\/title>/i.exec(text)?.[1]
  return (html ?? text.slice(0, 200)).trim() || 'no details'
}
