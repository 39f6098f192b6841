import { lookup } from 'node:dns/promises'
import { isIPv4, isIPv6 } from 'node:net'
import { ConnectionProblem } from './problems.ts'

/** Answers a host name with its addresses (injectable so tests can play a rebinding DNS server). */
export type Resolver = (host: string) => Promise<{ address: string; family: 4 | 6 }[]>

/**
 * The system resolver, IPv4 answers first: drivers connect to one address (no fallback between
 * families), and local databases often listen on 127.0.0.1 only while `localhost` also names ::1.
 */
export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true }))
    .map((a) => ({ address: a.address, family: a.family === 6 ? (6 as const) : (4 as const) }))
    .sort((a, b) => a.family - b.family)

export interface NetworkGuardOptions {
  /**
   * CIDRs (IPv4 or IPv6) an instance admin allowed although they are in a blocked range: the only way
   * to reach loopback, private, link-local or metadata addresses, in every mode.
   */
  allowed: string[]
  resolver?: Resolver
}

/** The stable code of every refusal, whatever the address or spelling; the message names no address. */
export const DESTINATION_NOT_ALLOWED = 'destination_not_allowed'

const REFUSED_MESSAGE =
  "The destination is not allowed by this instance's network policy; an instance admin can allow its network"

/**
 * Endpoints of the instance itself (the embedded Temporal server's gRPC, HTTP and metrics ports) that
 * no allow-list opens: an admin who allows 127.0.0.0/8 for a local database must not open Temporal.
 */
const reservedEndpoints = new Set<string>()

/** Marks `address:port` as never reachable on a user's behalf (see {@link NetworkGuard.resolveEndpoint}). */
export function reserveEndpoint(address: string, port: number): () => void {
  const key = endpointKey(address, port)
  reservedEndpoints.add(key)
  return () => reservedEndpoints.delete(key)
}

function endpointKey(address: string, port: number): string {
  const bytes = ipBytes(address)
  return `${bytes ? Array.from(embeddedIpv4(bytes) ?? bytes).join('.') : address}:${port}`
}

/** Whether `address:port` is one of the instance's reserved endpoints (also through 0.0.0.0 or 127/8). */
export function isReservedEndpoint(address: string, port: number): boolean {
  if (reservedEndpoints.has(endpointKey(address, port))) return true
  const bytes = ipBytes(address)
  const v4 = bytes && (embeddedIpv4(bytes) ?? bytes)
  const local = v4 !== undefined && (v4.every((b) => b === 0) || (v4.length === 4 && v4[0] === 127))
  if (!local) return false
  for (const key of reservedEndpoints) if (key.startsWith('127.') && key.endsWith(`:${port}`)) return true
  return false
}

/** A host resolved once: connect to `address`, keep `host` for TLS server-name checks. */
export interface ResolvedHost {
  host: string
  address: string
  family: 4 | 6
}

interface Cidr {
  bytes: Uint8Array
  bits: number
}

const BLOCKED: { range: string; why: string }[] = [
  { range: '169.254.169.254/32', why: 'a cloud metadata address' },
  { range: 'fd00:ec2::254/128', why: 'a cloud metadata address' },
  { range: '0.0.0.0/8', why: 'an unspecified address' },
  { range: '127.0.0.0/8', why: 'a loopback address' },
  { range: '169.254.0.0/16', why: 'a link-local address' },
  { range: '10.0.0.0/8', why: 'a private address' },
  { range: '172.16.0.0/12', why: 'a private address' },
  { range: '192.168.0.0/16', why: 'a private address' },
  { range: '100.64.0.0/10', why: 'a shared (carrier-grade NAT) address' },
  { range: '192.0.0.0/24', why: 'a reserved address' },
  { range: '198.18.0.0/15', why: 'a benchmarking address' },
  { range: '224.0.0.0/4', why: 'a multicast address' },
  { range: '240.0.0.0/4', why: 'a reserved address' },
  { range: '::/128', why: 'an unspecified address' },
  { range: '::1/128', why: 'a loopback address' },
  { range: 'fe80::/10', why: 'a link-local address' },
  { range: 'fc00::/7', why: 'a private (unique local) address' },
  { range: 'ff00::/8', why: 'a multicast address' },
]
const blocked = BLOCKED.map((b) => ({ cidr: parseCidr(b.range), why: b.why }))

/**
 * The SSRF guard for every host-bearing connection field. Resolves the name once, refuses blocked
 * addresses (loopback, link-local, metadata, private, unspecified; every numeric spelling of them),
 * and returns the address the driver must connect to, so a second DNS answer cannot switch it.
 *
 * @example
 * const { address } = await guard.resolve('db.example.com') // then connect to `address`
 */
export class NetworkGuard {
  private readonly allowed: Cidr[]
  private readonly resolver: Resolver

  constructor(options: NetworkGuardOptions) {
    this.allowed = options.allowed.map(parseCidr)
    this.resolver = options.resolver ?? systemResolver
  }

  async resolve(host: string): Promise<ResolvedHost> {
    const name = host.trim().replace(/^\[(.*)\]$/, '$1')
    const literal = parseIpLiteral(name)
    let addresses: { address: string; family: 4 | 6 }[]
    if (literal) addresses = [literal]
    else {
      try {
        addresses = await this.resolver(name)
      } catch {
        throw new ConnectionProblem('dns_not_found', `The host name ${name} does not resolve`)
      }
      if (addresses.length === 0) throw new ConnectionProblem('dns_not_found', `The host name ${name} does not resolve`)
    }
    // Every answer must pass: a name that also points inside the network is refused outright.
    // The message never says what the name resolved to: that would map the internal network.
    for (const a of addresses) {
      if (this.blockedReason(a.address)) throw new ConnectionProblem(DESTINATION_NOT_ALLOWED, REFUSED_MESSAGE)
    }
    const first = addresses[0] as { address: string; family: 4 | 6 }
    return { host: name, address: first.address, family: first.family }
  }

