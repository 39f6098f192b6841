import { type CatalogTables, maskedColumns, maskRow } from '@workbench/catalog'
import { QueryStoppedError, quoteLiteral, StatementRefusedError } from '@workbench/kernels/duckdb'
import type { Kysely } from 'kysely'
import type { CatalogService } from '../catalog/catalog-service.ts'
import { AppError } from '../http/errors.ts'
import type { WorkspaceDuckdb } from '../kernels/workspace-databases.ts'
import { ConcurrencyLimits } from './concurrency.ts'
import type { Planner } from './planner.ts'

/** Table functions a read-only query may use: they compute values and read nothing from files or settings. */
const ALLOWED_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest', 'generate_subscripts'])
/** The workspace database's own catalog name (its file is `workspace.duckdb`). */
const WORKSPACE_CATALOG = 'workspace'

export interface WorkspaceQueriesDeps {
  duckdb: WorkspaceDuckdb
  /** The private parser: user SQL reaches it only as a string literal to `json_serialize_sql`. */
  planner: Pick<Planner, 'query'>
  catalog: () => Pick<CatalogService, 'db' | 'planResultMasking'> | undefined
  statementTimeoutMs: number
  concurrencyPerUser: number
  maxRunning: number
}

export interface WorkspaceQueryPage {
  columns: { name: string; type: string }[]
  rows: unknown[][]
  /** Result columns whose values are masked (they derive from PII-tagged columns). */
  masked: string[]
  /** The catalogued tables the query reads, as `schema.name`. */
  tables: string[]
  offset: number
  /** Offset of the next page, or null when this page is the last. */
  nextOffset: number | null
  durationMs: number
}

/**
 * Read-only SQL over a workspace's DuckDB for API and agent callers (viewers included), with the safety the
 * assistant issue asks for:
 * - parsed first on the private planner: exactly one SELECT, reading only catalogued tables of the workspace (and
 *   CTEs), no table function that reads files or settings, no other catalog;
 * - run inside a READ ONLY transaction (DuckDB refuses any write) with the statement timeout, on its own
 *   connection, bounded per user;
 * - result columns derived from PII-tagged columns are masked (the catalog's lineage-based rule).
 */
export class WorkspaceQueries {
  readonly #deps: WorkspaceQueriesDeps
  readonly #limits: ConcurrencyLimits

  constructor(deps: WorkspaceQueriesDeps) {
    this.#deps = deps
    this.#limits = new ConcurrencyLimits({ perKey: deps.concurrencyPerUser, total: deps.maxRunning })
  }

