import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  // One data key per workspace, stored encrypted by the instance master key (envelope encryption):
  // rotating the master key rewrites these rows only, never the connection secrets.
  await db.schema
    .createTable('workspace_keys')
    .addColumn('workspace_id', 'uuid', (c) => c.primaryKey().references('workspaces.id').onDelete('cascade'))
    .addColumn('wrapped_key', 'text', (c) => c.notNull())
    // Which master key wrapped it (first bytes of its SHA-256), to refuse a wrong key with a clear message.
    .addColumn('master_key_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('rotated_at', 'timestamptz')
    .execute()

  await db.schema
    .createTable('connections')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    // Non-secret parameters in clear; secret ones only in `secrets` (AES-256-GCM under the workspace key).
    .addColumn('params', 'jsonb', (c) => c.notNull())
    .addColumn('secrets', 'text')
    // Names of the secret fields that are set, so lists show set/unset without decrypting anything.
    .addColumn('secret_fields', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('writable', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_test_at', 'timestamptz')
    .addColumn('last_test_error', 'text')
    .execute()
  await db.schema
    .createIndex('connections_workspace_name_idx')
    .on('connections')
    .columns(['workspace_id', 'name'])
    .unique()
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('connections').execute()
  await db.schema.dropTable('workspace_keys').execute()
}
