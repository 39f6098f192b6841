import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, redactUrl } from '../src/db/database.ts'
import { migrateToLatest } from '../src/db/migrate.ts'
import { migrations } from '../src/db/migrations/index.ts'
import { StartupError } from '../src/services/startup-error.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'

describe.each(DATABASE_KINDS)('metadata database on %s', (kind) => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await createTestDatabase(kind)
  })
  afterAll(async () => {
    await database?.dispose()
  })

  it('applies every migration once, and a second run applies none', async () => {
    const first = await migrateToLatest(database.db)
    expect(first.error).toBeUndefined()
    expect(first.results?.map((r) => [r.migrationName, r.status])).toEqual(
      Object.keys(migrations).map((name) => [name, 'Success']),
    )
    const second = await migrateToLatest(database.db)
    expect(second.error).toBeUndefined()
    expect(second.results).toEqual([])
  })

  it('stores and reads JSON settings through Kysely', async () => {
    await database.db
      .insertInto('instance_settings')
      .values({ key: 'instance', value: JSON.stringify({ id: 'abc', features: ['a', 'b'] }) })
      .execute()
    const row = await database.db
      .selectFrom('instance_settings')
      .selectAll()
      .where('key', '=', 'instance')
      .executeTakeFirstOrThrow()
    expect(row.value).toEqual({ id: 'abc', features: ['a', 'b'] })
    expect(row.updated_at).toBeInstanceOf(Date)
  })

  it('rolls back a failed transaction completely', async () => {
    await expect(
      database.db.transaction().execute(async (trx) => {
        await trx.insertInto('instance_settings').values({ key: 'tx', value: '1' }).execute()
        await trx.insertInto('instance_settings').values({ key: 'tx', value: '2' }).execute()
      }),
    ).rejects.toThrow(/duplicate key/)
    const rows = await database.db.selectFrom('instance_settings').select('key').where('key', '=', 'tx').execute()
    expect(rows).toEqual([])
  })

  it('reports a failing migration per item and keeps the earlier ones', async () => {
    const failing = {
      ...migrations,
      '9999-broken': {
        up: async (db: typeof database.db) => {
          await sql`CREATE TABLE broken (`.execute(db)
        },
      },
    }
    const result = await migrateToLatest(database.db, failing)
    expect(result.error).toBeDefined()
    expect(result.results).toEqual([{ migrationName: '9999-broken', direction: 'Up', status: 'Error' }])
    const tables = await sql<{ n: number }>`select count(*)::int as n from instance_settings`.execute(database.db)
    expect(tables.rows[0]?.n).toBeGreaterThanOrEqual(1)
  })
})

describe('openDatabase errors', () => {
  it('fails fast with one line naming an unreachable DATABASE_URL, password hidden', async () => {
    const started = Date.now()
    const error = await openDatabase(
      { kind: 'postgres', url: 'postgres://app:s3cret@127.0.0.1:1/workbench' },
      { connectTimeoutMs: 2_000 },
    ).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(StartupError)
    const message = (error as Error).message
    expect(message).toContain('DATABASE_URL postgres://app:***@127.0.0.1:1/workbench')
    expect(message).not.toContain('s3cret')
    expect(message.split('\n')).toHaveLength(1)
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('redacts passwords from connection URLs', () => {
    expect(redactUrl('postgres://u:p@h:5432/db')).toBe('postgres://u:***@h:5432/db')
    expect(redactUrl('not a url')).toBe('(unparseable URL)')
  })
})
