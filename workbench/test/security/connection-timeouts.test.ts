import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type ConnectionsFixture, createConnectionsFixture, runPostgresParams } from '../support/connections.ts'
import { DATABASE_KINDS } from '../support/databases.ts'

const TIMEOUT_MS = 1500

function mariadbParams() {
  const url = new URL(inject('mariadbUrl'))
  return {
    host: url.hostname,
    port: Number(url.port),
    database: 'conn_timeouts',
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    sslMode: 'disable',
  }
}

/**
 * Build item 8 of issue 14: statement timeouts on every SQL path. SQL cells on a saved PostgreSQL or MySQL
 * connection stop at the instance's KERNEL_STATEMENT_TIMEOUT_MS (here 1.5 s), not at the kernels' built-in
 * five minutes, against the real PostgreSQL and MariaDB of the test run.
 */
describe.each(DATABASE_KINDS)('connection SQL cells stop at the configured statement timeout (%s)', (kind) => {
  let x: ConnectionsFixture

  beforeAll(async () => {
    const admin = await mysql.createConnection({ uri: inject('mariadbUrl') })
    await admin.query('CREATE DATABASE IF NOT EXISTS conn_timeouts')
    await admin.end()
    x = await createConnectionsFixture(kind, { statementTimeoutMs: TIMEOUT_MS })
  })
  afterAll(async () => {
    await x?.dispose()
  })

  const run = async (type: 'postgres' | 'mysql', params: Record<string, unknown>, sql: string) => {
    const created = await x.as.admin.post(x.base, { name: `slow-${type}`, type, params })
    expect(created.status, created.text).toBe(201)
    const kernel = await x.service.openKernel(x.workspaceId, created.body.connection.id)
    try {
      const started = performance.now()
      const outputs = []
      for await (const output of kernel.execute(sql)) outputs.push(output)
      return { outputs, ms: performance.now() - started }
    } finally {
      await kernel.shutdown()
    }
  }

  it('a PostgreSQL cell is cancelled by statement_timeout', async () => {
    const { outputs, ms } = await run('postgres', runPostgresParams(), 'SELECT pg_sleep(20)')
    expect(outputs).toEqual([expect.objectContaining({ output_type: 'error', ename: 'StatementTimeout' })])
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 100)
    expect(ms).toBeLessThan(TIMEOUT_MS + 3000)
  })

  it('a MySQL (MariaDB) cell is cancelled at the timeout', async () => {
    const { outputs, ms } = await run('mysql', mariadbParams(), 'SELECT SLEEP(20) AS s FROM DUAL UNION ALL SELECT 1')
    expect(outputs).toEqual([expect.objectContaining({ output_type: 'error', ename: 'StatementTimeout' })])
    expect(ms).toBeLessThan(TIMEOUT_MS + 3000)
  })
})
