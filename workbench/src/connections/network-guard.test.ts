import { describe, expect, it } from 'vitest'
import { NetworkGuard, parseIpLiteral, type Resolver, reserveEndpoint } from './network-guard.ts'
import { ConnectionProblem } from './problems.ts'

const publicResolver: Resolver = async () => [{ address: '93.184.215.14', family: 4 }]
const strict = new NetworkGuard({ allowed: [], resolver: publicResolver })

/** Why the guard refuses a literal (internal: the refusal's message does not say). */
function reasonOf(host: string): string | undefined {
  const literal = parseIpLiteral(host.replace(/^\[(.*)\]$/, '$1'))
  return literal && strict.blockedReason(literal.address)
}

async function problem(guard: NetworkGuard, host: string, port?: number): Promise<ConnectionProblem> {
  const err = await (port === undefined ? guard.resolve(host) : guard.resolveEndpoint(host, port)).then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(err instanceof ConnectionProblem)) throw new Error(`${host} was not refused`)
  return err
}

describe('SSRF guard: every spelling of the metadata address is refused', () => {
  const forms = {
    'dotted quad': '169.254.169.254',
    decimal: '2852039166',
    hex: '0xA9FEA9FE',
    'hex per byte': '0xa9.0xfe.0xa9.0xfe',
    octal: '0251.0376.0251.0376',
    'short form a.b.c': '169.254.43518',
    'short form a.b': '169.16689662',
    'IPv6-mapped dotted': '::ffff:169.254.169.254',
    'IPv6-mapped hex': '::ffff:a9fe:a9fe',
    'IPv6-mapped in brackets': '[::ffff:a9fe:a9fe]',
    'IPv6 fully written mapped': '0:0:0:0:0:ffff:a9fe:a9fe',
    'NAT64 embedding': '64:ff9b::a9fe:a9fe',
    '6to4 embedding': '2002:a9fe:a9fe::1',
  }
  for (const [form, host] of Object.entries(forms)) {
    it(form, async () => {
      const err = await problem(strict, host)
      expect(err.code).toBe('destination_not_allowed')
      expect(reasonOf(host)).toContain('metadata')
      expect(err.message).not.toContain('metadata')
    })
  }
})

describe('SSRF guard: internal ranges are refused', () => {
  const cases: [string, string, string][] = [
    ['loopback', '127.0.0.1', 'loopback'],
    ['loopback, other', '127.1', 'loopback'],
    ['loopback as decimal', '2130706433', 'loopback'],
    ['IPv6 loopback', '::1', 'loopback'],
    ['link-local', '169.254.1.1', 'link-local'],
    ['IPv6 link-local', 'fe80::1', 'link-local'],
    ['10/8', '10.1.2.3', 'private'],
    ['172.16/12', '172.31.255.1', 'private'],
    ['192.168/16', '192.168.0.10', 'private'],
    ['fc00::/7', 'fd12:3456::1', 'private'],
    ['100.64/10', '100.100.100.200', 'shared'],
    ['unspecified 0.0.0.0', '0.0.0.0', 'unspecified'],
    ['unspecified 0', '0', 'unspecified'],
    ['IPv6 unspecified', '::', 'unspecified'],
    ['mapped private', '::ffff:10.0.0.1', 'private'],
  ]
  for (const [name, host, why] of cases) {
    it(name, async () => {
      const err = await problem(strict, host)
      expect(err.code).toBe('destination_not_allowed')
      expect(reasonOf(host)).toContain(why)
    })
  }

  it('refuses a name whose DNS answer is internal', async () => {
    const guard = new NetworkGuard({
      allowed: [],
      resolver: async () => [{ address: '10.0.0.5', family: 4 }],
    })
    expect((await problem(guard, 'internal.example.com')).code).toBe('destination_not_allowed')
  })

  it('refuses a name when any of its answers is internal', async () => {
    const guard = new NetworkGuard({
      allowed: [],
      resolver: async () => [
        { address: '93.184.215.14', family: 4 },
        { address: '::ffff:169.254.169.254', family: 6 },
      ],
    })
    expect((await problem(guard, 'mixed.example.com')).code).toBe('destination_not_allowed')
  })

  it('answers dns_not_found for a name that does not resolve', async () => {
    const guard = new NetworkGuard({ allowed: [] })
    expect((await problem(guard, 'no-such-host.invalid')).code).toBe('dns_not_found')
  })
})

