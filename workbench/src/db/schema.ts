import type { Generated } from 'kysely'

/** Instance-wide settings (key -> JSON value), e.g. the instance id written on first start. */
export interface InstanceSettingsTable {
  key: string
  value: unknown
  updated_at: Generated<Date>
}

/** The metadata database as Kysely sees it; each migration that adds a table adds it here. */
export interface Database {
  instance_settings: InstanceSettingsTable
}
