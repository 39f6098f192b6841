import { type Kysely, sql } from 'kysely'

/**
 * External MCP servers a workspace registered for `mcp.call` pipeline steps. The credential headers are sealed
 * under the workspace data key (like connection secrets); only their names are kept in clear, so lists show which
 * are set without decrypting anything.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mcp_servers')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('headers_sealed', 'text')
    .addColumn('header_names', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_test_at', 'timestamptz')
    .addColumn('last_test_error', 'text')
    .execute()
  await db.schema
    .createIndex('mcp_servers_workspace_name_idx')
    .on('mcp_servers')
    .columns(['workspace_id', 'name'])
    .unique()
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mcp_servers').execute()
}