describe('SSRF guard: allow-lists', () => {
  it('loopback is refused in every mode unless allow-listed, and then only loopback opens', async () => {
    expect((await problem(strict, '127.0.0.1')).code).toBe('destination_not_allowed')
    const guard = new NetworkGuard({ allowed: ['127.0.0.0/8', '::1/128'], resolver: publicResolver })
    expect((await guard.resolve('127.0.0.1')).address).toBe('127.0.0.1')
    expect((await guard.resolve('::1')).address).toBe('::1')
    expect((await problem(guard, '10.0.0.1')).code).toBe('destination_not_allowed')
    expect((await problem(guard, '0xA9FEA9FE')).code).toBe('destination_not_allowed')
  })

  it('a refusal names no address, so it cannot map the internal network', async () => {
    const guard = new NetworkGuard({ allowed: [], resolver: async () => [{ address: '10.1.2.3', family: 4 }] })
    const err = await problem(guard, 'db.internal.example.com')
    expect(err.message).not.toContain('10.1.2.3')
  })

  it('reserved endpoints stay refused whatever the allow-list', async () => {
    const guard = new NetworkGuard({ allowed: ['127.0.0.0/8', '0.0.0.0/8'] })
    const release = reserveEndpoint('127.0.0.1', 47_001)
    try {
      for (const host of ['127.0.0.1', '127.1', '0.0.0.0', '::ffff:127.0.0.1'])
        expect((await problem(guard, host, 47_001)).code).toBe('destination_not_allowed')
      expect((await guard.resolveEndpoint('127.0.0.1', 47_002)).address).toBe('127.0.0.1')
    } finally {
      release()
    }
  })

  it('localhost resolves to IPv4 first (where local databases usually listen)', async () => {
    const guard = new NetworkGuard({ allowed: ['127.0.0.0/8', '::1/128'] })
    expect(await guard.resolve('localhost')).toEqual({ host: 'localhost', address: '127.0.0.1', family: 4 })
  })

  it('an admin allow-listed CIDR opens that range only', async () => {
    const guard = new NetworkGuard({ allowed: ['10.20.0.0/16', 'fd00:1::/32'] })
    expect((await guard.resolve('10.20.3.4')).address).toBe('10.20.3.4')
    expect((await guard.resolve('fd00:1::5')).address).toBe('fd00:1::5')
    expect((await problem(guard, '10.21.0.1')).code).toBe('destination_not_allowed')
  })

  it('public addresses pass and resolve once, to the address the driver must use', async () => {
    let calls = 0
    const guard = new NetworkGuard({
      allowed: [],
      resolver: async () => {
        calls++
        return [{ address: '93.184.215.14', family: 4 }]
      },
    })
    expect(await guard.resolve('db.example.com')).toEqual({
      host: 'db.example.com',
      address: '93.184.215.14',
      family: 4,
    })
    expect(calls).toBe(1)
  })
})

describe('parseIpLiteral', () => {
  it('normalises inet_aton spellings and ignores names', () => {
    expect(parseIpLiteral('2852039166')?.address).toBe('169.254.169.254')
    expect(parseIpLiteral('0251.0376.0251.0376')?.address).toBe('169.254.169.254')
    expect(parseIpLiteral('169.254.43518')?.address).toBe('169.254.169.254')
    expect(parseIpLiteral('db.example.com')).toBeUndefined()
    expect(parseIpLiteral('1.2.3.256')).toBeUndefined()
    expect(parseIpLiteral('08.1.1.1')).toBeUndefined()
  })
})
