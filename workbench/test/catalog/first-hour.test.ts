import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { duckdbParser, postgresSource } from '@workbench/catalog'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import { DuckDbSqlRunner } from '@workbench/orchestrator/activities'
import pg from 'pg'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type App, createApp } from '../../src/app.ts'
import { CatalogService } from '../../src/catalog/catalog-service.ts'
import { ImportService } from '../../src/files/import-service.ts'
import { FileStorage } from '../../src/files/storage.ts'
import { UploadService } from '../../src/files/upload-service.ts'
import { WorkspaceDatabases } from '../../src/kernels/workspace-databases.ts'
import { eventually } from '../support/collab.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { filesClient } from '../support/files.ts'
import { createMembers } from '../support/members.ts'

const utf8 = (text: string) => new TextEncoder().encode(text)

/**
 * The catalog in a team's first hour: an import and a pipeline write tables and the catalog follows by itself,
 * without the workbench's own bookkeeping tables (import rejects, pipeline step keys) in the catalog, the Files
 * page or autocomplete; emails are masked from the start and ISO dates are not phones; a connection added as a
 * source is discovered at once.
 */
describe.each(DATABASE_KINDS)('the catalog in the first hour on %s', (kind) => {
  let database: TestDatabase
  let dataDir: string
  let duckdbs: WorkspaceDatabases
  let scratch: DuckdbDatabase
  let catalog: CatalogService
  let app: App
  let workspaceId = ''
  let otherWorkspace = ''
  const tokens = { viewer: '', editor: '', admin: '' }
  const schema = `first_${Math.random().toString(36).slice(2, 10)}`

  const call = async (role: keyof typeof tokens, method: string, url: string, body?: unknown) => {
    const res = await app.request(`/api/workspaces/${workspaceId}${url}`, {
      method,
      headers: { authorization: `Bearer ${tokens[role]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }
  const names = async () =>
    (await call('viewer', 'GET', '/catalog/search?q=&limit=200')).body.items.map(
      (i: { schema: string; name: string }) => `${i.schema}.${i.name}`,
    )

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'wb-first-hour-'))
    const members = createMembers(database)
    workspaceId = await members.workspace()
    otherWorkspace = await members.workspace()
    for (const role of ['viewer', 'editor', 'admin'] as const)
      tokens[role] = (await members.member(workspaceId, role)).token
    duckdbs = new WorkspaceDatabases({ dataDir, memoryLimit: '1GB' })
    scratch = await DuckdbDatabase.open({ path: ':memory:', sandboxed: true })
    const remote = () => new pg.Client({ connectionString: inject('postgresUrl') })
    catalog = new CatalogService({
      db: database.db,
      logger: pino({ level: 'silent' }),
      parse: duckdbParser((sql, o) => scratch.query(sql, o)),
      workspaceDuckdb: duckdbs.get,
      // The test PostgreSQL stands for every connection (the connections service does this in the workbench).
      connectionSources: async () =>
        postgresSource(async (text, params) => {
          const client = remote()
          await client.connect()
          try {
            return (await client.query(text, params)).rows
          } finally {
            await client.end()
          }
        }),
    })
    const uploads = new UploadService(database.db, new FileStorage(dataDir), {
      maxUploadBytes: 1_000_000,
      staleAfterMs: 60_000,
    })
    // As the runtime wires it: imports tell the catalog that tables changed.
    const imports = new ImportService(database.db, uploads, duckdbs.get, (ws) => void catalog.tablesChanged(ws))
    app = createApp({
      identity: members.identity,
      logger: pino({ level: 'silent' }),
      readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
      planner: () => scratch,
      files: () => ({ uploads, imports }),
      catalog: () => catalog,
    })
    const client = remote()
    await client.connect()
    await client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.suppliers (id int, contact text)`)
    await client.end()
  })
  afterAll(async () => {
    await catalog?.idle()
    const client = new pg.Client({ connectionString: inject('postgresUrl') })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end())
    scratch?.close()
    await duckdbs?.close()
    await database?.dispose()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('an import is catalogued at once; its rejects are not a table of the catalog, the Files page or autocomplete', async () => {
    const files = filesClient(app, workspaceId, tokens.editor)
    const csv =
      'id,email,signup\n1,jane.doe@example.com,2024-01-15\n2,bob@example.org,2023-12-31\nx,cy@example.net,2022-06-01\n'
    const file = await files.upload('people.csv', utf8(csv))
    const imported = await files.call('POST', `/${file.id}/import`, {
      table: 'people',
      options: {
        columns: [
          { name: 'id', type: 'BIGINT' },
          { name: 'email', type: 'VARCHAR' },
          { name: 'signup', type: 'VARCHAR' },
        ],
      },
    })
    expect(imported.body).toMatchObject({ status: 'succeeded', rowsLoaded: 2, rowsRejected: 1 })
    const duckdb = await duckdbs.get(workspaceId)
    expect((await duckdb.query('SELECT count(*)::INTEGER FROM import_rejects.people')).rows).toEqual([[1]])

    // Nobody pressed a button: the import itself told the catalog.
    await catalog.idle()
    expect(await names()).toEqual(['main.people'])

    // A pipeline `sql` step with an idempotency key leaves its bookkeeping table in the same database.
    const runner = new DuckDbSqlRunner(duckdb)
    await runner.run({ connection: 'duckdb', sql: 'CREATE TABLE totals AS SELECT 1 AS n', idempotencyKey: 'run-1:s' })
    expect(
      (await duckdb.query("SELECT count(*)::INTEGER FROM duckdb_tables() WHERE table_name = '_workbench_step_runs'"))
        .rows,
    ).toEqual([[1]])
    void catalog.tablesChanged(workspaceId)

    await eventually(async () => {
      await catalog.idle()
      expect(await names()).toEqual(['main.people', 'main.totals'])
    })
    const tables = await call('viewer', 'GET', '/files/tables')
    expect(tables.body.tables.map((t: { schema: string; name: string }) => `${t.schema}.${t.name}`)).toEqual([
      'main.people',
      'main.totals',
    ])
    const autocomplete = await call('viewer', 'GET', '/catalog/workspace-tables')
    expect(autocomplete.status).toBe(200)
    expect(autocomplete.body.tables).toEqual([
      {
        schema: 'main',
        name: 'people',
        kind: 'table',
        columns: [
          { name: 'id', type: 'BIGINT' },
          { name: 'email', type: 'VARCHAR' },
          { name: 'signup', type: 'VARCHAR' },
        ],
      },
      { schema: 'main', name: 'totals', kind: 'table', columns: [{ name: 'n', type: 'INTEGER' }] },
    ])
    // The rejected rows are still there, on their import.
    const rejects = await call('viewer', 'GET', `/files/imports/${imported.body.id}/rejects`)
    expect(rejects.body.rejects).toHaveLength(1)
  })

  it('classifies the new table on discovery: emails masked before anyone looks, ISO dates never phones', async () => {
    const people = (await call('viewer', 'GET', '/catalog/search?q=people')).body.items[0]
    const asset = await call('viewer', 'GET', `/catalog/assets/${people.id}`)
    expect(asset.body.tags).toEqual([
      { column: 'email', tag: 'PII.email', status: 'pending', reason: '2/2 sample values look like emails' },
    ])
    const preview = await call('viewer', 'GET', `/catalog/assets/${people.id}/preview`)
    expect(preview.body.masked).toEqual(['email'])
    expect(JSON.stringify(preview.body.rows)).not.toContain('jane.doe')
    // A reviewer rejects it: it is no longer masked, and never proposed again by the next discovery.
    await call('editor', 'POST', `/catalog/assets/${people.id}/tags`, {
      changes: [{ column: 'email', tag: 'PII.email', status: 'rejected' }],
    })
    expect((await call('viewer', 'GET', `/catalog/assets/${people.id}/preview`)).body.masked).toEqual([])
    expect((await call('editor', 'POST', `/catalog/assets/${people.id}/classify`)).body.added).toBe(0)
    const again = await call('viewer', 'GET', `/catalog/assets/${people.id}`)
    expect(again.body.tags.map((t: { status: string }) => t.status)).toEqual(['rejected'])
  })

  it('adding a connection as a source discovers it at once; a connection of another workspace is refused', async () => {
    const [connection, foreign] = await database.db
      .insertInto('connections')
      .values([
        { workspace_id: workspaceId, name: 'Suppliers', type: 'postgres', params: {}, secret_fields: '[]' },
        { workspace_id: otherWorkspace, name: 'Theirs', type: 'postgres', params: {}, secret_fields: '[]' },
      ])
      .returning('id')
      .execute()
    const refused = await call('admin', 'POST', '/catalog/sources', { name: 'Theirs', connectionId: foreign?.id })
    expect(refused).toMatchObject({ status: 404, body: { code: 'connection_not_found' } })
    expect((await call('editor', 'POST', '/catalog/sources', { name: 'S', connectionId: connection?.id })).status).toBe(
      403,
    )
    const added = await call('admin', 'POST', '/catalog/sources', { name: 'Suppliers', connectionId: connection?.id })
    expect(added.status).toBe(201)
    expect(added.body.runId).toEqual(expect.any(String))
    await catalog.idle()
    const run = await call('viewer', 'GET', `/catalog/runs/${added.body.runId}`)
    expect(run.body.status).toBe('succeeded')
    expect(await names()).toContain(`${schema}.suppliers`)
    const twice = await call('admin', 'POST', '/catalog/sources', { name: 'Other name', connectionId: connection?.id })
    expect(twice).toMatchObject({ status: 409, body: { code: 'catalog_source_exists' } })
  })
})
