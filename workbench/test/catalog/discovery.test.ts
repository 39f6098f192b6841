import {
  computeProfile,
  type DiscoveryProgress,
  type DiscoverySource,
  discover,
  duckdbSource,
  ensureSource,
  getAsset,
  type IntrospectionItem,
  loadAssetColumns,
  postgresSource,
  previewAsset,
  schemaHistory,
  setTags,
} from '@workbench/catalog'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { catalogDb } from '../../src/catalog/catalog-db.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { createWorkspace, exec, openWorkspaceDuckdb } from './helpers.ts'

describe.each(DATABASE_KINDS)('catalog discovery on %s', (kind) => {
  let database: TestDatabase
  let workspaceId: string
  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    workspaceId = await createWorkspace(database.db)
  })
  afterAll(() => database.dispose())

  it('catalogues the workspace DuckDB, then records added, changed, removed and gone objects', async () => {
    const { duckdb, dispose } = await openWorkspaceDuckdb()
    try {
      await exec(
        duckdb,
        'CREATE TABLE customers (id INTEGER NOT NULL, email VARCHAR, name VARCHAR)',
        "COMMENT ON TABLE customers IS 'People who bought something'",
        "COMMENT ON COLUMN customers.email IS 'Contact address'",
        'INSERT INTO customers VALUES (1, $$a@x.io$$, $$Ann$$), (2, $$b@x.io$$, $$Bob$$)',
        'CREATE TABLE scratch (x INTEGER)',
        'CREATE VIEW big_customers AS SELECT * FROM customers WHERE id > 1',
      )
      const db = catalogDb(database.db)
      const sourceId = await ensureSource(db, { workspaceId, kind: 'duckdb', name: 'Workspace DuckDB' })
      const source = duckdbSource((sql, o) => duckdb.query(sql, o))
      const first = await discover(db, { workspaceId, sourceId, source })
      expect(first).toMatchObject({ status: 'succeeded', seen: 3, added: 3, failed: 0, gone: 0 })

      const assets = await db
        .selectFrom('catalog_assets')
        .selectAll()
        .where('source_id', '=', sourceId)
        .orderBy('name')
        .execute()
      expect(assets.map((a) => [a.schema_name, a.name, a.kind])).toEqual([
        ['main', 'big_customers', 'view'],
        ['main', 'customers', 'table'],
        ['main', 'scratch', 'table'],
      ])
      const customersId = assets[1]?.id ?? ''
      const customers = await getAsset(db, workspaceId, customersId)
      expect(customers?.sourceComment).toBe('People who bought something')
      expect(customers?.columns.map((c) => [c.name, c.type, c.nullable, c.sourceComment])).toEqual([
        ['id', 'INTEGER', false, null],
        ['email', 'VARCHAR', true, 'Contact address'],
        ['name', 'VARCHAR', true, null],
      ])

      // The source changes: a column added, one removed, one retyped; a table dropped.
      await exec(
        duckdb,
        'DROP VIEW big_customers',
        'ALTER TABLE customers ADD COLUMN phone VARCHAR',
        'ALTER TABLE customers DROP COLUMN name',
        'ALTER TABLE customers ALTER COLUMN id TYPE BIGINT',
        'DROP TABLE scratch',
      )
      const second = await discover(db, { workspaceId, sourceId, source })
      expect(second).toMatchObject({ status: 'succeeded', seen: 1, added: 0, changed: 1, gone: 2 })
      const history = await schemaHistory(db, customersId)
      expect(history.map((h) => [h.change, h.column]).sort()).toEqual(
        [
          ['asset_added', null],
          ['column_added', 'phone'],
          ['column_changed', 'id'],
          ['column_removed', 'name'],
        ].sort(),
      )
      expect(history.find((h) => h.change === 'column_changed')?.detail).toEqual({
        before: { type: 'INTEGER', nullable: false },
        after: { type: 'BIGINT', nullable: false },
      })
      // Gone objects are kept and marked, not dropped.
      const scratch = await db
        .selectFrom('catalog_assets')
        .selectAll()
        .where('name', '=', 'scratch')
        .executeTakeFirstOrThrow()
      expect(scratch.gone_at).not.toBeNull()
      expect((await schemaHistory(db, scratch.id)).map((h) => h.change)).toEqual(['asset_gone', 'asset_added'])

      // Back again: the same asset (with its descriptions and tags) comes back.
      await exec(duckdb, 'CREATE TABLE scratch (x INTEGER)')
      const third = await discover(db, { workspaceId, sourceId, source })
      // big_customers was already marked gone: nothing newly gone.
      expect(third).toMatchObject({ added: 0, gone: 0 })
      const back = await db
        .selectFrom('catalog_assets')
        .selectAll()
        .where('id', '=', scratch.id)
        .executeTakeFirstOrThrow()
      expect(back.gone_at).toBeNull()
      expect((await schemaHistory(db, scratch.id))[0]?.change).toBe('asset_back')
    } finally {
      dispose()
    }
  })

  it('catalogues a PostgreSQL database with its comments and row estimates', async () => {
    const sourceDb = await createTestDatabase('postgres')
    const client = new pg.Client({ connectionString: sourceDb.url })
    await client.connect()
    try {
      await client.query(`
        CREATE SCHEMA crm;
        CREATE TABLE crm.contacts (id serial PRIMARY KEY, email text NOT NULL, phone text);
        COMMENT ON TABLE crm.contacts IS 'CRM contacts';
        COMMENT ON COLUMN crm.contacts.email IS 'Work email';
        INSERT INTO crm.contacts (email, phone) SELECT 'p' || g || '@x.io', '+33 6 00 00 00 ' || g FROM generate_series(10, 40) g;
        ANALYZE crm.contacts;
        CREATE VIEW crm.recent AS SELECT id, email FROM crm.contacts;
      `)
      const db = catalogDb(database.db)
      const sourceId = await ensureSource(db, { workspaceId, kind: 'postgres', name: 'CRM', connectionId: 'conn-1' })
      const source = postgresSource(async (text, params) => (await client.query(text, params)).rows)
      const result = await discover(db, { workspaceId, sourceId, source })
      expect(result).toMatchObject({ status: 'succeeded', added: 2, failed: 0 })
      const asset = await db
        .selectFrom('catalog_assets')
        .selectAll()
        .where('source_id', '=', sourceId)
        .where('name', '=', 'contacts')
        .executeTakeFirstOrThrow()
      expect(asset.source_comment).toBe('CRM contacts')
      expect(Number(asset.row_estimate)).toBe(31)
      const detail = await getAsset(db, workspaceId, asset.id)
      expect(detail?.columns.map((c) => [c.name, c.type, c.nullable, c.sourceComment])).toEqual([
        ['id', 'integer', false, null],
        ['email', 'text', false, 'Work email'],
        ['phone', 'text', true, null],
      ])
      // Previews and profiles are read from PostgreSQL itself (pushed down), with the same masking.
      await setTags(db, asset.id, [{ column: 'email', tag: 'PII.email', status: 'accepted' }], null)
      const columns = await loadAssetColumns(db, workspaceId, asset.id)
      if (!columns) throw new Error('asset not found')
      const preview = await previewAsset(columns, source, { limit: 3, mode: 'random' })
      expect(preview.rows).toHaveLength(3)
      expect(preview.masked).toEqual(['email'])
      expect(preview.rows.every((r) => /^p\*\*\*@x\.io$/.test(String(r[1])))).toBe(true)
      const profile = await computeProfile(db, columns, source)
      expect(profile.columns[0]).toMatchObject({
        name: 'id',
        rows: 31,
        distinct: 31,
        min: '1',
        max: '31',
        mean: 16,
        nullShare: 0,
      })
      expect(profile.columns[0]?.histogram?.reduce((n, b) => n + b.count, 0)).toBe(31)
      expect(profile.columns[2]).toMatchObject({ name: 'phone', nullShare: 0, distinct: 31 })
    } finally {
      await client.end()
      await sourceDb.dispose()
    }
  })

  it('streams a 10,000-table source with progress; a failing table is reported and the rest catalogued', async () => {
    const db = catalogDb(database.db)
    const sourceId = await ensureSource(db, { workspaceId, kind: 'generated', name: 'Generated' })
    let yielded = 0
    let maxAhead = 0
    const progress: DiscoveryProgress[] = []
    const source: DiscoverySource = {
      kind: 'generated',
      dialect: 'duckdb',
      async *introspect(): AsyncIterable<IntrospectionItem> {
        for (let i = 0; i < 10_000; i++) {
          yielded++
          // How far the source ran ahead of what discovery has catalogued: bounded by the chunk size.
          maxAhead = Math.max(maxAhead, yielded - (progress.at(-1)?.seen ?? 0))
          const name = `t_${String(i).padStart(5, '0')}`
          if (i === 4_321) yield { schema: 'gen', name, error: 'permission denied for table t_04321' }
          else
            yield {
              schema: 'gen',
              name,
              kind: 'table',
              comment: null,
              rowEstimate: i,
              columns: [
                { name: 'id', type: 'INTEGER', nullable: false, comment: null, ordinal: 1 },
                { name: `value_${i % 7}`, type: 'VARCHAR', nullable: true, comment: null, ordinal: 2 },
              ],
            }
        }
      },
    }
    const result = await discover(db, {
      workspaceId,
      sourceId,
      source,
      chunkSize: 500,
      onProgress: (p) => progress.push(p),
    })
    expect(result).toMatchObject({ status: 'succeeded', seen: 10_000, added: 9_999, failed: 1 })
    expect(result.errors).toEqual([{ object: 'gen.t_04321', error: 'permission denied for table t_04321' }])
    expect(maxAhead).toBeLessThanOrEqual(501)
    expect(progress.length).toBeGreaterThanOrEqual(20)
    expect(progress.at(-1)).toMatchObject({ seen: 10_000, failed: 1 })
    const count = await db
      .selectFrom('catalog_assets')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('source_id', '=', sourceId)
      .executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(9_999)
    const run = await db
      .selectFrom('catalog_discovery_runs')
      .selectAll()
      .where('id', '=', result.runId)
      .executeTakeFirstOrThrow()
    expect(run).toMatchObject({ status: 'succeeded', tables_seen: 10_000, tables_failed: 1 })
  }, 300_000)

  it('a source that cannot be read fails the run and marks nothing gone', async () => {
    const db = catalogDb(database.db)
    const sourceId = await ensureSource(db, { workspaceId, kind: 'generated', name: 'Flaky' })
    const table = (name: string) => ({
      schema: 's',
      name,
      kind: 'table' as const,
      comment: null,
      rowEstimate: null,
      columns: [],
    })
    await discover(db, {
      workspaceId,
      sourceId,
      source: {
        kind: 'generated',
        dialect: 'duckdb',
        introspect: async function* () {
          yield table('a')
          yield table('b')
        },
      },
    })
    const result = await discover(db, {
      workspaceId,
      sourceId,
      source: {
        kind: 'generated',
        dialect: 'duckdb',
        introspect: async function* () {
          yield table('a')
          throw new Error('connection reset')
        },
      },
    })
    expect(result).toMatchObject({ status: 'failed', error: 'connection reset', gone: 0 })
    const gone = await db
      .selectFrom('catalog_assets')
      .select('name')
      .where('source_id', '=', sourceId)
      .where('gone_at', 'is not', null)
      .execute()
    expect(gone).toEqual([])
  })
})
