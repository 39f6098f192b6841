import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import mysql from 'mysql2/promise'
import { freePort } from '../../src/services/free-port.ts'

export interface MariadbServer {
  /** mysql://workbench:<password>@127.0.0.1:<port>/workbench: a user with every privilege, over TCP. */
  url: string
  stop(): Promise<void>
}

export const MARIADB_PASSWORD = 'mariadb-test-password-1'

/**
 * Starts a throwaway MariaDB in a temp folder (own datadir, socket in that folder, free port, no
 * systemd). The server runs under a shell that kills it when our stdin closes, so it dies with the test
 * run even if the run is killed: never orphaned.
 */
export async function startMariadbServer(
  options: { tls?: { certPem: string; keyPem: string } } = {},
): Promise<MariadbServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'workbench-mariadb-'))
  const asRoot = process.getuid?.() === 0
  let owner: { uid: number; gid: number } | undefined
  if (asRoot) {
    owner = {
      uid: Number(spawnSync('id', ['-u', 'mysql'], { encoding: 'utf8' }).stdout.trim()),
      gid: Number(spawnSync('id', ['-g', 'mysql'], { encoding: 'utf8' }).stdout.trim()),
    }
    chownSync(dir, owner.uid, owner.gid)
  }
  chmodSync(dir, 0o700)
  const privateFile = (name: string, content: string) => {
    const file = path.join(dir, name)
    writeFileSync(file, content, { mode: 0o600 })
    if (owner) chownSync(file, owner.uid, owner.gid)
    return file
  }
  const tlsArgs = options.tls
    ? [
        `--ssl-cert=${privateFile('server.pem', options.tls.certPem)}`,
        `--ssl-key=${privateFile('server.key', options.tls.keyPem)}`,
      ]
    : []
  const dataDir = path.join(dir, 'data')
  const socket = path.join(dir, 'mysqld.sock')
  const userArgs = asRoot ? ['--user=mysql'] : []
  const install = spawnSync(
    'mariadb-install-db',
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
      ...userArgs,
    ],
    { encoding: 'utf8' },
  )
  if (install.status !== 0)
    throw new Error(`mariadb-install-db failed (apt-get install mariadb-server): ${install.stderr || install.stdout}`)
  const port = await freePort()
  const server: ChildProcess = spawn(
    'sh',
    [
      '-c',
      '"$@" & pid=$!; read _; kill -9 $pid; wait $pid',
      'sh',
      'mariadbd',
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--socket=${socket}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--pid-file=${path.join(dir, 'mariadbd.pid')}`,
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=32M',
      '--innodb-flush-log-at-trx-commit=0',
      '--skip-log-bin',
      ...tlsArgs,
      ...userArgs,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  )
  let log = ''
  server.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()))
  const stop = async () => {
    server.stdin?.end()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))])
    clearTimeout(timer)
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const root = await connectWithRetry(
      socket,
      () => server.exitCode !== null,
      () => log,
    )
    await root.query(`CREATE USER 'workbench'@'%' IDENTIFIED BY '${MARIADB_PASSWORD}'`)
    await root.query('CREATE DATABASE workbench')
    await root.query(`GRANT ALL PRIVILEGES ON *.* TO 'workbench'@'%' WITH GRANT OPTION`)
    await root.end()
  } catch (err) {
    await stop()
    throw err
  }
  return { url: `mysql://workbench:${MARIADB_PASSWORD}@127.0.0.1:${port}/workbench`, stop }
}

async function connectWithRetry(socket: string, exited: () => boolean, log: () => string) {
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      // Wait for the socket file first: each failed mysql2 attempt leaves a connect timer that would keep
      // the test runner alive for its full length.
      if (!existsSync(socket)) throw new Error('socket not there yet')
      return await mysql.createConnection({ socketPath: socket, user: 'root' })
    } catch (err) {
      if (exited()) throw new Error(`mariadbd exited: ${log()}`)
      if (Date.now() > deadline) throw new Error(`mariadbd did not start: ${(err as Error).message}\n${log()}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}