  async run(input: {
    workspaceId: string
    userId: string
    sql: string
    limit: number
    offset: number
    signal?: AbortSignal
  }): Promise<WorkspaceQueryPage> {
    const started = performance.now()
    const catalog = this.#deps.catalog()
    if (!catalog) throw new AppError(503, 'catalog_unavailable', 'The catalog is still starting')
    const tables = await this.validate(input)
    const release = this.#limits.acquire(input.userId, 'read-only')
    try {
      const database = await this.#deps.duckdb(input.workspaceId)
      const page = await database
        .readOnlyQuery(input.sql, {
          limit: input.limit,
          offset: input.offset,
          timeoutMs: this.#deps.statementTimeoutMs,
          signal: input.signal,
        })
        .catch((err: unknown) => {
          throw queryError(err, this.#deps.statementTimeoutMs)
        })
      const plan = await catalog.planResultMasking({
        workspaceId: input.workspaceId,
        connection: 'duckdb',
        sql: input.sql,
      })
      const names = page.columns.map((c) => c.name)
      const tags = plan?.tagsFor(names) ?? names.map(() => [])
      const tagged = names.map((name, i) => ({ name, tags: tags[i] ?? [] }))
      const masked = maskedColumns(tagged)
      return {
        columns: page.columns,
        rows: masked.length > 0 ? page.rows.map((row) => maskRow(tagged, row)) : page.rows,
        masked,
        tables,
        offset: input.offset,
        nextOffset: page.truncated ? input.offset + page.rows.length : null,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      }
    } finally {
      release()
    }
  }

  /**
   * The checks `run` makes before anything runs (one SELECT, allowed table functions, only catalogued tables of the
   * workspace), without running it: the catalogued tables it reads, or the refusal as an {@link AppError}.
   */
  async validate(input: { workspaceId: string; sql: string }): Promise<string[]> {
    const catalog = this.#deps.catalog()
    if (!catalog) throw new AppError(503, 'catalog_unavailable', 'The catalog is still starting')
    const references = await this.#references(input.sql)
    return this.#checkTables(catalog.db, input.workspaceId, references)
  }

  /** Tables and table functions the statement names, from DuckDB's own parse tree. */
  async #references(sql: string): Promise<References> {
    const parsed = await this.#deps.planner.query(`SELECT json_serialize_sql(${quoteLiteral(sql)}) AS tree`, {
      limit: 1,
    })
    const tree = JSON.parse(String(parsed.rows[0]?.[0] ?? '{}')) as {
      error?: boolean
      error_message?: string
      statements?: unknown[]
    }
    if (tree.error)
      throw new AppError(400, 'read_only_query_refused', refusalMessage(tree.error_message ?? 'not a SELECT'))
    if (tree.statements?.length !== 1)
      throw new AppError(400, 'read_only_query_refused', 'Exactly one SELECT statement is needed')
    const references: References = { tables: [], functions: [], ctes: new Set() }
    walk(tree.statements[0], references)
    return references
  }

  async #checkTables(db: Kysely<CatalogTables>, workspaceId: string, references: References): Promise<string[]> {
    const refusedFunction = references.functions.find((name) => !ALLOWED_TABLE_FUNCTIONS.has(name.toLowerCase()))
    if (refusedFunction)
      throw new AppError(
        400,
        'read_only_query_refused',
        `The table function ${refusedFunction}() cannot be used here: read catalogued tables instead`,
      )
    const wanted = references.tables.filter((t) => !(t.schema === '' && references.ctes.has(t.name.toLowerCase())))
    for (const t of wanted)
      if (t.catalog && t.catalog.toLowerCase() !== WORKSPACE_CATALOG)
        throw new AppError(400, 'read_only_query_refused', `Only the workspace database can be read (not ${t.catalog})`)
    if (wanted.length === 0) return []
    const assets = await db
      .selectFrom('catalog_assets')
      .innerJoin('catalog_sources', 'catalog_sources.id', 'catalog_assets.source_id')
      .select(['catalog_assets.schema_name', 'catalog_assets.name'])
      .where('catalog_assets.workspace_id', '=', workspaceId)
      .where('catalog_sources.kind', '=', 'duckdb')
      .where('catalog_sources.connection_id', 'is', null)
      .where('catalog_assets.gone_at', 'is', null)
      .execute()
    const known = new Set(assets.map((a) => `${a.schema_name}.${a.name}`.toLowerCase()))
    const tables = new Set<string>()
    for (const t of wanted) {
      const qualified = `${t.schema || 'main'}.${t.name}`
      // Unknown and not-permitted answer the same, as if the table did not exist.
      if (!known.has(qualified.toLowerCase()))
        throw new AppError(404, 'table_not_found', `No catalogued table ${qualified} in this workspace`)
      tables.add(qualified)
    }
    return [...tables]
  }
}

interface References {
  tables: { catalog: string; schema: string; name: string }[]
  functions: string[]
  ctes: Set<string>
}

/** Collects base tables, table functions and CTE names anywhere in a `json_serialize_sql` tree. */
function walk(node: unknown, out: References): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, out)
    return
  }
  if (!node || typeof node !== 'object') return
  const record = node as Record<string, unknown>
  if (record.type === 'BASE_TABLE' && typeof record.table_name === 'string')
    out.tables.push({
      catalog: typeof record.catalog_name === 'string' ? record.catalog_name : '',
      schema: typeof record.schema_name === 'string' ? record.schema_name : '',
      name: record.table_name,
    })
  if (record.type === 'TABLE_FUNCTION') {
    const fn = record.function as { function_name?: unknown } | undefined
    out.functions.push(typeof fn?.function_name === 'string' ? fn.function_name : '(unknown)')
  }
  const cteMap = record.cte_map as { map?: { key?: unknown }[] } | undefined
  for (const entry of cteMap?.map ?? []) if (typeof entry.key === 'string') out.ctes.add(entry.key.toLowerCase())
  for (const value of Object.values(record)) if (value && typeof value === 'object') walk(value, out)
}

function refusalMessage(parserMessage: string): string {
  return /only select/i.test(parserMessage)
    ? 'Only a SELECT statement can run here: this query is read-only'
    : `The query does not parse: ${parserMessage}`
}

function queryError(err: unknown, timeoutMs: number): AppError {
  if (err instanceof QueryStoppedError)
    return err.reason === 'timeout'
      ? new AppError(400, 'statement_timeout', err.message, { timeoutMs })
      : new AppError(400, 'query_cancelled', err.message)
  if (err instanceof StatementRefusedError) return new AppError(400, 'read_only_query_refused', err.message)
  const message = err instanceof Error ? err.message : String(err)
  return new AppError(400, 'query_failed', message)
}
