import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort } from '../../src/services/free-port.ts'

export interface PostgresServer {
  url: string
  stop(): void
}

function postgresBin(): string {
  const base = '/usr/lib/postgresql'
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : []
  const version = versions.find((v) => existsSync(path.join(base, v, 'bin', 'initdb')))
  if (!version) throw new Error('PostgreSQL server binaries not found: run `npm run bootstrap -- --for=test`')
  return path.join(base, version, 'bin')
}

/**
 * Starts a throwaway PostgreSQL cluster in a temp folder on a free port (fsync off: test data only).
 * PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
 */
export interface PostgresServerOptions {
  /** Password of the `postgres` user; TCP connections then need it (scram-sha-256) instead of trust. */
  password?: string
  /** Serve TLS with this certificate and key (PEM). */
  tls?: { certPem: string; keyPem: string }
}

export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = postgresBin()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'workbench-pg-'))
  const asRoot = process.getuid?.() === 0
  const runAs = (command: string, args: string[]) => {
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]
    const res = spawnSync(cmd, argv, { encoding: 'utf8', cwd: dir })
    if (res.status !== 0) throw new Error(`${path.basename(command)} failed: ${res.stderr || res.stdout}`)
  }
  if (asRoot) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
    chownSync(dir, Number(ids.stdout.trim()), Number(gid.stdout.trim()))
  }
  let owner: { uid: number; gid: number } | undefined
  if (asRoot) {
    owner = {
      uid: Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()),
      gid: Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()),
    }
  }
  // Files the server reads must belong to the user it runs as, and keys must be private.
  const privateFile = (name: string, content: string) => {
    const file = path.join(dir, name)
    writeFileSync(file, content, { mode: 0o600 })
    if (owner) chownSync(file, owner.uid, owner.gid)
    return file
  }
  chmodSync(dir, 0o700)
  const dataDir = path.join(dir, 'data')
  const auth = options.password
    ? ['--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${privateFile('pwfile', options.password)}`]
    : ['--auth=trust']
  runAs(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', ...auth, '-E', 'UTF8', '--no-sync'])
  const tls = options.tls
    ? ` -c ssl=on -c ssl_cert_file=${privateFile('server.pem', options.tls.certPem)} -c ssl_key_file=${privateFile('server.key', options.tls.keyPem)}`
    : ''
  const port = await freePort()
  runAs(path.join(bin, 'pg_ctl'), [
    '-D',
    dataDir,
    '-l',
    path.join(dir, 'server.log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200${tls}`,
    'start',
  ])
  return {
    url: `postgres://postgres${options.password ? `:${encodeURIComponent(options.password)}` : ''}@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        runAs(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
