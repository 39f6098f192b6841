import type { CatalogTables } from '@workbench/catalog'
import type { ColumnType, Generated } from 'kysely'
import type { AssistantTables } from '../assistant/assistant-tables.ts'
import type { DocumentTables } from '../documents/tables.ts'

/** Instance-wide settings (key -> JSON value), e.g. the instance id written on first start. */
export interface InstanceSettingsTable {
  key: string
  value: unknown
  updated_at: Generated<Date>
}

export interface NotebooksTable {
  id: string
  workspace_id: string
  name: string
  folder: Generated<string>
  created_by: string | null
  content_text: Generated<string>
  created_at: Generated<Date>
  updated_at: Generated<Date>
  deleted_at: Date | null
}

export interface NotebookUpdatesTable {
  /** bigint: pg returns it as a string. */
  seq: Generated<string>
  notebook_id: string
  data: Uint8Array
  created_at: Generated<Date>
}

export interface NotebookSnapshotsTable {
  id: Generated<string>
  notebook_id: string
  covers_seq: string
  data: Uint8Array
  created_at: Generated<Date>
}

export interface NotebookProblemsTable {
  id: Generated<string>
  notebook_id: string
  kind: string
  detail: string
  created_at: Generated<Date>
}

export interface NotebookVersionsTable {
  id: string
  notebook_id: string
  kind: string
  label: string | null
  created_by: string | null
  content_hash: string
  cell_count: number
  data: Uint8Array
  created_at: Generated<Date>
}

export interface NotebookCommentThreadsTable {
  id: string
  notebook_id: string
  cell_id: string
  anchor: string | null
  created_by: string
  created_at: Generated<Date>
  resolved_at: Date | null
  resolved_by: string | null
}

export interface NotebookCommentsTable {
  id: string
  thread_id: string
  author_id: string
  body: string
  mentions: Generated<string>
  created_at: Generated<Date>
  edited_at: Date | null
  deleted_at: Date | null
}

export type Role = 'owner' | 'admin' | 'editor' | 'viewer'
export type TokenScope = 'read' | 'write'
export type AuditOutcome = 'success' | 'failure' | 'denied'
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>

export interface UsersTable {
  id: Generated<string>
  email: string
  name: string
  password_hash: string
  is_instance_admin: Generated<boolean>
  disabled_at: NullableTimestamp
  created_at: Generated<Date>
  password_changed_at: Generated<Date>
}

export interface RefreshTokensTable {
  id: Generated<string>
  user_id: string
  family_id: string
  token_hash: string
  created_at: Generated<Date>
  expires_at: Timestamp
  rotated_at: NullableTimestamp
  revoked_at: NullableTimestamp
}

export interface WorkspacesTable {
  id: Generated<string>
  name: string
  created_by: string | null
  created_at: Generated<Date>
  deleted_at: NullableTimestamp
}

export interface MembershipsTable {
  workspace_id: string
  user_id: string
  role: Role
  created_at: Generated<Date>
}

export interface InvitationsTable {
  id: Generated<string>
  workspace_id: string
  email: string
  role: Exclude<Role, 'owner'>
  token_hash: string
  invited_by: string | null
  created_at: Generated<Date>
  expires_at: Timestamp
  accepted_at: NullableTimestamp
  accepted_by: string | null
  revoked_at: NullableTimestamp
}

export interface ApiTokensTable {
  id: Generated<string>
  user_id: string
  name: string
  scope: TokenScope
  token_hash: string
  prefix: string
  created_at: Generated<Date>
  expires_at: Timestamp
  last_used_at: NullableTimestamp
  revoked_at: NullableTimestamp
}

/** Append-only: a trigger rejects UPDATE, DELETE and TRUNCATE. `id` is a bigserial, read back as a string. */
export interface AuditEventsTable {
  id: Generated<string>
  occurred_at: Generated<Date>
  actor_id: string | null
  actor_email: string | null
  workspace_id: string | null
  action: string
  resource: string | null
  request_id: string | null
  ip: string | null
  outcome: AuditOutcome
  status: number | null
  /** JSON: what the call was about beyond its route (an MCP tool's arguments). */
  detail: string | null
}

/** A workspace's data key, wrapped (AES-256-GCM) by the instance master key. */
export interface WorkspaceKeysTable {
  workspace_id: string
  wrapped_key: string
  master_key_id: string
  created_at: Generated<Date>
  rotated_at: NullableTimestamp
}

/** A connection to an external system; secret parameters live only in `secrets`, encrypted. */
export interface ConnectionsTable {
  id: Generated<string>
  workspace_id: string
  name: string
  type: string
  params: Record<string, unknown>
  secrets: string | null
  secret_fields: ColumnType<string[], string | undefined, string>
  writable: Generated<boolean>
  created_by: string | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
  last_test_at: NullableTimestamp
  last_test_error: string | null
}

/** An external MCP server of a workspace, called by `mcp.call` steps (see workbench/src/agents). */
export interface McpServersTable {
  id: Generated<string>
  workspace_id: string
  name: string
  url: string
  /** Credential headers (JSON object), sealed under the workspace data key; write-only. */
  headers_sealed: string | null
  header_names: ColumnType<string[], string | undefined, string>
  created_by: string | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
  last_test_at: NullableTimestamp
  last_test_error: string | null
}

