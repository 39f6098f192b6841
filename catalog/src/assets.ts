import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import type { TagProposal } from './preview/classify.ts'
import { beginAssetSearchChange, refreshAssetTags, refreshSearchDocuments } from './search/search-documents.ts'
import { type CatalogTables, MASKING_STATUSES, type TagStatus } from './types.ts'

/** Tags are free text (`finance`, `gold`) or classifications (`PII.email`); this keeps them tidy. */
export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}_.:\- ]{0,62}$/u

export interface AssetDetail {
  id: string
  sourceId: string
  sourceName: string
  sourceKind: string
  schema: string
  name: string
  /** Lower-case `schema.table`, the key lineage and usage use. */
  lineageKey: string
  kind: 'table' | 'view'
  description: string | null
  sourceComment: string | null
  owners: string[]
  tags: { column: string; tag: string; status: TagStatus; reason: string | null }[]
  rowEstimate: number | null
  usageCount: number
  discoveredAt: string
  goneAt: string | null
  /** When an external tool's mirror of it (a Superset dataset) was last synced. */
  syncedAt: string | null
  columns: {
    name: string
    ordinal: number
    type: string
    nullable: boolean
    description: string | null
    sourceComment: string | null
    tags: string[]
    maskedBy: string[]
  }[]
}

