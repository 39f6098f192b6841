import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { Logger } from 'pino'
import type { KernelEgress } from './network-settings.ts'
import type { OutboundPolicy } from './outbound-policy.ts'

const WORKSPACE_ID = /^[A-Za-z0-9_-]{1,64}$/
const MAX_HEAD_BYTES = 16 * 1024
/** A request head must arrive, and the upstream answer the connect, within this time. */
const CONNECT_TIMEOUT_MS = 30_000

export interface KernelEgressProxyOptions {
  policy: OutboundPolicy
  /** The admins' setting, read for every connection (turning it off applies at once). */
  mode: () => Promise<KernelEgress>
  logger: Logger
}

/**
 * The only way out of a sandboxed kernel's network namespace: an HTTP proxy (CONNECT and absolute-URI
 * requests) on one unix socket per workspace, `<root>/<workspace id>/proxy.sock`. The sandbox provisioner
 * asks for a workspace's socket on `<root>/control.sock` (server-only) and bind-mounts that workspace's
 * folder alone into the sandbox, so the socket a connection arrives on names its workspace. Every
 * destination goes through the {@link OutboundPolicy} (resolved once, the checked address connected,
 * loopback/private/metadata and the instance's own endpoints refused); with the setting `off` every
 * request is refused.
 */
export class KernelEgressProxy {
  readonly root: string
  private readonly servers = new Map<string, net.Server>()
  private control?: net.Server
  private readonly sockets = new Set<net.Socket>()

  constructor(private readonly options: KernelEgressProxyOptions) {
    // Unix socket paths are limited to 107 bytes: a short folder of our own under the temp dir.
    this.root = mkdtempSync(path.join(os.tmpdir(), 'wbe-'))
    chmodSync(this.root, 0o700)
  }

  async start(): Promise<void> {
    const control = net.createServer((socket) => {
      let line = ''
      socket.setEncoding('utf8')
      socket.on('error', () => socket.destroy())
      socket.on('data', (chunk: string) => {
        line += chunk
        if (!line.includes('\n')) {
          if (line.length > 100) socket.destroy()
          return
        }
        const id = line.split('\n')[0]?.trim() ?? ''
        this.workspaceSocket(id).then(
          () => socket.end('ok\n'),
          () => socket.end('refused\n'),
        )
      })
    })
    await listenOn(control, path.join(this.root, 'control.sock'))
    chmodSync(path.join(this.root, 'control.sock'), 0o600)
    this.control = control
  }

  /** Ensures the workspace's proxy socket exists; returns its folder (what the sandbox mounts). */
  async workspaceSocket(workspaceId: string): Promise<string> {
    if (!WORKSPACE_ID.test(workspaceId)) throw new Error('not a workspace id')
    const dir = path.join(this.root, workspaceId)
    if (this.servers.has(workspaceId)) return dir
    mkdirSync(dir, { recursive: true, mode: 0o755 })
    const file = path.join(dir, 'proxy.sock')
    rmSync(file, { force: true })
    const server = net.createServer((socket) => this.serve(workspaceId, socket))
    this.servers.set(workspaceId, server)
    try {
      await listenOn(server, file)
    } catch (err) {
      this.servers.delete(workspaceId)
      throw err
    }
    // The sandbox runs as the workspace's own uid; only this workspace's sandboxes see the folder.
    chmodSync(file, 0o666)
    return dir
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    const servers = [...this.servers.values(), ...(this.control ? [this.control] : [])]
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    this.servers.clear()
    rmSync(this.root, { recursive: true, force: true })
  }

