import type { CatalogTables } from '@workbench/catalog'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'

/**
 * The metadata DB as the catalog package sees it. `Database` extends `CatalogTables`, but Kysely's types are
 * invariant in the schema, so the narrowing needs this one cast.
 */
export function catalogDb(db: Kysely<Database>): Kysely<CatalogTables> {
  return db as unknown as Kysely<CatalogTables>
}
