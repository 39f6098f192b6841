import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('pipelines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'uuid', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('current_version', 'integer', (c) => c.notNull().defaultTo(0))
    // Failure alerts: webhook URL and its HMAC secret (write-only: never returned by the API).
    .addColumn('alert_webhook_url', 'text')
    .addColumn('alert_secret', 'text')
    // SLA: { maxDuration?: '30m', finishBy?: 'HH:MM', timezone?: 'Europe/Paris' }
    .addColumn('sla', 'jsonb')
    .addColumn('schedule_paused', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema
    .createIndex('pipelines_workspace_name_idx')
    .on('pipelines')
    .columns(['workspace_id', 'name'])
    .unique()
    .execute()

  // Every save is a version: the YAML as written and the spec it parsed to.
  await db.schema
    .createTable('pipeline_versions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('yaml', 'text', (c) => c.notNull())
    .addColumn('spec', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema
    .createIndex('pipeline_versions_pipeline_idx')
    .on('pipeline_versions')
    .columns(['pipeline_id', 'version'])
    .unique()
    .execute()

  await db.schema
    .createTable('pipeline_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
    .addColumn('workspace_id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('params', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('rerun_of', 'text')
    .addColumn('workflow_id', 'text', (c) => c.notNull().unique())
    .addColumn('temporal_run_id', 'text')
    .addColumn('error', 'text')
    .addColumn('triggered_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .execute()
  await db.schema
    .createIndex('pipeline_runs_pipeline_idx')
    .on('pipeline_runs')
    .columns(['pipeline_id', 'created_at'])
    .execute()
  await db.schema.createIndex('pipeline_runs_status_idx').on('pipeline_runs').column('status').execute()

  await db.schema
    .createTable('pipeline_step_runs')
    .addColumn('run_id', 'text', (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('duration_ms', 'integer')
    .addColumn('error', 'text')
    .addColumn('reason', 'text')
    .addColumn('output', 'jsonb')
    .addColumn('artifacts', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addPrimaryKeyConstraint('pipeline_step_runs_pk', ['run_id', 'step_id'])
    .execute()

  await db.schema
    .createTable('pipeline_run_logs')
    .addColumn('seq', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('pipeline_runs.id').onDelete('cascade'))
    .addColumn('step_id', 'text')
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('pipeline_run_logs_run_idx').on('pipeline_run_logs').columns(['run_id', 'seq']).execute()

  // Failure alerts and SLA breaches, with their webhook delivery state.
  await db.schema
    .createTable('pipeline_alerts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('pipeline_id', 'text', (c) => c.notNull().references('pipelines.id').onDelete('cascade'))
    .addColumn('run_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    // Unique per pipeline, so a breach or failure is recorded (and alerted) once however often it is seen.
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('delivery', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('delivered_at', 'timestamptz')
    .execute()
  await db.schema
    .createIndex('pipeline_alerts_dedupe_idx')
    .on('pipeline_alerts')
    .columns(['pipeline_id', 'dedupe_key'])
    .unique()
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'pipeline_alerts',
    'pipeline_run_logs',
    'pipeline_step_runs',
    'pipeline_runs',
    'pipeline_versions',
    'pipelines',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
