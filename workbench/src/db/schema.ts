import type { Generated } from 'kysely'

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

/** The metadata database as Kysely sees it; each migration that adds a table adds it here. */
export interface Database {
  instance_settings: InstanceSettingsTable
  notebooks: NotebooksTable
  notebook_updates: NotebookUpdatesTable
  notebook_snapshots: NotebookSnapshotsTable
  notebook_problems: NotebookProblemsTable
}
