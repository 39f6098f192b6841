import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  // Versions of a notebook: the whole document as one Yjs state update, plus what the list shows.
  await db.schema
    .createTable('notebook_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('notebook_id', 'text', (c) => c.notNull().references('notebooks.id').onDelete('cascade'))
    // 'auto' (idle), 'pre-compile', 'pre-restore' or 'named'.
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('created_by', 'text')
    // sha256 of the nbformat content, to skip an automatic version when nothing changed.
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('cell_count', 'integer', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema
    .createIndex('notebook_versions_doc_idx')
    .on('notebook_versions')
    .columns(['notebook_id', 'created_at'])
    .execute()

  // Comment threads, anchored to a cell id and optionally a text range (Yjs relative positions, JSON).
  await db.schema
    .createTable('notebook_comment_threads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('notebook_id', 'text', (c) => c.notNull().references('notebooks.id').onDelete('cascade'))
    .addColumn('cell_id', 'text', (c) => c.notNull())
    .addColumn('anchor', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('resolved_by', 'text')
    .execute()
  await db.schema
    .createIndex('notebook_comment_threads_doc_idx')
    .on('notebook_comment_threads')
    .columns(['notebook_id', 'created_at'])
    .execute()
  await db.schema
    .createTable('notebook_comments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('thread_id', 'text', (c) => c.notNull().references('notebook_comment_threads.id').onDelete('cascade'))
    .addColumn('author_id', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    // JSON array of mentioned user ids (members of the workspace when written).
    .addColumn('mentions', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('edited_at', 'timestamptz')
    .addColumn('deleted_at', 'timestamptz')
    .execute()
  await db.schema
    .createIndex('notebook_comments_thread_idx')
    .on('notebook_comments')
    .columns(['thread_id', 'created_at'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['notebook_comments', 'notebook_comment_threads', 'notebook_versions']) {
    await db.schema.dropTable(table).execute()
  }
}
