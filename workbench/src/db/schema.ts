import type { ColumnType, Generated } from 'kysely'

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
}

/** The metadata database as Kysely sees it; each migration that adds a table adds it here. */
export interface Database {
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
}
