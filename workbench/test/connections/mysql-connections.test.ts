import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { ConnectionKernels } from '../../src/connections/connection-kernels.ts'
import { type ConnectionsFixture, createConnectionsFixture } from '../support/connections.ts'
import { DATABASE_KINDS } from '../support/databases.ts'
import { type MariadbServer, startMariadbServer } from '../support/mariadb-server.ts'
import { createTestPki, type TestPki } from '../support/tls-certs.ts'

/** Parameters of the run's MariaDB for a `mysql` connection. */
function mariadbParams() {
  const url = new URL(inject('mariadbUrl'))
  return {
    host: url.hostname,
    port: Number(url.port),
    database: 'conn_src',
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    sslMode: 'disable',
  }
}

let tlsServer: MariadbServer
let pki: TestPki

beforeAll(async () => {
  pki = createTestPki()
  tlsServer = await startMariadbServer({ tls: pki.server })
  const admin = await mysql.createConnection({ uri: inject('mariadbUrl'), multipleStatements: true })
  await admin.query(
    `CREATE DATABASE IF NOT EXISTS conn_src;
     CREATE TABLE IF NOT EXISTS conn_src.customers (
       id INT PRIMARY KEY, name VARCHAR(100) NOT NULL COMMENT 'Legal name', email VARCHAR(200)
     ) COMMENT 'Who buys';
     CREATE OR REPLACE VIEW conn_src.named AS SELECT id, name FROM conn_src.customers;
     INSERT IGNORE INTO conn_src.customers VALUES (1, 'Ada', NULL), (2, 'Grace', 'g@example.com');
     ANALYZE TABLE conn_src.customers;`,
  )
  await admin.end()
})
afterAll(async () => {
  await tlsServer?.stop()
})

/** Parameters of the MariaDB that serves TLS with the test CA's certificate. */
function tlsParams(extra: Record<string, unknown>) {
  const url = new URL(tlsServer.url)
  return {
    host: '127.0.0.1',
    port: Number(url.port),
    database: 'workbench',
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    ...extra,
  }
}

describe.each(DATABASE_KINDS)('MySQL/MariaDB connections (%s)', (kind) => {
  let x: ConnectionsFixture
  beforeAll(async () => {
    x = await createConnectionsFixture(kind)
    x.f.secrets.add(mariadbParams().password)
  })
  afterAll(async () => {
    await x?.dispose()
  })

  it('tests with precise errors: wrong password, missing database, TLS the server does not offer', async () => {
    const test = (params: Record<string, unknown>) =>
      x.as.admin.post(`${x.base}/test`, { type: 'mysql', params: { ...mariadbParams(), ...params } })
    const ok = await test({})
    expect(ok.body).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/^MariaDB 10\./) })
    const wrong = await test({ password: 'wrong-password-123' })
    expect(wrong.body.error.code).toBe('authentication_failed')
    expect(wrong.text).not.toContain('wrong-password-123')
    expect((await test({ database: 'no_such_db' })).body.error.code).toBe('database_not_found')
    expect((await test({ sslMode: 'require' })).body.error.code).toBe('tls_failed')
    expect((await test({ host: '::ffff:a9fe:a9fe' })).body.error.code).toBe('destination_not_allowed')
  })

  it('TLS: verify-full with the signing CA works; an untrusted CA or a name not on the certificate is tls_failed', async () => {
    const test = (params: Record<string, unknown>) => x.as.admin.post(`${x.base}/test`, { type: 'mysql', params })
    expect((await test(tlsParams({ sslMode: 'verify-full', caPem: pki.caPem }))).body).toMatchObject({ ok: true })
    expect((await test(tlsParams({ sslMode: 'require' }))).body).toMatchObject({ ok: true })
    const untrusted = await test(tlsParams({ sslMode: 'verify-full', caPem: pki.otherCaPem }))
    expect(untrusted.body.error.code).toBe('tls_failed')
    x.dns.answer = async () => [{ address: '127.0.0.1', family: 4 }]
    const wrongName = await test(tlsParams({ host: 'mysql.test', sslMode: 'verify-full', caPem: pki.caPem }))
    expect(wrongName.body.error.code).toBe('tls_failed')
  })

  it('a wrong password saves nothing; the right one saves, introspects and runs read-only SQL', async () => {
    const bad = await x.as.admin.post(x.base, {
      name: 'Shop',
      type: 'mysql',
      params: { ...mariadbParams(), password: 'not-the-password-1' },
    })
    expect(bad.status).toBe(422)
    expect(bad.body.code).toBe('authentication_failed')
    expect((await x.as.viewer.get(x.base)).body.connections).toEqual([])

    const res = await x.as.admin.post(x.base, { name: 'Shop', type: 'mysql', params: mariadbParams() })
    expect(res.status).toBe(201)
    expect(res.body.connection.secrets).toEqual({ password: 'set' })
    const id = res.body.connection.id as string

    const lines = (await x.as.viewer.get(`${x.base}/${id}/introspection`)).text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const customers = lines.find((t) => t.schema === 'conn_src' && t.name === 'customers')
    expect(customers).toMatchObject({ kind: 'table', comment: 'Who buys', rowEstimate: 2 })
    expect(customers.columns).toEqual([
      { name: 'id', type: 'int(11)', nullable: false, comment: null, ordinal: 1 },
      { name: 'name', type: 'varchar(100)', nullable: false, comment: 'Legal name', ordinal: 2 },
      { name: 'email', type: 'varchar(200)', nullable: true, comment: null, ordinal: 3 },
    ])
    expect(lines.find((t) => t.name === 'named')).toMatchObject({ kind: 'view', rowEstimate: null })
    expect(lines.some((t) => t.schema === 'mysql' || t.schema === 'information_schema')).toBe(false)

    const kernel = await new ConnectionKernels(() => x.service).openKernel(x.workspaceId, id)
    try {
      const outputs = []
      for await (const o of kernel.execute('SELECT name FROM conn_src.customers ORDER BY id')) outputs.push(o)
      expect(JSON.stringify(outputs)).toContain('Grace')
      const denied = []
      for await (const o of kernel.execute('DROP TABLE conn_src.customers')) denied.push(o)
      expect(denied[0]).toMatchObject({ output_type: 'error', ename: 'ReadOnlyError' })
    } finally {
      await kernel.shutdown()
    }
    expect((await x.as.admin.delete(`${x.base}/${id}`)).status).toBe(204)
  })
})