/** An uploaded file (see workbench/src/files). `size` is a bigint, read back as a string on PostgreSQL. */
export interface FilesTable {
  id: string
  workspace_id: string
  name: string
  size: number | string
  status: 'uploading' | 'ready'
  format: string | null
  encoding: string | null
  details: unknown
  created_by: string | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

/** One import of a file into a workspace DuckDB table. */
export interface FileImportsTable {
  id: string
  workspace_id: string
  file_id: string | null
  file_name: string
  table_name: string
  mode: 'replace' | 'append'
  status: 'running' | 'succeeded' | 'failed'
  options: unknown
  rows_loaded: Generated<number | string>
  rows_rejected: Generated<number | string>
  rejects_table: string | null
  error: string | null
  created_by: string | null
  started_at: Generated<Date>
  finished_at: NullableTimestamp
}

/** The metadata database as Kysely sees it; each migration that adds a table adds it here. */
/** Catalog tables (migrations 0011, 0012) are declared by the catalog package. */
export interface Database extends CatalogTables, DocumentTables, AssistantTables {
  instance_settings: InstanceSettingsTable
  notebooks: NotebooksTable
  notebook_updates: NotebookUpdatesTable
  notebook_snapshots: NotebookSnapshotsTable
  notebook_problems: NotebookProblemsTable
  notebook_versions: NotebookVersionsTable
  notebook_comment_threads: NotebookCommentThreadsTable
  notebook_comments: NotebookCommentsTable
  users: UsersTable
  refresh_tokens: RefreshTokensTable
  workspaces: WorkspacesTable
  memberships: MembershipsTable
  invitations: InvitationsTable
  api_tokens: ApiTokensTable
  audit_events: AuditEventsTable
  workspace_keys: WorkspaceKeysTable
  connections: ConnectionsTable
  mcp_servers: McpServersTable
  pipelines: PipelinesTable
  pipeline_versions: PipelineVersionsTable
  pipeline_runs: PipelineRunsTable
  pipeline_step_runs: PipelineStepRunsTable
  pipeline_run_logs: PipelineRunLogsTable
  pipeline_alerts: PipelineAlertsTable
  files: FilesTable
  file_imports: FileImportsTable
  superset_datasets: SupersetDatasetsTable
}

/** Datasets the workbench published to or refreshed in a Superset (migration 0021). */
export interface SupersetDatasetsTable {
  workspace_id: string
  connection_id: string
  dataset_id: number
  database_id: number | null
  /** Lower-case `schema.table` of the workbench table the dataset reads (through `source_connection_id`). */
  table_key: string | null
  source_connection_id: string | null
  columns: ColumnType<unknown[], string | undefined, string>
  published_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  synced_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  last_result: ColumnType<unknown, string | null | undefined, string | null>
  gone_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface PipelinesTable {
  id: string
  workspace_id: string
  name: string
  current_version: Generated<number>
  alert_webhook_url: string | null
  /** Legacy: an HMAC key stored in clear before 0014; sealed into `alert_secret_sealed` and cleared at start. */
  alert_secret: string | null
  /** HMAC key of failure alerts, sealed under the workspace data key (see `alert-secrets.ts`); write-only. */
  alert_secret_sealed: string | null
  sla: { maxDuration?: string; finishBy?: string; timezone?: string } | null
  schedule_paused: Generated<boolean>
  created_by: string | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface PipelineVersionsTable {
  id: Generated<string>
  pipeline_id: string
  version: number
  yaml: string
  spec: unknown
  created_by: string | null
  created_at: Generated<Date>
}

export type PipelineRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out'
export type PipelineTrigger = 'manual' | 'schedule' | 'backfill' | 'rerun'

export interface PipelineRunsTable {
  id: string
  pipeline_id: string
  workspace_id: string
  version: number
  trigger: PipelineTrigger
  params: unknown
  status: PipelineRunStatus
  rerun_of: string | null
  workflow_id: string
  temporal_run_id: string | null
  error: string | null
  triggered_by: string | null
  created_at: Generated<Date>
  started_at: NullableTimestamp
  ended_at: NullableTimestamp
}

export type PipelineStepStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'timed_out' | 'reused'

export interface PipelineStepRunsTable {
  run_id: string
  step_id: string
  status: PipelineStepStatus
  attempts: Generated<number>
  started_at: NullableTimestamp
  ended_at: NullableTimestamp
  duration_ms: number | null
  error: string | null
  reason: string | null
  output: unknown
  artifacts: ColumnType<unknown, unknown | undefined, unknown>
}

export interface PipelineRunLogsTable {
  seq: Generated<string>
  run_id: string
  step_id: string | null
  level: 'info' | 'warn' | 'error'
  message: string
  created_at: Generated<Date>
}

export interface PipelineAlertsTable {
  id: Generated<string>
  pipeline_id: string
  run_id: string | null
  kind: 'failure' | 'sla_duration' | 'sla_finish_by'
  dedupe_key: string
  message: string
  delivery: 'pending' | 'delivered' | 'failed' | 'not_configured'
  attempts: Generated<number>
  last_error: string | null
  created_at: Generated<Date>
  delivered_at: NullableTimestamp
}
