import { MASKING_STATUSES, maskingTag, type SearchIndexes, searchAssets } from '@workbench/catalog'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'

/** What the model is shown of one table: never the whole schema, only the question's candidates. */
export interface RetrievedTable {
  assetId: string
  /** `schema.name`, as SQL names it. */
  qualified: string
  description: string | null
  tags: string[]
  usageCount: number
  columns: RetrievedColumn[]
}

export interface RetrievedColumn {
  name: string
  type: string
  description: string | null
  /** The masking tag (e.g. `PII.email`) when values are personal: the model gets the name and type only. */
  masked?: string
  /** A few distinct values from the catalog's profile; never for masked columns. */
  samples?: string[]
}

export interface JoinPath {
  from: string
  to: string
  on: string
  /** `lineage`: recorded by notebooks/pipelines; `name`: a `<table>_id` column matching a table's `id`. */
  via: 'lineage' | 'name'
}

export interface FewShot {
  question: string
  sql: string
}

export interface Retrieval {
  tables: RetrievedTable[]
  joins: JoinPath[]
  examples: FewShot[]
}

export interface RetrievalOptions {
  maxTables: number
  maxColumnsPerTable: number
  maxExamples: number
}

export const defaultRetrievalOptions: RetrievalOptions = { maxTables: 6, maxColumnsPerTable: 40, maxExamples: 3 }

const STOP_WORDS = new Set(
  'a an and are as at be by did do does each for from has have how i in is it its list many me much my of on or per show tell than that the their them there these this to total was what when where which who whose why with give find all top most least average number count sum between over during last first by'.split(
    ' ',
  ),
)

/** Content words of a question, each with a naive singular (orders → order), for per-word catalog search. */
export function questionWords(question: string): string[] {
  const words = question
    .toLowerCase()
    .split(/[^\p{L}\p{N}_]+/u)
    .filter((w) => w.length > 1 && !STOP_WORDS.has(w))
  const out = new Set<string>()
  for (const w of words) {
    out.add(w)
    if (w.length > 3 && w.endsWith('ies')) out.add(`${w.slice(0, -3)}y`)
    else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) out.add(w.slice(0, -1))
  }
  return [...out].slice(0, 16)
}

/**
 * The question's schema context from the catalog: candidate tables of the workspace DuckDB ranked by per-word
 * search (names, descriptions, column names, tags; usage breaks ties), their columns and types (masked columns by
 * name and type only), profile samples of unmasked columns, join paths from lineage and `<table>_id` naming, and
 * accepted past answers to similar questions.
 */
export async function retrieve(
  deps: { db: Kysely<Database>; search: SearchIndexes },
  input: { workspaceId: string; question: string },
  options: RetrievalOptions = defaultRetrievalOptions,
): Promise<Retrieval> {
  const words = questionWords(input.question)
  const scores = new Map<string, { score: number; usage: number }>()
  for (const word of words) {
    const result = await searchAssets(deps.search, { workspaceId: input.workspaceId, q: word, limit: 10 })
    result.items.forEach((hit, i) => {
      if (hit.gone) return
      const known = scores.get(hit.id) ?? { score: 0, usage: hit.usageCount }
      // Exact table-name hits weigh most; later hits of a word count less.
      const exact = hit.name.toLowerCase() === word || hit.name.toLowerCase() === `${word}s`
      known.score += (exact ? 3 : 1) / (1 + i * 0.25)
      scores.set(hit.id, known)
    })
  }
  const ranked = [...scores.entries()]
    .sort((a, b) => b[1].score - a[1].score || b[1].usage - a[1].usage)
    .map(([id]) => id)
  if (ranked.length === 0) return { tables: [], joins: [], examples: await examples(deps.db, input, words, options) }
  const assets = await deps.db
    .selectFrom('catalog_assets')
    .innerJoin('catalog_sources', 'catalog_sources.id', 'catalog_assets.source_id')
    .select([
      'catalog_assets.id',
      'catalog_assets.schema_name',
      'catalog_assets.name',
      'catalog_assets.description',
      'catalog_assets.source_comment',
      'catalog_assets.tags',
      'catalog_assets.usage_count',
    ])
    .where('catalog_assets.id', 'in', ranked.slice(0, options.maxTables * 3))
    .where('catalog_assets.workspace_id', '=', input.workspaceId)
    // Only the workspace DuckDB: what the read-only query runner may read.
    .where('catalog_sources.kind', '=', 'duckdb')
    .where('catalog_sources.connection_id', 'is', null)
    .where('catalog_assets.gone_at', 'is', null)
    .where('catalog_assets.schema_name', 'not in', ['import_rejects'])
    .execute()
  const byId = new Map(assets.map((a) => [a.id, a]))
  const chosen = ranked.flatMap((id) => byId.get(id) ?? []).slice(0, options.maxTables)
  const ids = chosen.map((a) => a.id)
  const [columns, tags, profiles] = await Promise.all([
    deps.db
      .selectFrom('catalog_columns')
      .select(['asset_id', 'name', 'type', 'description', 'source_comment', 'ordinal'])
      .where('asset_id', 'in', ids)
      .orderBy('ordinal')
      .execute(),
    deps.db
      .selectFrom('catalog_tags')
      .select(['asset_id', 'column_name', 'tag'])
      .where('asset_id', 'in', ids)
      .where('status', 'in', [...MASKING_STATUSES])
      .execute(),
    deps.db.selectFrom('catalog_profiles').select(['asset_id', 'profile']).where('asset_id', 'in', ids).execute(),
  ])
  const tables: RetrievedTable[] = chosen.map((asset) => {
    const columnTags = (name: string) =>
      tags.filter((t) => t.asset_id === asset.id && t.column_name === name).map((t) => t.tag)
    const profile = profiles.find((p) => p.asset_id === asset.id)?.profile as
      | { columns?: { name: string; topValues?: { value: string | null }[] }[] }
      | undefined
    return {
      assetId: asset.id,
      qualified: `${asset.schema_name}.${asset.name}`,
      description: asset.description ?? asset.source_comment,
      tags: tags.filter((t) => t.asset_id === asset.id && t.column_name === '').map((t) => t.tag),
      usageCount: asset.usage_count,
      columns: columns
        .filter((c) => c.asset_id === asset.id)
        .slice(0, options.maxColumnsPerTable)
        .map((c) => {
          const masked = maskingTag(columnTags(c.name))
          const samples = masked
            ? undefined
            : profile?.columns
                ?.find((p) => p.name === c.name)
                ?.topValues?.flatMap((v) => (v.value === null ? [] : [String(v.value).slice(0, 40)]))
                .slice(0, 3)
          return {
            name: c.name,
            type: c.type,
            description: c.description ?? c.source_comment,
            ...(masked ? { masked } : {}),
            ...(samples?.length ? { samples } : {}),
          }
        }),
    }
  })
  return {
    tables,
    joins: await joinPaths(deps.db, input.workspaceId, tables),
    examples: await examples(deps.db, input, words, options),
  }
}