/** Finds or creates the catalog source a workspace reads through `kind`/`name` (e.g. the workspace DuckDB). */
export async function ensureSource(
  db: Kysely<CatalogTables>,
  input: { workspaceId: string; kind: string; name: string; connectionId?: string | null },
): Promise<string> {
  const existing = await db
    .selectFrom('catalog_sources')
    .select('id')
    .where('workspace_id', '=', input.workspaceId)
    .where('name', '=', input.name)
    .executeTakeFirst()
  if (existing) return existing.id
  const id = randomUUID()
  await db
    .insertInto('catalog_sources')
    .values({
      id,
      workspace_id: input.workspaceId,
      kind: input.kind,
      name: input.name,
      connection_id: input.connectionId ?? null,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
    .execute()
  const row = await db
    .selectFrom('catalog_sources')
    .select('id')
    .where('workspace_id', '=', input.workspaceId)
    .where('name', '=', input.name)
    .executeTakeFirstOrThrow()
  return row.id
}

/** An asset with its columns and tags (proposed and rejected ones too); undefined when not in the workspace. */
export async function getAsset(
  db: Kysely<CatalogTables>,
  workspaceId: string,
  assetId: string,
): Promise<AssetDetail | undefined> {
  const a = await db
    .selectFrom('catalog_assets as a')
    .innerJoin('catalog_sources as s', 's.id', 'a.source_id')
    .selectAll('a')
    .select(['s.name as source_name', 's.kind as source_kind'])
    .where('a.id', '=', assetId)
    .where('a.workspace_id', '=', workspaceId)
    .executeTakeFirst()
  if (!a) return undefined
  const [columns, tags] = await Promise.all([
    db.selectFrom('catalog_columns').selectAll().where('asset_id', '=', assetId).orderBy('ordinal').execute(),
    db
      .selectFrom('catalog_tags')
      .selectAll()
      .where('asset_id', '=', assetId)
      .orderBy('column_name')
      .orderBy('tag')
      .execute(),
  ])
  return {
    id: a.id,
    sourceId: a.source_id,
    sourceName: a.source_name,
    sourceKind: a.source_kind,
    schema: a.schema_name,
    name: a.name,
    lineageKey: `${a.schema_name}.${a.name}`.toLowerCase(),
    kind: a.kind,
    description: a.description,
    sourceComment: a.source_comment,
    owners: a.owners,
    tags: tags.map((t) => ({ column: t.column_name, tag: t.tag, status: t.status, reason: t.reason })),
    rowEstimate: a.row_estimate === null ? null : Number(a.row_estimate),
    usageCount: a.usage_count,
    discoveredAt: new Date(a.discovered_at).toISOString(),
    goneAt: a.gone_at ? new Date(a.gone_at).toISOString() : null,
    syncedAt: a.synced_at ? new Date(a.synced_at).toISOString() : null,
    columns: columns.map((c) => ({
      name: c.name,
      ordinal: c.ordinal,
      type: c.type,
      nullable: c.nullable,
      description: c.description,
      sourceComment: c.source_comment,
      tags: tags.filter((t) => t.column_name === c.name && t.status === 'accepted').map((t) => t.tag),
      // What masks this column now: accepted tags and high-confidence findings pending review.
      maskedBy: tags.filter((t) => t.column_name === c.name && MASKING_STATUSES.includes(t.status)).map((t) => t.tag),
    })),
  }
}

/**
 * Applies user edits to an asset: its description and owners, column descriptions. Returns the per-item problems
 * (unknown columns) instead of failing half-way; valid edits are applied.
 */
export async function updateAsset(
  db: Kysely<CatalogTables>,
  assetId: string,
  edit: { description?: string | null; owners?: string[]; columns?: { name: string; description: string | null }[] },
): Promise<{ problems: string[] }> {
  const problems: string[] = []
  await db.transaction().execute(async (trx) => {
    const version = await beginAssetSearchChange(trx, assetId)
    if (edit.description !== undefined || edit.owners !== undefined)
      await trx
        .updateTable('catalog_assets')
        .set({
          ...(edit.description !== undefined ? { description: edit.description } : {}),
          ...(edit.owners !== undefined ? { owners: [...new Set(edit.owners)] } : {}),
        })
        .where('id', '=', assetId)
        .execute()
    for (const c of edit.columns ?? []) {
      const res = await trx
        .updateTable('catalog_columns')
        .set({ description: c.description })
        .where('asset_id', '=', assetId)
        .where('name', '=', c.name)
        .executeTakeFirst()
      if (Number(res.numUpdatedRows) === 0) problems.push(`no column named ${c.name}`)
    }
    await refreshSearchDocuments(trx, [assetId], version)
  })
  return { problems }
}

/**
 * Sets the status of tags on an asset or its columns: `accepted` tags drive masking, facets and search;
 * `rejected` ones stay recorded so the classifier does not propose them again.
 */
export async function setTags(
  db: Kysely<CatalogTables>,
  assetId: string,
  changes: { column?: string; tag: string; status: TagStatus | 'removed' }[],
  userId: string | null,
): Promise<{ problems: string[] }> {
  const problems: string[] = []
  const columns = new Set(
    (await db.selectFrom('catalog_columns').select('name').where('asset_id', '=', assetId).execute()).map(
      (c) => c.name,
    ),
  )
  await db.transaction().execute(async (trx) => {
    const version = await beginAssetSearchChange(trx, assetId)
    for (const change of changes) {
      const column = change.column ?? ''
      if (column && !columns.has(column)) {
        problems.push(`no column named ${column}`)
        continue
      }
      if (!TAG_PATTERN.test(change.tag)) {
        problems.push(`invalid tag ${JSON.stringify(change.tag)}`)
        continue
      }
      if (change.status === 'removed') {
        await trx
          .deleteFrom('catalog_tags')
          .where('asset_id', '=', assetId)
          .where('column_name', '=', column)
          .where('tag', '=', change.tag)
          .execute()
        continue
      }
      const status = change.status
      await trx
        .insertInto('catalog_tags')
        .values({ asset_id: assetId, column_name: column, tag: change.tag, status, reason: null, created_by: userId })
        .onConflict((oc) => oc.columns(['asset_id', 'column_name', 'tag']).doUpdateSet({ status, created_by: userId }))
        .execute()
    }
    await refreshAssetTags(trx, assetId, version)
  })
  return { problems }
}

/**
 * Records classifier findings: high-confidence ones as `pending` (masked at once, until a user accepts or rejects
 * them), the others as `proposed`. A tag a user accepted or rejected is left as they set it; a `proposed` tag
 * found again with high confidence becomes `pending`. Returns how many tags were added or raised to `pending`.
 */
export async function proposeTags(
  db: Kysely<CatalogTables>,
  assetId: string,
  proposals: TagProposal[],
): Promise<number> {
  if (proposals.length === 0) return 0
  const res = await db
    .insertInto('catalog_tags')
    .values(
      proposals.map((p) => ({
        asset_id: assetId,
        column_name: p.column,
        tag: p.tag,
        status: p.confidence === 'high' ? ('pending' as const) : ('proposed' as const),
        reason: p.reason,
        created_by: null,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['asset_id', 'column_name', 'tag'])
        .doUpdateSet((eb) => ({ status: eb.ref('excluded.status'), reason: eb.ref('excluded.reason') }))
        .where(sql<boolean>`catalog_tags.status = 'proposed' AND excluded.status = 'pending'`),
    )
    .returning('tag')
    .execute()
  return res.length
}

/** Schema history of an asset, newest first. */
export async function schemaHistory(db: Kysely<CatalogTables>, assetId: string, limit = 200) {
  const rows = await db
    .selectFrom('catalog_schema_history')
    .selectAll()
    .where('asset_id', '=', assetId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
  return rows.map((r) => ({
    change: r.change,
    column: r.column_name,
    detail: (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as Record<string, unknown>,
    at: new Date(r.at).toISOString(),
  }))
}

/** Sources of a workspace with their latest discovery run. */
export async function listSources(db: Kysely<CatalogTables>, workspaceId: string) {
  const sources = await db
    .selectFrom('catalog_sources')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('name')
    .execute()
  const out = []
  for (const s of sources) {
    const run = await db
      .selectFrom('catalog_discovery_runs')
      .selectAll()
      .where('source_id', '=', s.id)
      .orderBy('started_at', 'desc')
      .limit(1)
      .executeTakeFirst()
    out.push({
      id: s.id,
      kind: s.kind,
      name: s.name,
      connectionId: s.connection_id,
      lastDiscoveredAt: s.last_discovered_at ? new Date(s.last_discovered_at).toISOString() : null,
      lastRun: run ? toRun(run) : null,
    })
  }
  return out
}

/** A discovery run, for progress polling. */
export async function getRun(db: Kysely<CatalogTables>, workspaceId: string, runId: string) {
  const run = await db
    .selectFrom('catalog_discovery_runs')
    .selectAll()
    .where('id', '=', runId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst()
  return run ? toRun(run) : undefined
}

function toRun(run: {
  id: string
  source_id: string
  status: string
  started_at: Date
  finished_at: Date | null
  tables_seen: number
  tables_failed: number
  tables_gone: number
  errors: unknown
}) {
  return {
    id: run.id,
    sourceId: run.source_id,
    status: run.status,
    startedAt: new Date(run.started_at).toISOString(),
    finishedAt: run.finished_at ? new Date(run.finished_at).toISOString() : null,
    seen: run.tables_seen,
    failed: run.tables_failed,
    gone: run.tables_gone,
    errors: (typeof run.errors === 'string' ? JSON.parse(run.errors) : run.errors) as {
      object: string
      error: string
    }[],
  }
}
