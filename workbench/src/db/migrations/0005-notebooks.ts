import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notebooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('folder', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_by', 'text')
    // Cell sources and markdown, for search by content; refreshed on import and when a document unloads.
    .addColumn('content_text', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('notebooks_workspace_idx').on('notebooks').columns(['workspace_id', 'folder']).execute()

  // Append-only log of accepted Yjs updates; rows are removed only by compaction into a snapshot.
  await db.schema
    .createTable('notebook_updates')
    .addColumn('seq', 'bigserial', (c) => c.primaryKey())
    .addColumn('notebook_id', 'text', (c) => c.notNull().references('notebooks.id').onDelete('cascade'))
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema
    .createIndex('notebook_updates_doc_idx')
    .on('notebook_updates')
    .columns(['notebook_id', 'seq'])
    .execute()

  await db.schema
    .createTable('notebook_snapshots')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('notebook_id', 'text', (c) => c.notNull().references('notebooks.id').onDelete('cascade'))
    // Every update with seq <= covers_seq is contained in this snapshot.
    .addColumn('covers_seq', 'bigint', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema
    .createIndex('notebook_snapshots_doc_idx')
    .on('notebook_snapshots')
    .columns(['notebook_id', 'covers_seq'])
    .execute()

  // Problems met while loading a document (e.g. a corrupted update), for admins to see.
  await db.schema
    .createTable('notebook_problems')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('notebook_id', 'text', (c) => c.notNull().references('notebooks.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['notebook_problems', 'notebook_snapshots', 'notebook_updates', 'notebooks']) {
    await db.schema.dropTable(table).execute()
  }
}