async function joinPaths(db: Kysely<Database>, workspaceId: string, tables: RetrievedTable[]): Promise<JoinPath[]> {
  const joins: JoinPath[] = []
  const names = new Map(tables.map((t) => [t.qualified.toLowerCase(), t]))
  const bare = new Map(tables.map((t) => [t.qualified.split('.').pop()?.toLowerCase() ?? '', t]))
  for (const table of tables) {
    for (const column of table.columns) {
      const m = /^(.+)_id$/i.exec(column.name)
      if (!m) continue
      const stem = (m[1] ?? '').toLowerCase()
      const target =
        bare.get(stem) ?? bare.get(`${stem}s`) ?? bare.get(`${stem}es`) ?? bare.get(stem.replace(/y$/, 'ies'))
      if (!target || target === table || !target.columns.some((c) => c.name.toLowerCase() === 'id')) continue
      joins.push({
        from: table.qualified,
        to: target.qualified,
        on: `${table.qualified}.${column.name} = ${target.qualified}.id`,
        via: 'name',
      })
    }
  }
  if (tables.length > 1) {
    const edges = await db
      .selectFrom('catalog_lineage_edges')
      .select(['source_table', 'source_column', 'target_table', 'target_column'])
      .where('workspace_id', '=', workspaceId)
      .where('source_table', 'in', [...names.keys()])
      .where('target_table', 'in', [...names.keys()])
      .where('source_column', '!=', '')
      .limit(20)
      .execute()
    for (const e of edges)
      joins.push({
        from: e.source_table,
        to: e.target_table,
        on: `${e.source_table}.${e.source_column} -> ${e.target_table}.${e.target_column}`,
        via: 'lineage',
      })
  }
  return joins
}

/** Accepted answers whose question shares the most content words with this one (few-shot examples). */
async function examples(
  db: Kysely<Database>,
  input: { workspaceId: string },
  words: string[],
  options: RetrievalOptions,
): Promise<FewShot[]> {
  if (options.maxExamples <= 0 || words.length === 0) return []
  const accepted = await db
    .selectFrom('query_history')
    .select(['question', 'sql'])
    .where('workspace_id', '=', input.workspaceId)
    .where('accepted', '=', true)
    .where('question', 'is not', null)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute()
  const wanted = new Set(words)
  return accepted
    .map((a) => ({ a, overlap: questionWords(a.question ?? '').filter((w) => wanted.has(w)).length }))
    .filter((x) => x.overlap > 0)
    .sort((x, y) => y.overlap - x.overlap)
    .slice(0, options.maxExamples)
    .map(({ a }) => ({ question: a.question ?? '', sql: a.sql }))
}
