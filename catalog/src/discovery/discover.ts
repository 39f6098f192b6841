import { randomUUID } from 'node:crypto'
import type { Insertable, Kysely, Transaction } from 'kysely'
import { beginSearchChange, refreshSearchDocuments } from '../search/search-documents.ts'
import type {
  CatalogTables,
  DiscoverySource,
  IntrospectedColumn,
  IntrospectedTable,
  IntrospectionItem,
  SchemaChange,
} from '../types.ts'

/** Progress of a discovery run, reported after every chunk and at the end. */
export interface DiscoveryProgress {
  runId: string
  seen: number
  failed: number
}

export interface DiscoveryResult {
  runId: string
  status: 'succeeded' | 'failed'
  seen: number
  added: number
  changed: number
  failed: number
  gone: number
  /** Objects whose introspection or cataloguing failed; the rest of the run went on. */
  errors: { object: string; error: string }[]
  /** Set when the source itself could not be read: nothing is marked gone then. */
  error?: string
}

export interface DiscoverOptions {
  workspaceId: string
  sourceId: string
  source: DiscoverySource
  triggeredBy?: string | null
  /** Called once the run is recorded, before any table is read (to answer an API call with the run id). */
  onStart?: (runId: string) => void
  onProgress?: (progress: DiscoveryProgress) => void
  /** Tables catalogued per transaction; also the most tables held in memory at once. */
  chunkSize?: number
}

const MAX_ERRORS_KEPT = 1_000

/**
 * Catalogues what a source holds. Tables are consumed as a stream in chunks, so memory stays bounded whatever
 * the source's size. A table that fails is reported and the rest go on; objects not seen in a complete run are
 * marked gone (kept, with a history entry), and column changes are written to the schema history.
 * Never throws for source problems: the result says what happened.
 */
export async function discover(db: Kysely<CatalogTables>, options: DiscoverOptions): Promise<DiscoveryResult> {
  const { workspaceId, sourceId } = options
  const chunkSize = options.chunkSize ?? 200
  const runId = randomUUID()
  const run = await db
    .insertInto('catalog_discovery_runs')
    .values({
      id: runId,
      workspace_id: workspaceId,
      source_id: sourceId,
      status: 'running',
      triggered_by: options.triggeredBy ?? null,
    })
    .returning('started_at')
    .executeTakeFirstOrThrow()
  options.onStart?.(runId)
  // Every object seen in this run gets discovered_at = the run's start; what is older afterwards is gone.
  const runStart = run.started_at
  const result: DiscoveryResult = {
    runId,
    status: 'succeeded',
    seen: 0,
    added: 0,
    changed: 0,
    failed: 0,
    gone: 0,
    errors: [],
  }
  const fail = (object: string, error: string) => {
    result.failed++
    if (result.errors.length < MAX_ERRORS_KEPT) result.errors.push({ object, error })
  }
  const report = async () => {
    options.onProgress?.({ runId, seen: result.seen, failed: result.failed })
    await db
      .updateTable('catalog_discovery_runs')
      .set({ tables_seen: result.seen, tables_failed: result.failed })
      .where('id', '=', runId)
      .execute()
  }

  let chunk: IntrospectedTable[] = []
  const flush = async () => {
    if (chunk.length === 0) return
    const tables = chunk
    chunk = []
    try {
      await db.transaction().execute((trx) => catalogueChunk(trx, options, runStart, tables, result))
    } catch {
      // Find the culprit: catalogue one by one so a single bad object does not lose its neighbours.
      for (const table of tables) {
        try {
          await db.transaction().execute((trx) => catalogueChunk(trx, options, runStart, [table], result))
        } catch (err) {
          fail(`${table.schema}.${table.name}`, message(err))
        }
      }
    }
    await report()
  }

  try {
    for await (const item of options.source.introspect()) {
      result.seen++
      if (isFailure(item)) {
        fail(`${item.schema}.${item.name}`, item.error)
        // A table we could not read this time is not gone: keep it as it was.
        await db
          .updateTable('catalog_assets')
          .set({ discovered_at: runStart })
          .where('source_id', '=', sourceId)
          .where('schema_name', '=', item.schema)
          .where('name', '=', item.name)
          .execute()
        continue
      }
      chunk.push(item)
      if (chunk.length >= chunkSize) await flush()
    }
    await flush()
  } catch (err) {
    result.status = 'failed'
    result.error = message(err)
  }

  if (result.status === 'succeeded') {
    const gone = await db.transaction().execute(async (trx) => {
      const version = await beginSearchChange(trx, workspaceId)
      return trx
        .updateTable('catalog_assets')
        .set({ gone_at: new Date(), search_version: version, updated_at: new Date() })
        .where('source_id', '=', sourceId)
        .where('gone_at', 'is', null)
        .where('discovered_at', '<', runStart)
        .returning('id')
        .execute()
    })
    result.gone = gone.length
    for (let i = 0; i < gone.length; i += 500) {
      await db
        .insertInto('catalog_schema_history')
        .values(
          gone
            .slice(i, i + 500)
            .map((g) => ({ asset_id: g.id, change: 'asset_gone' as const, column_name: null, detail: '{}' })),
        )
        .execute()
    }
    await db.updateTable('catalog_sources').set({ last_discovered_at: new Date() }).where('id', '=', sourceId).execute()
  }
  await db
    .updateTable('catalog_discovery_runs')
    .set({
      status: result.status,
      finished_at: new Date(),
      tables_seen: result.seen,
      tables_failed: result.failed,
      tables_gone: result.gone,
      errors: JSON.stringify(
        result.error ? [{ object: '(source)', error: result.error }, ...result.errors] : result.errors,
      ),
    })
    .where('id', '=', runId)
    .execute()
  options.onProgress?.({ runId, seen: result.seen, failed: result.failed })
  return result
}

