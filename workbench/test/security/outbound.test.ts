import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../../orchestrator/test/support/pipeline-env.ts'
import { writeAllowedNetworks } from '../../src/connections/network-settings.ts'
import { freePort } from '../../src/services/free-port.ts'
import { header, workspaceCaller } from '../pipelines/support.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { TEST_SIGNING_KEY } from '../support/identity.ts'
import { createMembers } from '../support/members.ts'
import { startTestWorkbench, type TestWorkbench } from '../support/workbench.ts'

/** An HTTP server that must never be reached: counts every connection and request. */
async function victimServer(host: string) {
  const hits: string[] = []
  let connections = 0
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`)
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"secret":"victim data"}')
  })
  server.on('connection', () => {
    connections++
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    connections: () => connections,
    reset: () => {
      hits.length = 0
      connections = 0
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A server on an allow-listed address that redirects wherever `?to=` says, with `?code=`. */
async function redirectServer(host: string) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname === '/ok')
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    res.writeHead(Number(url.searchParams.get('code') ?? 302), { location: url.searchParams.get('to') ?? '/' }).end()
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    via: (to: string, code = 302) => `http://${host}:${port}/r?code=${code}&to=${encodeURIComponent(to)}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A name from /etc/hosts that maps to loopback (other than localhost), or localhost itself. */
function hostsFileName(): string {
  for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/)
    if (!address?.startsWith('127.')) continue
    const name = names.find((n) => n && n !== 'localhost' && !n.includes('localhost'))
    if (name) return name
  }
  return 'localhost'
}

const REFUSED = "not allowed by this instance's network policy"

/**
 * Finding 3 (and the port scan of finding 2) of issue 14: http steps and alert webhooks reached
 * loopback in every spelling, followed redirects to other ports, and saving accepted metadata and
 * private addresses; the connection test told open ports from closed ones. Every attack here runs
 * against the whole embedded stack (API, Temporal dev server, in-process worker) and real HTTP
 * servers on loopback that must not be hit.
 */
