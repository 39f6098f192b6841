import { type Kysely, sql } from 'kysely'

/**
 * Catalog search moves to an in-process index per workspace (catalog/src/search): the metadata DB stays the
 * source of truth and tells every API server what changed.
 * - `catalog_search_state.version` is bumped (row lock held to commit) by every write that changes a search
 *   document, and the assets it writes get `search_version` = that version, so a server that loaded up to
 *   version v reads `search_version > v` and misses nothing (versions commit in order per workspace).
 * - `reload_version` is bumped by a trigger whenever assets are deleted (source deletion, cascades): a server then
 *   reloads the workspace in full. The table has no foreign key so the trigger may run during a workspace's
 *   cascaded deletion.
 * The stored tsvector and the trigram index on names served the old SQL search only and are dropped.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('catalog_search_state')
    .addColumn('workspace_id', 'uuid', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('reload_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema
    .alterTable('catalog_assets')
    .addColumn('search_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute()
  await sql`CREATE INDEX catalog_assets_search_version_idx ON catalog_assets (workspace_id, search_version)`.execute(db)
  await sql`DROP INDEX IF EXISTS catalog_assets_name_trgm_idx`.execute(db)
  await db.schema.alterTable('catalog_assets').dropColumn('search_vector').execute()
  await sql`
    CREATE FUNCTION catalog_search_assets_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO catalog_search_state (workspace_id, version, reload_version)
      SELECT DISTINCT workspace_id, 1, 1 FROM deleted_assets
      ON CONFLICT (workspace_id) DO UPDATE
        SET version = catalog_search_state.version + 1, reload_version = catalog_search_state.version + 1;
      RETURN NULL;
    END $$
  `.execute(db)
  await sql`
    CREATE TRIGGER catalog_search_assets_deleted AFTER DELETE ON catalog_assets
    REFERENCING OLD TABLE AS deleted_assets FOR EACH STATEMENT EXECUTE FUNCTION catalog_search_assets_deleted()
  `.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS catalog_search_assets_deleted ON catalog_assets`.execute(db)
  await sql`DROP FUNCTION IF EXISTS catalog_search_assets_deleted()`.execute(db)
  await db.schema.alterTable('catalog_assets').addColumn('search_vector', sql`tsvector`).execute()
  await sql`CREATE INDEX catalog_assets_search_idx ON catalog_assets USING gin (search_vector)`.execute(db)
  await sql`CREATE INDEX catalog_assets_name_trgm_idx ON catalog_assets USING gin (lower(name) gin_trgm_ops)`.execute(
    db,
  )
  await sql`DROP INDEX IF EXISTS catalog_assets_search_version_idx`.execute(db)
  await db.schema.alterTable('catalog_assets').dropColumn('search_version').execute()
  await db.schema.dropTable('catalog_search_state').ifExists().execute()
}
