import { type Kysely, sql } from 'kysely'

/**
 * The data catalog: sources, assets (tables and views) with their columns, tags and owners, schema history,
 * discovery runs, cached profiles, lineage edges and usage. Search uses a tsvector kept up to date by the
 * catalog plus pg_trgm (bundled with PostgreSQL, loaded as an extension by PGlite) for typo tolerance.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db)

  await db.schema
    .createTable('catalog_sources')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_discovered_at', 'timestamptz')
    .addUniqueConstraint('catalog_sources_name_uq', ['workspace_id', 'name'])
    .execute()

  await db.schema
    .createTable('catalog_discovery_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('source_id', 'text', (c) => c.notNull().references('catalog_sources.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('tables_seen', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tables_failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tables_gone', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('triggered_by', 'text')
    .execute()
  await db.schema
    .createIndex('catalog_discovery_runs_source_idx')
    .on('catalog_discovery_runs')
    .columns(['source_id', 'started_at'])
    .execute()

  await db.schema
    .createTable('catalog_assets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('source_id', 'text', (c) => c.notNull().references('catalog_sources.id').onDelete('cascade'))
    .addColumn('schema_name', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('source_comment', 'text')
    .addColumn('description', 'text')
    .addColumn('owners', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('row_estimate', 'bigint')
    .addColumn('usage_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('search_vector', sql`tsvector`)
    .addColumn('discovered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('gone_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('catalog_assets_object_uq', ['source_id', 'schema_name', 'name'])
    .execute()
  await sql`CREATE INDEX catalog_assets_search_idx ON catalog_assets USING gin (search_vector)`.execute(db)
  await sql`CREATE INDEX catalog_assets_name_trgm_idx ON catalog_assets USING gin (lower(name) gin_trgm_ops)`.execute(
    db,
  )
  await sql`CREATE INDEX catalog_assets_workspace_name_idx ON catalog_assets (workspace_id, lower(name))`.execute(db)
  await sql`CREATE INDEX catalog_assets_tags_idx ON catalog_assets USING gin (tags)`.execute(db)

  await db.schema
    .createTable('catalog_columns')
    .addColumn('asset_id', 'text', (c) => c.notNull().references('catalog_assets.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ordinal', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('nullable', 'boolean', (c) => c.notNull())
    .addColumn('source_comment', 'text')
    .addColumn('description', 'text')
    .addPrimaryKeyConstraint('catalog_columns_pk', ['asset_id', 'name'])
    .execute()

  await db.schema
    .createTable('catalog_tags')
    .addColumn('asset_id', 'text', (c) => c.notNull().references('catalog_assets.id').onDelete('cascade'))
    .addColumn('column_name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('catalog_tags_pk', ['asset_id', 'column_name', 'tag'])
    .execute()

  await db.schema
    .createTable('catalog_schema_history')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('asset_id', 'text', (c) => c.notNull().references('catalog_assets.id').onDelete('cascade'))
    .addColumn('change', 'text', (c) => c.notNull())
    .addColumn('column_name', 'text')
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema
    .createIndex('catalog_schema_history_asset_idx')
    .on('catalog_schema_history')
    .columns(['asset_id', 'id'])
    .execute()

  await db.schema
    .createTable('catalog_profiles')
    .addColumn('asset_id', 'text', (c) => c.primaryKey().references('catalog_assets.id').onDelete('cascade'))
    .addColumn('profile', 'jsonb', (c) => c.notNull())
    .addColumn('computed_at', 'timestamptz', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('catalog_lineage_edges')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('source_table', 'text', (c) => c.notNull())
    .addColumn('source_column', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('target_table', 'text', (c) => c.notNull())
    .addColumn('target_column', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('producer_kind', 'text', (c) => c.notNull())
    .addColumn('producer_id', 'text', (c) => c.notNull())
    .addColumn('producer_version', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('catalog_lineage_edges_uq', [
      'workspace_id',
      'source_table',
      'source_column',
      'target_table',
      'target_column',
      'producer_kind',
      'producer_id',
    ])
    .execute()
  await db.schema
    .createIndex('catalog_lineage_edges_target_idx')
    .on('catalog_lineage_edges')
    .columns(['workspace_id', 'target_table', 'target_column'])
    .execute()

  await db.schema
    .createTable('catalog_usage')
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('table_name', 'text', (c) => c.notNull())
    .addColumn('producer_kind', 'text', (c) => c.notNull())
    .addColumn('producer_id', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('catalog_usage_pk', ['workspace_id', 'table_name', 'producer_kind', 'producer_id', 'mode'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'catalog_usage',
    'catalog_lineage_edges',
    'catalog_profiles',
    'catalog_schema_history',
    'catalog_tags',
    'catalog_columns',
    'catalog_assets',
    'catalog_discovery_runs',
    'catalog_sources',
  ])
    await db.schema.dropTable(table).ifExists().execute()
}
