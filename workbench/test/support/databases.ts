import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'
import { type MetadataDb, openDatabase } from '../../src/db/database.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'

/** Every DB test runs once per dialect (as Kysely's own tests do). */
export const DATABASE_KINDS = ['pglite', 'postgres'] as const
export type DatabaseKind = (typeof DATABASE_KINDS)[number]

export interface TestDatabase extends MetadataDb {
  /** Connection URL (PostgreSQL only), e.g. to hand to a workbench as DATABASE_URL. */
  url?: string
  /** Drops the database (PostgreSQL) or closes the in-memory PGlite. */
  dispose(): Promise<void>
}

/**
 * A fresh, empty metadata database of the given kind: an in-memory PGlite, or a new database on the
 * run's PostgreSQL server. Pass `migrate: true` for the current schema.
 */
export async function createTestDatabase(
  kind: DatabaseKind,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  let db: MetadataDb
  let drop = async () => {}
  let databaseUrl: string | undefined
  if (kind === 'pglite') {
    db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' })
  } else {
    const adminUrl = inject('postgresUrl')
    const name = `wb_test_${randomBytes(6).toString('hex')}`
    const admin = new pg.Client({ connectionString: adminUrl })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${name}`)
    await admin.end()
    const url = new URL(adminUrl)
    url.pathname = `/${name}`
    databaseUrl = url.toString()
    db = await openDatabase({ kind: 'postgres', url: databaseUrl })
    drop = async () => {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await client.end()
    }
  }
  if (options.migrate) {
    const result = await migrateToLatest(db.db)
    if (result.error) throw result.error
  }
  return {
    ...db,
    url: databaseUrl,
    dispose: async () => {
      await db.close()
      await drop()
    },
  }
}
