import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConnectionKernels } from '../../src/connections/connection-kernels.ts'
import { openJson } from '../../src/connections/secret-box.ts'
import { WorkspaceKeys } from '../../src/connections/workspace-keys.ts'
import { freePort } from '../../src/services/free-port.ts'
import {
  type ConnectionsFixture,
  createConnectionsFixture,
  runPostgresParams,
  runPostgresSql,
  silentServer,
} from '../support/connections.ts'
import { DATABASE_KINDS } from '../support/databases.ts'

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

describe.each(DATABASE_KINDS)('connections API (%s)', (kind) => {
  let x: ConnectionsFixture
  const sourceDb = `conn_src_${randomBytes(4).toString('hex')}`

  beforeAll(async () => {
    x = await createConnectionsFixture(kind, { timeoutMs: 1_500 })
    await runPostgresSql(`CREATE DATABASE ${sourceDb}`)
    await runPostgresSql(
      `CREATE SCHEMA sales;
       CREATE TABLE sales.orders (id int PRIMARY KEY, amount numeric(10,2) NOT NULL, note text);
       COMMENT ON TABLE sales.orders IS 'One row per order';
       COMMENT ON COLUMN sales.orders.amount IS 'Total in EUR';
       INSERT INTO sales.orders SELECT i, i * 1.5, NULL FROM generate_series(1, 1000) i;
       ANALYZE sales.orders;
       CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE amount > 100;
       CREATE SCHEMA many;
       DO $$ BEGIN FOR i IN 1..1100 LOOP EXECUTE format('CREATE TABLE many.t%s (x int)', i); END LOOP; END $$;`,
      sourceDb,
    )
  })
  afterAll(async () => {
    await x?.dispose()
    await runPostgresSql(`DROP DATABASE IF EXISTS ${sourceDb} WITH (FORCE)`)
  })

  it('creates a tested connection; the password is sealed, never returned, shown only as set', async () => {
    const params = runPostgresParams(sourceDb)
    x.f.secrets.add(params.password)
    const res = await x.as.admin.post(x.base, { name: 'Warehouse', type: 'postgres', params })
    expect(res.status).toBe(201)
    expect(res.body.test).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/^PostgreSQL \d+/) })
    expect(res.body.connection).toMatchObject({
      name: 'Warehouse',
      type: 'postgres',
      secrets: { password: 'set' },
      writable: false,
      lastTest: { ok: true, error: null },
    })
    expect(res.text).not.toContain(params.password)
    expect(res.body.connection.params).not.toHaveProperty('password')

    const row = await x.f.db.selectFrom('connections').selectAll().executeTakeFirstOrThrow()
    expect(JSON.stringify(row.params)).not.toContain(params.password)
    expect(row.secrets).toMatch(/^v1\./)
    expect(row.secrets).not.toContain(params.password)

    const listed = await x.as.viewer.get(x.base)
    expect(listed.status).toBe(200)
    expect(listed.body.connections.map((c: { name: string }) => c.name)).toEqual(['Warehouse'])
    expect(listed.text).not.toContain(params.password)
    const one = await x.as.viewer.get(`${x.base}/${res.body.connection.id}`)
    expect(one.body.secrets).toEqual({ password: 'set' })
  })

  it('viewers and editors cannot create (admins manage connections); admins can, writable too', async () => {
    const params = runPostgresParams(sourceDb)
    expect((await x.as.viewer.post(x.base, { name: 'V', type: 'postgres', params })).status).toBe(403)
    const duplicate = await x.as.admin.post(x.base, { name: 'Warehouse', type: 'postgres', params })
    expect(duplicate.status).toBe(409)
    expect(duplicate.body.code).toBe('connection_name_taken')
    for (const body of [
      { name: 'W', type: 'postgres', params, writable: true },
      { name: 'W', type: 'postgres', params },
    ]) {
      const editor = await x.as.editor.post(x.base, body)
      expect(editor.status).toBe(403)
      expect(editor.body.code).toBe('role_insufficient')
    }
    expect((await x.as.editor.post(`${x.base}/test`, { type: 'postgres', params })).status).toBe(403)
    const admin = await x.as.admin.post(x.base, { name: 'W', type: 'postgres', params, writable: true })
    expect(admin.status).toBe(201)
    expect(admin.body.connection.writable).toBe(true)
    expect((await x.as.admin.delete(`${x.base}/${admin.body.connection.id}`)).status).toBe(204)
  })

  it('validates parameters against the type schema, naming every bad field', async () => {
    const res = await x.as.admin.post(x.base, {
      name: 'Bad',
      type: 'postgres',
      params: { host: '', port: 99999, sslMode: 'sometimes' },
    })
    expect(res.status).toBe(400)
    expect(res.body.code).toBe('validation_failed')
    const fields = res.body.details.fields.map((f: { field: string }) => f.field)
    expect(fields).toEqual(
      expect.arrayContaining(['params.host', 'params.port', 'params.database', 'params.user', 'params.sslMode']),
    )
    const unknownType = await x.as.admin.post(x.base, { name: 'Bad', type: 'oracle', params: {} })
    expect(unknownType.body.details.fields[0].field).toBe('type')
  })

  it('a failing test saves nothing, unless saveAnyway', async () => {
    const params = { ...runPostgresParams(), database: 'no_such_database' }
    const res = await x.as.admin.post(x.base, { name: 'Missing', type: 'postgres', params })
    expect(res.status).toBe(422)
    expect(res.body.code).toBe('database_not_found')
    expect(res.body.message).toContain('nothing was saved')
    expect((await x.as.viewer.get(x.base)).body.connections.map((c: { name: string }) => c.name)).not.toContain(
      'Missing',
    )
    const saved = await x.as.admin.post(x.base, { name: 'Missing', type: 'postgres', params, saveAnyway: true })
    expect(saved.status).toBe(201)
    expect(saved.body.connection.lastTest).toMatchObject({ ok: false, error: 'database_not_found' })
    expect((await x.as.admin.delete(`${x.base}/${saved.body.connection.id}`)).status).toBe(204)
  })

  it('tests unsaved parameters with precise error codes', async () => {
    const test = (params: Record<string, unknown>) =>
      x.as.admin.post(`${x.base}/test`, { type: 'postgres', params: { ...runPostgresParams(), ...params } })
    expect((await test({})).body).toMatchObject({ ok: true })
    expect((await test({ database: 'nope' })).body.error.code).toBe('database_not_found')
    expect((await test({ port: await freePort() })).body.error.code).toBe('unreachable')
    expect((await test({ host: 'no-such-host.invalid' })).body.error.code).toBe('dns_not_found')
    expect((await test({ host: '169.254.169.254' })).body.error.code).toBe('destination_not_allowed')
    expect((await test({ host: '0xA9FEA9FE' })).body.error.code).toBe('destination_not_allowed')
    expect((await test({ sslMode: 'require' })).body.error.code).toBe('tls_failed')
    const silent = await silentServer()
    try {
      const res = await test({ port: silent.port })
      expect(res.body.ok).toBe(false)
      expect(res.body.error.code).toBe('unreachable')
    } finally {
      await silent.close()
    }
  })

  it('connects to the address the guard resolved: a rebinding DNS answer cannot switch it', async () => {
    const allowed = await x.as.editor.request('PUT', '/api/admin/connections/allowed-networks', { networks: [] })
    expect(allowed.status).toBe(403)
    let calls = 0
    // First answer: where the database really is; any later answer: the metadata address.
    x.dns.answer = async () => {
      calls++
      return [{ address: calls === 1 ? '127.0.0.1' : '169.254.169.254', family: 4 }]
    }
    const res = await x.as.admin.post(`${x.base}/test`, {
      type: 'postgres',
      params: { ...runPostgresParams(), host: 'rebind.test' },
    })
    // pg never asked DNS (it would not know `rebind.test`): it connected to 127.0.0.1 as resolved.
    expect(res.body).toMatchObject({ ok: true })
    expect(calls).toBe(1)
    const again = await x.as.admin.post(`${x.base}/test`, {
      type: 'postgres',
      params: { ...runPostgresParams(), host: 'rebind.test' },
    })
    expect(again.body.error.code).toBe('destination_not_allowed')
    expect(calls).toBe(2)
  })

  it('updating without the password keeps it; null clears it; the pool is replaced', async () => {
    const id = (await x.as.viewer.get(x.base)).body.connections[0].id as string
    const items = await collect(x.service.introspect(x.workspaceId, id))
    expect(items.length).toBeGreaterThan(0)
    expect(x.service.openPools).toBe(1)
    const res = await x.as.admin.patch(`${x.base}/${id}`, {
      name: 'Warehouse 2',
      params: { port: runPostgresParams().port },
    })
    expect(res.status).toBe(200)
    expect(res.body.connection).toMatchObject({ name: 'Warehouse 2', secrets: { password: 'set' } })
    expect(x.service.openPools).toBe(0)
    const row = await x.f.db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    const key = await new WorkspaceKeys(() => x.f.db, x.masterKey).get(x.workspaceId)
    expect(openJson(key, row.secrets ?? '', `connection:${id}`)).toEqual({ password: runPostgresParams().password })

    const cleared = await x.as.admin.patch(`${x.base}/${id}`, { params: { password: null } })
    expect(cleared.body.connection.secrets).toEqual({ password: 'unset' })
    const restored = await x.as.admin.patch(`${x.base}/${id}`, { params: { password: runPostgresParams().password } })
    expect(restored.body.connection.secrets).toEqual({ password: 'set' })
  })

  it('introspects schemas, tables, views, columns, comments and row estimates (streamed NDJSON)', async () => {
    const id = (await x.as.viewer.get(x.base)).body.connections[0].id as string
    const res = await x.as.viewer.get(`${x.base}/${id}/introspection`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/x-ndjson')
    const items = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const orders = items.find((t) => t.schema === 'sales' && t.name === 'orders')
    expect(orders).toMatchObject({ kind: 'table', comment: 'One row per order', rowEstimate: 1000 })
    expect(orders.columns).toEqual([
      { name: 'id', type: 'integer', nullable: false, comment: null, ordinal: 1 },
      { name: 'amount', type: 'numeric(10,2)', nullable: false, comment: 'Total in EUR', ordinal: 2 },
      { name: 'note', type: 'text', nullable: true, comment: null, ordinal: 3 },
    ])
    expect(items.find((t) => t.name === 'big_orders')).toMatchObject({ kind: 'view', rowEstimate: null })
    // More tables than one page (500): every one exactly once, each with its columns.
    const many = items.filter((t) => t.schema === 'many')
    expect(many).toHaveLength(1100)
    expect(new Set(many.map((t) => t.name)).size).toBe(1100)
    expect(many.every((t) => t.columns.length === 1 && t.columns[0].name === 'x')).toBe(true)
  })

  it('opens read-only SQL kernels (contract C); writable only when an admin says so', async () => {
    const id = (await x.as.viewer.get(x.base)).body.connections[0].id as string
    const kernels = new ConnectionKernels(() => x.service)
    const kernel = await kernels.openKernel(x.workspaceId, id)
    try {
      const outputs = []
      for await (const o of kernel.execute('SELECT count(*) AS n FROM sales.orders')) outputs.push(o)
      expect(JSON.stringify(outputs)).toContain('1000')
      const denied = []
      for await (const o of kernel.execute('CREATE TABLE sales.x (i int)')) denied.push(o)
      expect(denied[0]).toMatchObject({ output_type: 'error', ename: 'ReadOnlyError' })
    } finally {
      await kernel.shutdown()
    }
    expect((await x.as.editor.patch(`${x.base}/${id}`, { writable: true })).status).toBe(403)
    expect((await x.as.admin.patch(`${x.base}/${id}`, { writable: true })).body.connection.writable).toBe(true)
    const writer = await kernels.openKernel(x.workspaceId, id)
    try {
      const outputs = []
      for await (const o of writer.execute('CREATE TABLE sales.made_by_cell (i int)')) outputs.push(o)
      expect(outputs.filter((o) => o.output_type === 'error')).toEqual([])
    } finally {
      await writer.shutdown()
    }
    await expect(kernels.openKernel(x.workspaceId, '00000000-0000-4000-8000-000000000000')).rejects.toThrow(
      /No connection/,
    )
  })

  it('tests a saved connection, deletes it (closing its pool), and audits every change', async () => {
    const id = (await x.as.viewer.get(x.base)).body.connections[0].id as string
    expect((await x.as.viewer.post(`${x.base}/${id}/test`)).status).toBe(403)
    const tested = await x.as.editor.post(`${x.base}/${id}/test`)
    expect(tested.body).toMatchObject({ ok: true })
    expect((await x.as.editor.post(`${x.base}/${id}/test`, { params: { database: 'nope' } })).status).toBe(403)
    const wrong = await x.as.admin.post(`${x.base}/${id}/test`, {
      params: { database: 'nope', password: runPostgresParams().password },
    })
    expect(wrong.body.error.code).toBe('database_not_found')
    expect((await x.as.editor.delete(`${x.base}/${id}`)).status).toBe(403)
    await collect(x.service.introspect(x.workspaceId, id))
    expect(x.service.openPools).toBe(1)
    expect((await x.as.admin.delete(`${x.base}/${id}`)).status).toBe(204)
    expect(x.service.openPools).toBe(0)
    expect((await x.as.viewer.get(`${x.base}/${id}`)).status).toBe(404)
    const actions = (
      await x.f.db
        .selectFrom('audit_events')
        .select(['action', 'outcome'])
        .where('workspace_id', '=', x.workspaceId)
        .where('action', 'like', 'connections.%')
        .execute()
    ).map((e) => `${e.action}:${e.outcome}`)
    for (const expected of [
      'connections.create:success',
      'connections.update:success',
      'connections.delete:success',
      'connections.test:success',
      'connections.create:denied',
    ])
      expect(actions).toContain(expected)
  })

  it('instance admins manage the allow-list; bad CIDRs are named', async () => {
    // The first account of a fresh instance (the owner here) is its instance admin.
    const bad = await x.as.owner.request('PUT', '/api/admin/connections/allowed-networks', {
      networks: ['10.0.0.0/8', 'not-a-cidr', '10.0.0.0/40'],
    })
    expect(bad.status).toBe(400)
    expect(bad.body.details.fields.map((f: { field: string }) => f.field)).toEqual(['networks.1', 'networks.2'])
    const ok = await x.as.owner.request('PUT', '/api/admin/connections/allowed-networks', {
      networks: ['169.254.169.254/32'],
    })
    expect(ok.body.networks).toEqual(['169.254.169.254/32'])
    x.dns.answer = async () => [{ address: '169.254.169.254', family: 4 }]
    const res = await x.as.admin.post(`${x.base}/test`, {
      type: 'postgres',
      params: { ...runPostgresParams(), host: 'meta.test' },
    })
    // Allowed now, so the guard lets it through; nothing listens there (in a sandbox) or it is not PostgreSQL.
    expect(res.body.error?.code ?? 'ok').not.toBe('destination_not_allowed')
    await x.as.owner.request('PUT', '/api/admin/connections/allowed-networks', { networks: ['127.0.0.0/8', '::1/128'] })
  })

  it('shutdown closes every pool', async () => {
    const created = await x.as.admin.post(x.base, {
      name: 'Pooled',
      type: 'postgres',
      params: runPostgresParams(sourceDb),
    })
    await collect(x.service.introspect(x.workspaceId, created.body.connection.id))
    expect(x.service.openPools).toBe(1)
    await x.service.close()
    expect(x.service.openPools).toBe(0)
  })
})
