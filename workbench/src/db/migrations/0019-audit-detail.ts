import type { Kysely } from 'kysely'

/**
 * What an audited call was about beyond its route: an MCP tool call's arguments (JSON, bounded; tools take no
 * secrets). Null for events that have nothing to add.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('detail', 'text').execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_events').dropColumn('detail').execute()
}
