import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workspaceCaller } from '../pipelines/support.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { startTestWorkbench, type TestWorkbench } from '../support/workbench.ts'

/**
 * Escape suite for kernel egress (issue 14, build item 1): a sandboxed kernel reaches the network only
 * through the workbench's egress proxy, only when the instance admin set `policy`, and then only where
 * the outbound policy allows. The only success target is a loopback test server on the allow-list.
 */
const FETCH = `
import http.client, json, urllib.error, urllib.request
def fetch(url, proxy=True):
    opener = urllib.request.build_opener() if proxy else urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        r = opener.open(url, timeout=10)
        return {"status": r.status, "body": r.read().decode()}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "refusal": e.headers.get("X-Workbench-Refusal")}
    except Exception as e:
        return {"error": type(e).__name__}
def tunnel(host, port):
    c = http.client.HTTPConnection("127.0.0.1", 3128, timeout=10)
    c.set_tunnel(host, port)
    try:
        c.request("GET", "/tunnel")
        r = c.getresponse()
        return {"status": r.status, "body": r.read().decode()}
    except OSError as e:
        return {"error": type(e).__name__, "message": str(e)}
`

const ADMIN = { email: 'admin@example.test', password: 'a long enough password' }

interface Result {
  status?: number
  body?: string
  refusal?: string | null
  error?: string
  message?: string
}

describe.each(DATABASE_KINDS)('kernel egress (%s metadata DB)', (kind) => {
  let wb: TestWorkbench
  let database: TestDatabase | undefined
  let token: string
  let api: ReturnType<typeof workspaceCaller>
  let session: string
  let target: http.Server
  let targetUrl: string
  let hits: string[] = []

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await wb.app.request(`/api${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as any }
  }
  const run = async (expr: string): Promise<Result> => {
    const res = await api('POST', `/kernels/sessions/${session}/execute`, {
      language: 'python',
      code: `print(json.dumps(${expr}))`,
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const outputs = res.body.outputs as { output_type: string; text?: string; evalue?: string }[]
    const text = outputs.find((o) => o.output_type === 'stream')?.text
    expect(text, JSON.stringify(outputs)).toBeDefined()
    return JSON.parse(text as string) as Result
  }

  beforeAll(async () => {
    database = kind === 'postgres' ? await createTestDatabase('postgres') : undefined
    target = http.createServer((req, res) => {
      hits.push(req.url ?? '')
      res.end('hello from the target')
    })
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`
    wb = await startTestWorkbench({
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      ...(database?.url ? { DATABASE_URL: database.url } : {}),
    })
    const login = await wb.app.request('/api/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    })
    token = ((await login.json()) as { accessToken: string }).accessToken
    const ws = (await admin('POST', '/workspaces', { name: 'ws1' })).body.id as string
    api = workspaceCaller(wb.app, ws, token)
    const notebook = (await api('POST', '/notebooks', { name: 'n1' })).body.id
    session = (await api('POST', '/kernels/sessions', { notebookId: notebook })).body.id
    const setup = await api('POST', `/kernels/sessions/${session}/execute`, { language: 'python', code: FETCH })
    expect(setup.status).toBe(200)
  }, 180_000)
  afterAll(async () => {
    await wb?.dispose()
    await database?.dispose()
    await new Promise<void>((resolve) => target?.close(() => resolve()))
  })

  it('is off by default: no request leaves the kernel, through the proxy or directly', async () => {
    expect(await admin('GET', '/admin/kernels/egress')).toEqual({ status: 200, body: { mode: 'off' } })
    await admin('PUT', '/admin/connections/allowed-networks', { networks: ['127.0.0.0/8'] })
    hits = []
    expect(await run(`fetch(${JSON.stringify(targetUrl)})`)).toEqual({ status: 403, refusal: 'kernel_egress_off' })
    expect((await run(`tunnel("127.0.0.1", ${JSON.stringify(Number(new URL(targetUrl).port))})`)).error).toBeDefined()
    expect((await run(`fetch(${JSON.stringify(targetUrl)}, proxy=False)`)).error).toBeDefined()
    expect(hits).toEqual([])
    await admin('PUT', '/admin/connections/allowed-networks', { networks: [] })
  }, 60_000)

  it('only instance admins change the setting, and bad values are a 400', async () => {
    expect((await admin('PUT', '/admin/kernels/egress', { mode: 'everything' })).status).toBe(400)
    const anonymous = await wb.app.request('/api/admin/kernels/egress', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'policy' }),
    })
    expect(anonymous.status).toBe(401)
    expect((await admin('GET', '/admin/kernels/egress')).body.mode).toBe('off')
  })

  it('with policy, loopback is refused unless allow-listed, and the instance endpoints always', async () => {
    expect(await admin('PUT', '/admin/kernels/egress', { mode: 'policy' })).toEqual({
      status: 200,
      body: { mode: 'policy' },
    })
    hits = []
    expect(await run(`fetch(${JSON.stringify(targetUrl)})`)).toEqual({
      status: 403,
      refusal: 'destination_not_allowed',
    })
    expect((await run(`fetch(${JSON.stringify(targetUrl.replace('127.0.0.1', '0x7f.1'))})`)).status).toBe(403)
    expect((await run(`fetch(${JSON.stringify(targetUrl)}, proxy=False)`)).error).toBeDefined()
    expect(hits).toEqual([])

    await admin('PUT', '/admin/connections/allowed-networks', { networks: ['127.0.0.0/8'] })
    const jupyterPort = Number(new URL(wb.jupyter.endpoint.baseUrl).port)
    const ownPort = Number(new URL(wb.url).port)
    for (const port of [jupyterPort, ownPort]) {
      expect(await run(`fetch("http://127.0.0.1:${port}/api/status")`)).toEqual({
        status: 403,
        refusal: 'destination_not_allowed',
      })
      expect((await run(`tunnel("127.0.0.1", ${port})`)).message).toContain('403')
    }

    // An allowed destination that does not answer is a clean 502, not a hang.
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const closedPort = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    expect(await run(`fetch("http://127.0.0.1:${closedPort}/")`)).toEqual({
      status: 502,
      refusal: 'upstream_unreachable',
    })

    const ok = await run(`fetch(${JSON.stringify(`${targetUrl}/through-proxy`)})`)
    expect(ok).toEqual({ status: 200, body: 'hello from the target' })
    const tunnelled = await run(`tunnel("127.0.0.1", ${Number(new URL(targetUrl).port)})`)
    expect(tunnelled).toEqual({ status: 200, body: 'hello from the target' })
    expect(hits).toEqual(['/through-proxy', '/tunnel'])

    // Turning it off applies to the running kernel at once.
    expect((await admin('PUT', '/admin/kernels/egress', { mode: 'off' })).body.mode).toBe('off')
    hits = []
    expect(await run(`fetch(${JSON.stringify(targetUrl)})`)).toEqual({ status: 403, refusal: 'kernel_egress_off' })
    expect(hits).toEqual([])
    await admin('PUT', '/admin/connections/allowed-networks', { networks: [] })
  }, 120_000)
})