describe.each(DATABASE_KINDS)('one outbound policy (%s)', (kind) => {
  let database: TestDatabase | undefined
  let wb: TestWorkbench
  let victim: Awaited<ReturnType<typeof victimServer>>
  let relay: Awaited<ReturnType<typeof redirectServer>>
  let api: ReturnType<typeof workspaceCaller>
  let admin: ReturnType<typeof workspaceCaller>
  const hostsName = hostsFileName()

  beforeAll(async () => {
    // Dual-stack on every address: each spelling would reach it if the policy let it through.
    victim = await victimServer('::')
    relay = await redirectServer('127.0.0.2')
    if (kind === 'postgres') database = await createTestDatabase('postgres')
    wb = await startTestWorkbench({
      AUTH_JWT_SECRET: TEST_SIGNING_KEY,
      CONNECTION_TEST_TIMEOUT_MS: '1000',
      ...(database?.url ? { DATABASE_URL: database.url } : {}),
    })
    const members = createMembers(wb.db)
    const ws = await members.workspace()
    api = workspaceCaller(wb.app, ws, (await members.member(ws, 'editor')).token)
    admin = workspaceCaller(wb.app, ws, (await members.member(ws, 'admin')).token)
  }, 240_000)
  afterAll(async () => {
    await wb?.dispose()
    await database?.dispose()
    await victim?.close()
    await relay?.close()
  })

  const spellings = () => {
    const v = victim.port
    return [
      `http://127.0.0.1:${v}/`,
      `http://127.1:${v}/`,
      `http://0x7f.1:${v}/`,
      `http://0177.0.0.1:${v}/`,
      `http://2130706433:${v}/`,
      `http://[::ffff:7f00:1]:${v}/`,
      `http://[::ffff:127.0.0.1]:${v}/`,
      `http://[::1]:${v}/`,
      `http://0.0.0.0:${v}/`,
      `http://[::]:${v}/`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://10.0.0.1/',
      'http://172.16.0.1/',
      'http://192.168.1.1/',
      'http://100.64.0.1/',
      'http://[fc00::1]/',
      'http://[fe80::1]/',
    ]
  }
  const names = () => [`http://localhost:${victim.port}/`, `http://${hostsName}:${victim.port}/`]

  /** Runs a pipeline to its end; returns the run's detail. */
  const runToEnd = async (yaml: string, extra: Record<string, unknown> = {}) => {
    const created = await api('POST', '/pipelines', { yaml, ...extra })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const started = await api('POST', `/pipelines/${created.body.id}/runs`, {})
    expect(started.status).toBe(201)
    let detail: any
    await waitFor(
      async () => {
        detail = (await api('GET', `/pipeline-runs/${started.body.id}`)).body
        return ['succeeded', 'failed', 'cancelled'].includes(detail.status)
      },
      'the run to finish',
      90_000,
    )
    return { pipelineId: created.body.id as string, detail }
  }
  /** One http step per URL, all started at once, each URL passed as a parameter (checked only at request time). */
  const fanOut = (name: string, urls: string[]) =>
    [
      `${header(name)}concurrency: ${urls.length}`,
      'params:',
      ...urls.map((u, i) => `  t${i}: { type: string, default: '${u}' }`),
      'steps:',
      ...urls.map((_, i) => `  - { id: s${i}, type: http, with: { url: '{{ params.t${i} }}' } }`),
      '',
    ].join('\n')

  it('refuses every spelling of loopback, private, link-local and metadata addresses when saving, naming the step and field', async () => {
    for (const url of spellings()) {
      const res = await api('POST', '/pipelines', {
        yaml: `${header(`lit-${Math.random().toString(36).slice(2)}`)}steps:\n  - { id: grab, type: http, with: { url: '${url}' } }\n`,
      })
      expect(res.status, url).toBe(400)
      expect(res.body.code).toBe('invalid_pipeline')
      expect(res.body.details.problems[0], url).toMatchObject({
        code: 'destination_not_allowed',
        path: ['steps', 0, 'with', 'url'],
        message: expect.stringContaining("step 'grab'"),
        line: 5,
      })
    }
    for (const url of spellings()) {
      const res = await api('POST', '/pipelines', {
        yaml: `${header(`hook-${Math.random().toString(36).slice(2)}`)}steps:\n  - { id: a, type: sql, with: { sql: 'select 1' } }\n`,
        alertWebhookUrl: url,
      })
      expect([res.status, res.body.code], url).toEqual([400, 'destination_not_allowed'])
      expect(res.body.details.fields[0].field).toBe('alertWebhookUrl')
    }
    expect(victim.connections()).toBe(0)
  })

  it('refuses them when the step runs too (templated URLs, names resolving to loopback): the target is never hit', async () => {
    const urls = [...spellings(), ...names()]
    const { detail } = await runToEnd(fanOut(`spell-${kind}`, urls))
    expect(detail.status).toBe('failed')
    for (const [i, url] of urls.entries()) {
      const step = detail.steps.find((s: any) => s.stepId === `s${i}`)
      expect(step?.status, url).toBe('failed')
      expect(step.error, url).toContain(REFUSED)
      // No internal detail: the refusal names no address.
      expect(step.error).not.toMatch(/127\.0\.0\.1|169\.254|::1/)
      expect(step.attempts ?? 1, 'a refusal is not retried').toBeLessThanOrEqual(1)
    }
    expect(victim.hits).toEqual([])
    expect(victim.connections()).toBe(0)
  })

  it('re-checks every redirect hop: an allow-listed server redirecting to loopback or another port is refused', async () => {
    await writeAllowedNetworks(wb.db.db, ['127.0.0.2/32'])
    try {
      const temporalHttp = wb.temporal.internalEndpoints?.http ?? `127.0.0.1:${await freePort()}`
      const urls = [
        ...[301, 302, 303, 307, 308].map((code) => relay.via(`http://127.0.0.1:${victim.port}/`, code)),
        relay.via(`http://localhost:${victim.port}/`),
        relay.via(`http://[::1]:${victim.port}/`),
        relay.via(`http://${temporalHttp}/api/v1/namespaces/default/workflows`, 307),
        relay.via(`http://127.0.0.2:${temporalHttp?.split(':')[1]}/api/v1/namespaces/default/workflows`),
        // Allowed hop to allowed hop: followed.
        relay.via(`http://127.0.0.2:${relay.port}/ok`, 308),
      ]
      const { detail } = await runToEnd(fanOut(`redir-${kind}`, urls))
      expect(victim.hits).toEqual([])
      const byId = (i: number) => detail.steps.find((s: any) => s.stepId === `s${i}`)
      for (let i = 0; i < urls.length - 1; i++) {
        expect(byId(i)?.status, urls[i]).toBe('failed')
        expect(byId(i).error, urls[i]).toContain(REFUSED)
      }
      expect(byId(urls.length - 1)).toMatchObject({ status: 'succeeded', output: { status: 200, body: { ok: true } } })
      expect(victim.hits).toEqual([])
    } finally {
      await writeAllowedNetworks(wb.db.db, [])
    }
  })

  it('alert webhooks go through the same policy: a name resolving to loopback, or a redirect there, receives nothing', async () => {
    await writeAllowedNetworks(wb.db.db, ['127.0.0.2/32'])
    try {
      for (const hook of [
        `http://localhost:${victim.port}/hook`,
        relay.via(`http://127.0.0.1:${victim.port}/hook`, 307),
      ]) {
        const failing = `${header(`alert-${Math.random().toString(36).slice(2)}`)}params:\n  t: { type: string, default: 'http://10.0.0.1/' }\nsteps:\n  - { id: fail, type: http, with: { url: '{{ params.t }}' } }\n`
        const { pipelineId, detail } = await runToEnd(failing, { alertWebhookUrl: hook })
        expect(detail.status).toBe('failed')
        let alert: any
        await waitFor(
          async () => {
            alert = await wb.db.db
              .selectFrom('pipeline_alerts')
              .selectAll()
              .where('pipeline_id', '=', pipelineId)
              .executeTakeFirst()
            return alert !== undefined && alert.delivery !== 'pending'
          },
          'the alert delivery to end',
          60_000,
        )
        expect(alert.delivery, hook).toBe('failed')
        if (hook.includes('localhost')) expect(alert.last_error).toBe('destination_not_allowed')
      }
      expect(victim.hits).toEqual([])
    } finally {
      await writeAllowedNetworks(wb.db.db, [])
    }
  })

  it('the connection test refuses every spelling before connecting, and is no port scanner', async () => {
    const test = (host: string, port: number, sslMode = 'disable') =>
      admin('POST', '/connections/test', {
        type: 'postgres',
        params: { host, port, database: 'd', user: 'u', password: 'p', sslMode },
      })
    const hosts = [
      '127.0.0.1',
      '127.1',
      '0x7f.1',
      '0177.0.0.1',
      '2130706433',
      '[::ffff:7f00:1]',
      '::ffff:127.0.0.1',
      '::1',
      '0.0.0.0',
      'localhost',
      hostsName,
      '169.254.169.254',
      'fd00:ec2::254',
      '10.0.0.1',
    ]
    for (const host of hosts) {
      const res = await test(host, victim.port)
      expect(res.body, host).toMatchObject({ ok: false, error: { code: 'destination_not_allowed' } })
      expect(res.body.error.message).not.toContain('127.0.0.1')
    }
    expect(victim.connections()).toBe(0)

    // With loopback allow-listed, an open (non-database) port, a closed one and a silent one answer alike.
    await writeAllowedNetworks(wb.db.db, ['127.0.0.0/8'])
    try {
      const closed = await freePort()
      const open = await test('127.0.0.1', victim.port)
      const shut = await test('127.0.0.1', closed)
      const strip = (r: any, port: number) => ({
        ...r.body.error,
        message: r.body.error.message.replace(String(port), 'PORT'),
      })
      expect(open.body.error.code).toBe('unreachable')
      expect(strip(open, victim.port)).toEqual(strip(shut, closed))
      expect(open.body.durationMs).toBeGreaterThanOrEqual(1000)
      expect(shut.body.durationMs).toBeGreaterThanOrEqual(1000)
      const openTls = await test('127.0.0.1', victim.port, 'require')
      expect(strip(openTls, victim.port)).toEqual(strip(await test('127.0.0.1', closed, 'require'), closed))
      // The instance's own Temporal ports stay refused whatever the allow-list.
      const [, grpcPort] = wb.temporal.address.split(':')
      const [, httpPort] = (wb.temporal.internalEndpoints?.http ?? ':0').split(':')
      for (const port of [Number(grpcPort), Number(httpPort)])
        expect((await test('127.0.0.1', port)).body.error.code).toBe('destination_not_allowed')
    } finally {
      await writeAllowedNetworks(wb.db.db, [])
    }
  })
})
