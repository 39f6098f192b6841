import { type Kysely, sql } from 'kysely'

/**
 * Approval requests (writes to Odoo and other systems run only once approved) and the workspace's
 * approvers (members granted the `approver` role; workspace admins and owners approve too).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('approval_requests')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'uuid', (c) => c.references('connections.id').onDelete('set null'))
    // What will run, exactly (JSON): operation, model, records and field changes, with the values before.
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .check(sql`status in ('pending', 'approved', 'rejected', 'expired', 'executing', 'executed', 'failed')`),
    )
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'uuid', (c) => c.notNull())
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('decided_by', 'uuid')
    .addColumn('decided_at', 'timestamptz')
    .addColumn('decision_note', 'text')
    .addColumn('executed_at', 'timestamptz')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    // A pipeline run waiting on the decision (signalled when it is made).
    .addColumn('workflow_id', 'text')
    .addColumn('step_id', 'text')
    .execute()
  await db.schema
    .createIndex('approval_requests_idempotency_idx')
    .on('approval_requests')
    .columns(['workspace_id', 'idempotency_key'])
    .unique()
    .execute()
  await db.schema
    .createIndex('approval_requests_status_idx')
    .on('approval_requests')
    .columns(['workspace_id', 'status', 'requested_at'])
    .execute()
  await db.schema
    .createTable('workspace_approvers')
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('granted_by', 'uuid')
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('workspace_approvers_pk', ['workspace_id', 'user_id'])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('workspace_approvers').execute()
  await db.schema.dropTable('approval_requests').execute()
}
