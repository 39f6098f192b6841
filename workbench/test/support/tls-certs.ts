import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface TestPki {
  caPem: string
  /** A CA that signed nothing here: trusting it must fail verification. */
  otherCaPem: string
  server: { certPem: string; keyPem: string }
}

/** A throwaway CA (openssl) and a server certificate for `localhost` / 127.0.0.1 signed by it. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'workbench-pki-'))
  const at = (name: string) => path.join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  try {
    for (const ca of ['ca', 'other'])
      openssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        at(`${ca}.key`),
        '-out',
        at(`${ca}.pem`),
        '-days',
        '2',
        '-subj',
        `/CN=Workbench test ${ca} CA`,
      )
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      at('server.key'),
      '-out',
      at('server.csr'),
      '-subj',
      '/CN=localhost',
    )
    writeFileSync(at('ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
    openssl(
      'x509',
      '-req',
      '-in',
      at('server.csr'),
      '-CA',
      at('ca.pem'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-out',
      at('server.pem'),
      '-days',
      '2',
      '-extfile',
      at('ext'),
    )
    const read = (name: string) => readFileSync(at(name), 'utf8')
    return {
      caPem: read('ca.pem'),
      otherCaPem: read('other.pem'),
      server: { certPem: read('server.pem'), keyPem: read('server.key') },
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