async function catalogueChunk(
  trx: Transaction<CatalogTables>,
  options: DiscoverOptions,
  runStart: Date,
  tables: IntrospectedTable[],
  result: DiscoveryResult,
): Promise<void> {
  // First statement: search versions of a workspace are taken in commit order (see beginSearchChange).
  const version = await beginSearchChange(trx, options.workspaceId)
  const key = (schema: string, name: string) => `${schema}\u0000${name}`
  const existing = await trx
    .selectFrom('catalog_assets')
    .select(['id', 'schema_name', 'name', 'kind', 'source_comment', 'row_estimate', 'gone_at'])
    .where('source_id', '=', options.sourceId)
    .where((eb) => eb.or(tables.map((t) => eb.and([eb('schema_name', '=', t.schema), eb('name', '=', t.name)]))))
    .execute()
  const byKey = new Map(existing.map((a) => [key(a.schema_name, a.name), a]))
  const columnsByAsset = new Map<string, IntrospectedColumn[]>()
  if (existing.length > 0) {
    const rows = await trx
      .selectFrom('catalog_columns')
      .selectAll()
      .where(
        'asset_id',
        'in',
        existing.map((a) => a.id),
      )
      .execute()
    for (const c of rows) {
      const list = columnsByAsset.get(c.asset_id) ?? []
      list.push({ name: c.name, type: c.type, nullable: c.nullable, comment: c.source_comment, ordinal: c.ordinal })
      columnsByAsset.set(c.asset_id, list)
    }
  }

  const touched: string[] = []
  const history: { asset_id: string; change: SchemaChange; column_name: string | null; detail: string }[] = []
  const newAssets: Insertable<CatalogTables['catalog_assets']>[] = []
  const newColumns: ReturnType<typeof columnRow>[] = []
  let added = 0
  let changed = 0
  for (const table of tables) {
    const before = byKey.get(key(table.schema, table.name))
    if (!before) {
      const id = randomUUID()
      newAssets.push({
        id,
        workspace_id: options.workspaceId,
        source_id: options.sourceId,
        schema_name: table.schema,
        name: table.name,
        kind: table.kind,
        source_comment: table.comment,
        row_estimate: table.rowEstimate,
        discovered_at: runStart,
        search_version: version,
      })
      for (const c of table.columns) newColumns.push(columnRow(id, c))
      history.push({
        asset_id: id,
        change: 'asset_added',
        column_name: null,
        detail: JSON.stringify({ columns: table.columns.length }),
      })
      touched.push(id)
      added++
      continue
    }
    const id = before.id
    let assetChanged = false
    if (before.gone_at) {
      history.push({ asset_id: id, change: 'asset_back', column_name: null, detail: '{}' })
      assetChanged = true
    }
    const old = new Map((columnsByAsset.get(id) ?? []).map((c) => [c.name, c]))
    const now = new Map(table.columns.map((c) => [c.name, c]))
    for (const c of table.columns) {
      const prev = old.get(c.name)
      if (!prev) {
        await trx.insertInto('catalog_columns').values(columnRow(id, c)).execute()
        history.push({
          asset_id: id,
          change: 'column_added',
          column_name: c.name,
          detail: JSON.stringify({ type: c.type, nullable: c.nullable }),
        })
        assetChanged = true
      } else if (
        prev.type !== c.type ||
        prev.nullable !== c.nullable ||
        prev.comment !== c.comment ||
        prev.ordinal !== c.ordinal
      ) {
        await trx
          .updateTable('catalog_columns')
          .set({ type: c.type, nullable: c.nullable, source_comment: c.comment, ordinal: c.ordinal })
          .where('asset_id', '=', id)
          .where('name', '=', c.name)
          .execute()
        // Comment or position changes refresh the row but are not schema changes worth a history line.
        if (prev.type !== c.type || prev.nullable !== c.nullable)
          history.push({
            asset_id: id,
            change: 'column_changed',
            column_name: c.name,
            detail: JSON.stringify({
              before: { type: prev.type, nullable: prev.nullable },
              after: { type: c.type, nullable: c.nullable },
            }),
          })
        assetChanged = true
      }
    }
    for (const prev of old.values()) {
      if (now.has(prev.name)) continue
      await trx.deleteFrom('catalog_columns').where('asset_id', '=', id).where('name', '=', prev.name).execute()
      history.push({
        asset_id: id,
        change: 'column_removed',
        column_name: prev.name,
        detail: JSON.stringify({ type: prev.type }),
      })
      assetChanged = true
    }
    const estimate = before.row_estimate === null ? null : Number(before.row_estimate)
    if (
      assetChanged ||
      before.kind !== table.kind ||
      before.source_comment !== table.comment ||
      estimate !== table.rowEstimate
    ) {
      await trx
        .updateTable('catalog_assets')
        .set({
          kind: table.kind,
          source_comment: table.comment,
          row_estimate: table.rowEstimate,
          discovered_at: runStart,
          gone_at: null,
        })
        .where('id', '=', id)
        .execute()
      touched.push(id)
      changed++
    }
  }
  // New objects go in with a few multi-row inserts (bounded so no statement has too many parameters).
  for (let i = 0; i < newAssets.length; i += 500)
    await trx
      .insertInto('catalog_assets')
      .values(newAssets.slice(i, i + 500))
      .execute()
  for (let i = 0; i < newColumns.length; i += 2_000)
    await trx
      .insertInto('catalog_columns')
      .values(newColumns.slice(i, i + 2_000))
      .execute()
  const unchanged = existing.map((a) => a.id).filter((id) => !touched.includes(id))
  if (unchanged.length > 0)
    await trx.updateTable('catalog_assets').set({ discovered_at: runStart }).where('id', 'in', unchanged).execute()
  for (let i = 0; i < history.length; i += 2_000)
    await trx
      .insertInto('catalog_schema_history')
      .values(history.slice(i, i + 2_000))
      .execute()
  await refreshSearchDocuments(trx, touched, version)
  // Counted only once the chunk committed would be more exact; a failed chunk is retried one by one anyway.
  result.added += added
  result.changed += changed
}

function columnRow(assetId: string, c: IntrospectedColumn) {
  return {
    asset_id: assetId,
    name: c.name,
    ordinal: c.ordinal,
    type: c.type,
    nullable: c.nullable,
    source_comment: c.comment,
    description: null,
  }
}

function isFailure(item: IntrospectionItem): item is { schema: string; name: string; error: string } {
  return 'error' in item
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
