import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  // An uploaded image or PDF and what was read from it; bytes live under the workspace data folder.
  await db.schema
    .createTable('documents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('mime', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('page_count', 'integer', (c) => c.notNull())
    // Page images kept for review: [{page, width, height}].
    .addColumn('pages', 'jsonb', (c) => c.notNull())
    // uploaded -> ocr_done -> needs_review -> reviewed; no_text and failed end a reading.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('engine', 'text')
    // The engine's reading: pages with lines, word boxes and confidences.
    .addColumn('ocr', 'jsonb')
    .addColumn('ocr_confidence', 'double precision')
    // The parser's reading (ParsedReceipt) and the reviewed values (after corrections).
    .addColumn('receipt', 'jsonb')
    .addColumn('reviewed', 'jsonb')
    .addColumn('confidence', 'double precision')
    // Duplicate detection: normalised merchant, ISO date and total in cents of the current values.
    .addColumn('merchant_key', 'text')
    .addColumn('receipt_date', 'text')
    .addColumn('total_cents', 'bigint')
    .addColumn('error_code', 'text')
    .addColumn('error', 'text')
    .addColumn('created_by', 'text')
    .addColumn('reviewed_by', 'text')
    .addColumn('reviewed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema
    .createIndex('documents_workspace_idx')
    .on('documents')
    .columns(['workspace_id', 'created_at'])
    .execute()
  await db.schema.createIndex('documents_hash_idx').on('documents').columns(['workspace_id', 'sha256']).execute()
  await db.schema
    .createIndex('documents_receipt_idx')
    .on('documents')
    .columns(['workspace_id', 'receipt_date', 'total_cents'])
    .execute()

  // A reviewer's correction of one field: kept as a training example the parser's rules are built from.
  await db.schema
    .createTable('receipt_corrections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    // Kept when the document is deleted: what was learned stays.
    .addColumn('document_id', 'text', (c) => c.references('documents.id').onDelete('set null'))
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('parsed', 'jsonb')
    .addColumn('corrected', 'jsonb')
    // The text the field was read from and the rule this correction teaches (alias, date order).
    .addColumn('source_text', 'text')
    .addColumn('rule', 'jsonb')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema
    .createIndex('receipt_corrections_workspace_idx')
    .on('receipt_corrections')
    .columns(['workspace_id', 'created_at'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('receipt_corrections').execute()
  await db.schema.dropTable('documents').execute()
}