  /** {@link resolve}, and the port must not be one of the instance's reserved endpoints. */
  async resolveEndpoint(host: string, port: number): Promise<ResolvedHost> {
    const resolved = await this.resolve(host)
    if (isReservedEndpoint(resolved.address, port))
      throw new ConnectionProblem(DESTINATION_NOT_ALLOWED, REFUSED_MESSAGE)
    return resolved
  }

  /**
   * A save-time check of a host as written (no DNS): refused when it is an IP literal, in any
   * spelling, of a blocked range. Names are checked when the request is made.
   */
  literalRefused(host: string): boolean {
    const literal = parseIpLiteral(host.trim().replace(/^\[(.*)\]$/, '$1'))
    return literal !== undefined && this.blockedReason(literal.address) !== undefined
  }

  /** Why `address` may not be reached, or undefined when it may. */
  blockedReason(address: string): string | undefined {
    const bytes = ipBytes(address)
    if (!bytes) return 'not an IP address'
    // The address as written first (so ::1 is loopback, not the IPv4-compatible 0.0.0.1), then any
    // IPv4 address embedded in it.
    const candidates = [bytes, embeddedIpv4(bytes)].filter((b): b is Uint8Array => b !== undefined)
    for (const candidate of candidates) {
      if (this.allowed.some((c) => contains(c, candidate))) return undefined
      const hit = blocked.find((b) => contains(b.cidr, candidate))
      if (hit) return hit.why
    }
    return undefined
  }
}

/** Validates an admin's allow-list entry; returns a problem message or undefined. */
export function cidrProblem(text: string): string | undefined {
  try {
    parseCidr(text)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

function parseCidr(text: string): Cidr {
  const [ip, bitsText] = text.trim().split('/') as [string, string | undefined]
  const bytes = ipBytes(ip)
  if (!bytes) throw new Error(`${text} is not an IP address or CIDR range`)
  const max = bytes.length * 8
  const bits = bitsText === undefined ? max : Number(bitsText)
  if (!Number.isInteger(bits) || bits < 0 || bits > max) throw new Error(`${text} has a bad prefix length`)
  return { bytes, bits }
}

function contains(cidr: Cidr, bytes: Uint8Array): boolean {
  if (cidr.bytes.length !== bytes.length) return false
  for (let bit = 0; bit < cidr.bits; bit++) {
    const i = bit >> 3
    const mask = 0x80 >> (bit & 7)
    if (((cidr.bytes[i] as number) & mask) !== ((bytes[i] as number) & mask)) return false
  }
  return true
}

/** The IPv4 address inside an IPv6 one (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64, 6to4). */
function embeddedIpv4(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length !== 16) return undefined
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0)
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12)
  if (zeros(0, 12) && !zeros(12, 16)) return bytes.slice(12)
  const nat64 = [0x00, 0x64, 0xff, 0x9b]
  if (nat64.every((b, i) => bytes[i] === b) && zeros(4, 12)) return bytes.slice(12)
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6)
  return undefined
}

function ipBytes(address: string): Uint8Array | undefined {
  if (isIPv4(address)) return Uint8Array.from(address.split('.').map(Number))
  if (isIPv6(address)) return ipv6Bytes(address.replace(/%.*$/, ''))
  return undefined
}

function ipv6Bytes(address: string): Uint8Array {
  let text = address
  const tail: number[] = []
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4?.[1]) {
    tail.push(...v4[1].split('.').map(Number))
    text = `${text.slice(0, -v4[1].length)}0:0`
  }
  const [head, rest] = text.split('::') as [string, string | undefined]
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)))
  const left = groups(head)
  const right = rest === undefined ? [] : groups(rest)
  const words = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right]
  const bytes = new Uint8Array(16)
  words.forEach((w, i) => {
    bytes[i * 2] = (w >> 8) & 0xff
    bytes[i * 2 + 1] = w & 0xff
  })
  if (tail.length === 4) bytes.set(tail, 12)
  return bytes
}

/**
 * A host that is an IP literal in any spelling the C resolver accepts (inet_aton): dotted quads,
 * decimal `2852039166`, hex `0xA9FEA9FE`, octal `0251.0376.0251.0376`, short forms `169.254.43518`,
 * and IPv6 (including mapped forms). Normalised here so the guard, not the resolver, decides.
 */
export function parseIpLiteral(host: string): { address: string; family: 4 | 6 } | undefined {
  if (isIPv6(host)) return { address: host, family: 6 }
  const parts = host.split('.')
  if (parts.length > 4 || parts.some((p) => !/^(0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$/i.test(p))) return undefined
  const values = parts.map((p) =>
    /^0x/i.test(p) ? Number.parseInt(p.slice(2) || '0', 16) : p.startsWith('0') ? Number.parseInt(p, 8) : Number(p),
  )
  if (values.some((v) => !Number.isSafeInteger(v))) return undefined
  // inet_aton: the last part fills every remaining byte (a, a.b with 24 bits, a.b.c with 16 bits).
  const last = values[values.length - 1] as number
  const lead = values.slice(0, -1)
  if (lead.some((v) => v > 255) || last >= 2 ** (8 * (4 - lead.length))) return undefined
  let n = last
  lead.forEach((v, i) => {
    n += v * 2 ** (8 * (3 - i))
  })
  const address = [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
  return { address, family: 4 }
}
