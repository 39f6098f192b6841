import http from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { Readable } from 'node:stream'
import { DESTINATION_NOT_ALLOWED, type NetworkGuard, type ResolvedHost } from './network-guard.ts'
import { ConnectionProblem } from './problems.ts'

/** The guard in force for one request: built per request so allow-list changes apply at once. */
export type GuardSource = () => NetworkGuard | Promise<NetworkGuard>

export interface GuardedFetchOptions {
  guard: GuardSource
  /** Redirects followed, each hop re-checked; more is an error (5 by default; 0 follows none). */
  maxRedirects?: number
  /** Response bodies are cut after this many bytes (1 MiB by default). */
  maxBodyBytes?: number
  /** Whole-request timeout, headers and body (30 s by default). */
  timeoutMs?: number
}

/**
 * A refused outbound request: the destination (or a redirect's) is outside the instance's network
 * policy. `code` is stable; the message names no address.
 */
export class DestinationNotAllowedError extends Error {
  readonly code = DESTINATION_NOT_ALLOWED
  constructor(message: string) {
    super(message)
    this.name = 'DestinationNotAllowedError'
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const NULL_BODY = new Set([101, 204, 205, 304])

/**
 * The one HTTP client for requests made on a user's behalf (pipeline `http` steps, alert webhooks,
 * and every connector: Odoo, OCR, Superset, n8n, MCP servers, the AI base URL). A `fetch` with the
 * outbound policy built in: each hop's host is resolved once through the {@link NetworkGuard} and the
 * socket connects to exactly that checked address (DNS cannot answer differently afterwards);
 * redirects are followed by hand, every hop re-checked, at most `maxRedirects`; bodies are bounded
 * and the whole exchange has a timeout. A refusal throws {@link DestinationNotAllowedError}.
 *
 * @example
 * const fetch = guardedFetch({ guard: () => policy.guard() })
 * const res = await fetch('https://hooks.example.com/x', { method: 'POST', body: '{}' })
 */
export function guardedFetch(options: GuardedFetchOptions): typeof fetch {
  const maxRedirects = options.maxRedirects ?? 5
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const timeoutMs = options.timeoutMs ?? 30_000
  const impl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const request = input instanceof Request ? input : undefined
    let url = new URL(request ? request.url : String(input))
    let method = (init.method ?? request?.method ?? 'GET').toUpperCase()
    const headers = new Headers(init.headers ?? request?.headers)
    let body: Buffer | undefined = await bodyBytes(init.body ?? (request?.body ? await request.arrayBuffer() : null))
    const signals = [AbortSignal.timeout(timeoutMs), init.signal, request?.signal].filter(
      (s): s is AbortSignal => s instanceof AbortSignal,
    )
    const signal = AbortSignal.any(signals)
    const guard = await options.guard()
    for (let hop = 0; ; hop++) {
      const target = await checkedTarget(guard, url)
      const res = await send(url, target, method, headers, body, signal)
      const location = res.headers.location
      if (!REDIRECTS.has(res.statusCode ?? 0) || !location || init.redirect === 'manual') {
        return toResponse(res, url, maxBodyBytes, signal)
      }
      res.destroy()
      if (init.redirect === 'error') throw new TypeError(`redirect from ${url.origin} refused (redirect: 'error')`)
      if (hop >= maxRedirects) throw new TypeError(`more than ${maxRedirects} redirects`)
      const next = new URL(location, url)
      if (next.origin !== url.origin) {
        // Credentials meant for one origin never follow a redirect to another.
        for (const name of ['authorization', 'cookie', 'proxy-authorization']) headers.delete(name)
      }
      const status = res.statusCode as number
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET'
        body = undefined
        headers.delete('content-type')
        headers.delete('content-length')
      }
      url = next
    }
  }
  return impl as typeof fetch
}

async function checkedTarget(guard: NetworkGuard, url: URL): Promise<ResolvedHost> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new DestinationNotAllowedError(`Only http and https URLs may be requested (not ${url.protocol})`)
  if (url.username || url.password) throw new DestinationNotAllowedError('URLs with credentials are not allowed')
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  try {
    return await guard.resolveEndpoint(url.hostname, port)
  } catch (err) {
    if (err instanceof ConnectionProblem && err.code === DESTINATION_NOT_ALLOWED)
      throw new DestinationNotAllowedError(err.message)
    if (err instanceof ConnectionProblem) throw new TypeError(err.message)
    throw err
  }
}

function send(
  url: URL,
  target: ResolvedHost,
  method: string,
  headers: Headers,
  body: Buffer | undefined,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  const secure = url.protocol === 'https:'
  // The socket connects to the address the guard checked, never to a second DNS answer.
  const lookup: LookupFunction = (_host, opts, callback) => {
    if ((opts as { all?: boolean }).all) callback(null, [{ address: target.address, family: target.family }])
    else callback(null, target.address, target.family)
  }
  const outgoing: Record<string, string> = {}
  headers.forEach((value, key) => {
    outgoing[key] = value
  })
  if (body) outgoing['content-length'] = String(body.length)
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request({
      protocol: url.protocol,
      hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method,
      headers: outgoing,
      lookup,
      agent: false,
      signal,
      ...(secure && !isIP(hostname) ? { servername: hostname } : {}),
    })
    req.on('response', resolve)
    req.on('error', (err) =>
      reject(signal.aborted ? (signal.reason ?? err) : new TypeError('fetch failed', { cause: err })),
    )
    req.end(body)
  })
}

function toResponse(res: http.IncomingMessage, url: URL, maxBodyBytes: number, signal: AbortSignal): Response {
  const status = res.statusCode ?? 0
  if (status < 200 || status > 599) {
    res.destroy()
    throw new TypeError(`${url.origin} answered with HTTP status ${status}`)
  }
  const headers = new Headers()
  for (const [key, value] of Object.entries(res.headers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) headers.append(key, v)
  }
  if (NULL_BODY.has(status)) {
    res.destroy()
    return new Response(null, { status, statusText: res.statusMessage, headers })
  }
  headers.delete('content-length')
  const bounded = Readable.toWeb(truncate(res, maxBodyBytes, signal)) as ReadableStream<Uint8Array>
  const response = new Response(bounded, { status, statusText: res.statusMessage, headers })
  Object.defineProperty(response, 'url', { value: url.toString() })
  return response
}

/** The body up to `limit` bytes: the rest is not read (the socket is closed). */
function truncate(source: http.IncomingMessage, limit: number, signal: AbortSignal): Readable {
  let seen = 0
  let ended = false
  const out = new Readable({ read: () => source.resume() })
  const end = () => {
    if (ended) return
    ended = true
    out.push(null)
  }
  const stop = () => {
    source.destroy()
    end()
  }
  source.on('data', (chunk: Buffer) => {
    const room = limit - seen
    seen += chunk.length
    if (room <= 0) return stop()
    if (!out.push(chunk.length > room ? chunk.subarray(0, room) : chunk)) source.pause()
    if (seen >= limit) stop()
  })
  source.on('end', end)
  source.on('error', (err) => {
    if (!ended) out.destroy(err)
  })
  signal.addEventListener('abort', () => out.destroy(signal.reason as Error), { once: true })
  return out
}

async function bodyBytes(body: RequestInit['body'] | ArrayBuffer): Promise<Buffer | undefined> {
  if (body === null || body === undefined) return undefined
  if (typeof body === 'string') return Buffer.from(body)
  return Buffer.from(await new Response(body).arrayBuffer())
}
