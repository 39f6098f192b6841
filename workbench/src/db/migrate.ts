import type { Kysely } from 'kysely'
import { type Migration, type MigrationResultSet, Migrator } from 'kysely/migration'
import { migrations } from './migrations/index.ts'
import type { Database } from './schema.ts'

/** Applies every pending migration; the result lists each one with its status and, on failure, the error. */
export async function migrateToLatest(
  db: Kysely<Database>,
  all: Record<string, Migration> = migrations,
): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => all } })
  return migrator.migrateToLatest()
}
