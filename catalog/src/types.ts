import type { ColumnType, Generated } from 'kysely'

/** A column as a source describes it (the connections service produces these). */
export interface IntrospectedColumn {
  name: string
  type: string
  nullable: boolean
  comment: string | null
  ordinal: number
}

/** A table or view as a source describes it. */
export interface IntrospectedTable {
  schema: string
  name: string
  kind: 'table' | 'view'
  comment: string | null
  rowEstimate: number | null
  columns: IntrospectedColumn[]
}

/** One streamed introspection result: a table, or a table whose introspection failed. */
export type IntrospectionItem = IntrospectedTable | { schema: string; name: string; error: string }

/** Rows as a page: column names/types and JSON-safe values (the shape of `DuckdbDatabase.query`). */
export interface RowsPage {
  columns: { name: string; type: string }[]
  rows: unknown[][]
}

/** Runs one SQL statement and returns (at most `limit`) rows. */
export type RunSql = (sql: string, options?: { limit?: number }) => Promise<RowsPage>

/**
 * A source the catalog can read: introspection streams tables (bounded memory), and `runSql`, when
 * present, reads data for previews and profiles in the source's own SQL dialect.
 */
export interface DiscoverySource {
  /** `duckdb` (the workspace database), `postgres`, `mysql`, … */
  kind: string
  introspect(): AsyncIterable<IntrospectionItem>
  /** SQL dialect used to quote identifiers and sample rows. */
  dialect: 'duckdb' | 'postgres' | 'mysql'
  runSql?: RunSql
}

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
type Json<T> = ColumnType<T, string, string>

export interface CatalogSourcesTable {
  id: string
  workspace_id: string
  kind: string
  name: string
  /** The connection this source reads, if any (the workspace DuckDB has none). */
  connection_id: string | null
  created_at: Generated<Date>
  last_discovered_at: NullableTimestamp
}

export interface CatalogDiscoveryRunsTable {
  id: string
  workspace_id: string
  source_id: string
  status: 'running' | 'succeeded' | 'failed'
  started_at: Generated<Date>
  finished_at: NullableTimestamp
  tables_seen: Generated<number>
  tables_failed: Generated<number>
  tables_gone: Generated<number>
  errors: ColumnType<{ object: string; error: string }[], string | undefined, string>
  triggered_by: string | null
}

export interface CatalogAssetsTable {
  id: string
  workspace_id: string
  source_id: string
  schema_name: string
  name: string
  kind: 'table' | 'view'
  source_comment: string | null
  description: string | null
  owners: ColumnType<string[], string[] | undefined, string[]>
  /** Accepted tags of the asset and of its columns, for facets and ranking. */
  tags: ColumnType<string[], string[] | undefined, string[]>
  row_estimate: ColumnType<string | null, number | null | undefined, number | null>
  usage_count: Generated<number>
  /** The `catalog_search_state.version` of the write that last changed this asset's search document. */
  search_version: ColumnType<string, number | string | undefined, number | string>
  discovered_at: Timestamp
  /** Set when the object was no longer found in its source; the row is kept. */
  gone_at: NullableTimestamp
  /** When an external tool's mirror of this object (a Superset dataset) was last synced; null otherwise. */
  synced_at: Generated<Date | null>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface CatalogColumnsTable {
  asset_id: string
  name: string
  ordinal: number
  type: string
  nullable: boolean
  source_comment: string | null
  description: string | null
}

/**
 * `accepted`: a user confirmed it; `pending`: a high-confidence finding of the classifier (emails, IBANs, card
 * numbers by value), masked at once until a user accepts or rejects it; `proposed`: a low-confidence finding, not
 * masked; `rejected`: kept so the classifier does not propose it again.
 */
export type TagStatus = 'accepted' | 'pending' | 'proposed' | 'rejected'

/** Statuses whose masking tags mask values (previews, profiles, SQL results). */
export const MASKING_STATUSES: readonly TagStatus[] = ['accepted', 'pending']

export interface CatalogTagsTable {
  asset_id: string
  /** '' for a tag on the asset itself. */
  column_name: string
  tag: string
  status: TagStatus
  /** Why the classifier proposed it, e.g. `9/10 sample values look like emails`. */
  reason: string | null
  created_by: string | null
  created_at: Generated<Date>
}

export type SchemaChange =
  | 'asset_added'
  | 'asset_gone'
  | 'asset_back'
  | 'column_added'
  | 'column_removed'
  | 'column_changed'

export interface CatalogSchemaHistoryTable {
  id: Generated<string>
  asset_id: string
  change: SchemaChange
  column_name: string | null
  detail: Json<Record<string, unknown>>
  at: Generated<Date>
}

export interface CatalogProfilesTable {
  asset_id: string
  profile: Json<unknown>
  computed_at: Timestamp
}

export interface CatalogLineageEdgesTable {
  id: Generated<string>
  workspace_id: string
  /** Lower-case `schema.table`. */
  source_table: string
  /** '' for a table-level edge. */
  source_column: string
  target_table: string
  target_column: string
  /** `superset`: edges a Superset sync derived (workbench table → dataset → chart → dashboard). */
  producer_kind: 'notebook' | 'pipeline' | 'superset'
  producer_id: string
  producer_version: string | null
  created_at: Generated<Date>
  updated_at: Timestamp
}

export interface CatalogUsageTable {
  workspace_id: string
  table_name: string
  producer_kind: 'notebook' | 'pipeline'
  producer_id: string
  mode: 'read' | 'write'
  count: number
  last_at: Timestamp
}

/** Per workspace: what search indexes compare to know whether (and how) to reload (migration 0012). */
export interface CatalogSearchStateTable {
  workspace_id: string
  /** Bumped by every write that changes a search document. */
  version: ColumnType<string, number | string | undefined, number | string>
  /** The version at which assets were last deleted: indexes loaded before it reload in full. */
  reload_version: ColumnType<string, number | string | undefined, number | string>
}

/** The metadata tables the catalog reads and writes (migrations 0011 and 0012 in the workbench). */
export interface CatalogTables {
  catalog_sources: CatalogSourcesTable
  catalog_discovery_runs: CatalogDiscoveryRunsTable
  catalog_assets: CatalogAssetsTable
  catalog_columns: CatalogColumnsTable
  catalog_tags: CatalogTagsTable
  catalog_schema_history: CatalogSchemaHistoryTable
  catalog_profiles: CatalogProfilesTable
  catalog_lineage_edges: CatalogLineageEdgesTable
  catalog_usage: CatalogUsageTable
  catalog_search_state: CatalogSearchStateTable
}

/** The classification tags that drive masking. */
export const CLASSIFICATIONS = [
  'PII.email',
  'PII.phone',
  'PII.name',
  'PII.iban',
  'PII.address',
  'PII.card',
  'sensitive',
] as const
export type Classification = (typeof CLASSIFICATIONS)[number]
