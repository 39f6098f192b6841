import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NetworkGuard, type Resolver } from './network-guard.ts'
import { DestinationNotAllowedError, type GuardedFetchOptions, guardedFetch } from './outbound-http.ts'

describe('guardedFetch', () => {
  let server: http.Server
  let port: number
  const seen: { url: string; authorization?: string; method: string }[] = []

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization, method: req.method ?? '' })
      const url = new URL(req.url ?? '/', 'http://x')
      if (url.pathname === '/big') return void res.end('x'.repeat(100_000))
      if (url.pathname === '/loop') return void res.writeHead(302, { location: '/loop' }).end()
      if (url.pathname === '/other-origin')
        return void res.writeHead(307, { location: `http://other.test:${port}/echo` }).end()
      if (url.pathname === '/see-other') return void res.writeHead(303, { location: '/echo' }).end()
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: url.pathname }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  // Only `.test` names exist, all on loopback, which only this allow-list opens.
  const resolver: Resolver = async (host) => {
    if (!host.endsWith('.test')) throw new Error('no such host')
    return [{ address: '127.0.0.1', family: 4 }]
  }
  const allowing = (allowed: string[], options: Omit<GuardedFetchOptions, 'guard'> = {}) =>
    guardedFetch({ ...options, guard: () => new NetworkGuard({ allowed, resolver }) })

  it('connects to the address the guard checked, never asking DNS again', async () => {
    // `pinned.test` exists only for the guard's resolver: the socket reached it through the pinned address.
    const res = await allowing(['127.0.0.0/8'])(`http://pinned.test:${port}/echo`)
    expect(await res.json()).toEqual({ path: '/echo' })
  })

  it('refuses loopback unless allow-listed, with a stable code and no address in the message', async () => {
    const err = await allowing([])(`http://pinned.test:${port}/echo`).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DestinationNotAllowedError)
    expect((err as DestinationNotAllowedError).code).toBe('destination_not_allowed')
    expect((err as Error).message).not.toContain('127.0.0.1')
    const scheme = await allowing(['127.0.0.0/8'])('file:///etc/passwd').catch((e: unknown) => e)
    expect(scheme).toBeInstanceOf(DestinationNotAllowedError)
  })

  it('bounds the body, limits redirects, and turns 303 into GET', async () => {
    const fetch = allowing(['127.0.0.0/8'], { maxBodyBytes: 1000, maxRedirects: 3 })
    expect((await (await fetch(`http://127.0.0.1:${port}/big`)).text()).length).toBe(1000)
    await expect(fetch(`http://127.0.0.1:${port}/loop`)).rejects.toThrow(/more than 3 redirects/)
    const res = await fetch(`http://127.0.0.1:${port}/see-other`, { method: 'POST', body: '{}' })
    expect(await res.json()).toEqual({ path: '/echo' })
    expect(seen.at(-1)?.method).toBe('GET')
    const manual = await fetch(`http://127.0.0.1:${port}/loop`, { redirect: 'manual' })
    expect(manual.status).toBe(302)
  })

  it('drops credentials on a redirect to another origin', async () => {
    const fetch = allowing(['127.0.0.0/8'])
    await fetch(`http://127.0.0.1:${port}/other-origin`, { headers: { authorization: 'Bearer secret' } })
    expect(seen.at(-2)).toMatchObject({ url: '/other-origin', authorization: 'Bearer secret' })
    expect(seen.at(-1)).toMatchObject({ url: '/echo', authorization: undefined })
  })
})