  private serve(workspaceId: string, client: net.Socket): void {
    this.sockets.add(client)
    client.on('close', () => this.sockets.delete(client))
    client.on('error', () => client.destroy())
    client.setTimeout(CONNECT_TIMEOUT_MS, () => client.destroy())
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) refuse(client, 431, 'request_head_too_large')
        return
      }
      client.off('data', onData)
      client.pause()
      this.handle(workspaceId, client, head.subarray(0, end).toString('latin1'), head.subarray(end + 4)).catch(
        (err: unknown) => {
          this.options.logger.warn({ workspaceId, err: String(err) }, 'kernel egress: proxy error')
          refuse(client, 502, 'upstream_failed')
        },
      )
    }
    client.on('data', onData)
  }

  private async handle(workspaceId: string, client: net.Socket, head: string, rest: Buffer): Promise<void> {
    const [requestLine = '', ...headerLines] = head.split('\r\n')
    const [method = '', target = '', version = 'HTTP/1.1'] = requestLine.split(' ')
    const connect = method.toUpperCase() === 'CONNECT'
    let host: string
    let port: number
    let pathPart = ''
    try {
      if (connect) {
        const url = new URL(`http://${target}`)
        if (!url.port) throw new Error('no port')
        host = url.hostname
        port = Number(url.port)
      } else {
        const url = new URL(target)
        if (url.protocol !== 'http:') throw new Error('not http')
        host = url.hostname
        port = Number(url.port || 80)
        pathPart = `${url.pathname}${url.search}`
      }
    } catch {
      return refuse(client, 400, 'bad_proxy_request')
    }
    const log = { workspaceId, method: connect ? 'CONNECT' : method, host, port }
    if ((await this.options.mode()) !== 'policy') {
      this.options.logger.info({ ...log, outcome: 'refused', reason: 'kernel_egress_off' }, 'kernel egress')
      return refuse(client, 403, 'kernel_egress_off')
    }
    let address: string
    try {
      const guard = await this.options.policy.guard()
      address = (await guard.resolveEndpoint(host, port)).address
    } catch (err) {
      const code = err instanceof Error && 'code' in err ? String(err.code) : 'destination_not_allowed'
      this.options.logger.info({ ...log, outcome: 'refused', reason: code }, 'kernel egress')
      return refuse(client, 403, code)
    }
    this.options.logger.info({ ...log, outcome: 'allowed' }, 'kernel egress')
    const upstream = net.connect({ host: address, port })
    this.sockets.add(upstream)
    let connected = false
    upstream.setTimeout(CONNECT_TIMEOUT_MS, () => {
      if (!connected) refuse(client, 504, 'upstream_timeout')
      upstream.destroy()
    })
    upstream.on('close', () => {
      this.sockets.delete(upstream)
      // Before the upstream answered, the refusal written to the client closes it.
      if (connected) client.destroy()
    })
    client.on('close', () => upstream.destroy())
    upstream.on('error', () => {
      if (!connected) refuse(client, 502, 'upstream_unreachable')
      upstream.destroy()
    })
    upstream.on('connect', () => {
      connected = true
      upstream.setTimeout(0)
      client.setTimeout(0)
      if (connect) client.write(`${version} 200 Connection Established\r\n\r\n`)
      else {
        // One request per connection; hop-by-hop and proxy headers are not forwarded.
        const headers = headerLines.filter((l) => !/^(proxy-[a-z-]*|connection|keep-alive)\s*:/i.test(l))
        upstream.write(
          `${method} ${pathPart || '/'} ${version}\r\n${[...headers, 'Connection: close'].join('\r\n')}\r\n\r\n`,
        )
      }
      if (rest.length > 0) upstream.write(rest)
      client.pipe(upstream)
      upstream.pipe(client)
      client.resume()
    })
  }
}

function refuse(socket: net.Socket, status: number, code: string): void {
  if (socket.destroyed) return
  const body = `${JSON.stringify({ error: { code, message: 'Refused by the workbench kernel egress policy' } })}\n`
  socket.end(
    `HTTP/1.1 ${status} Refused\r\nContent-Type: application/json\r\nX-Workbench-Refusal: ${code}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

function listenOn(server: net.Server, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(file, () => {
      server.off('error', reject)
      resolve()
    })
  })
}
