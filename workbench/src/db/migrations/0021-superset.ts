import { type Kysely, sql } from 'kysely'

/**
 * Superset: which datasets the workbench published or refreshed (the workbench table each reads, the columns seen at
 * the last sync, when it was synced, whether Superset still has it), and `catalog_assets.synced_at`, the "last
 * synced" the catalog shows for objects an external tool mirrors.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('superset_datasets')
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('connection_id', 'uuid', (c) => c.notNull().references('connections.id').onDelete('cascade'))
    .addColumn('dataset_id', 'integer', (c) => c.notNull())
    .addColumn('database_id', 'integer')
    .addColumn('table_key', 'text')
    .addColumn('source_connection_id', 'uuid')
    .addColumn('columns', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('published_at', 'timestamptz')
    .addColumn('synced_at', 'timestamptz')
    .addColumn('last_result', 'jsonb')
    .addColumn('gone_at', 'timestamptz')
    .addPrimaryKeyConstraint('superset_datasets_pk', ['connection_id', 'dataset_id'])
    .execute()
  await db.schema
    .createIndex('superset_datasets_table_idx')
    .on('superset_datasets')
    .columns(['workspace_id', 'table_key'])
    .execute()
  await db.schema.alterTable('catalog_assets').addColumn('synced_at', 'timestamptz').execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('catalog_assets').dropColumn('synced_at').execute()
  await db.schema.dropTable('superset_datasets').execute()
}
