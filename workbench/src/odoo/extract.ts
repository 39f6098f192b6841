import { createHash } from 'node:crypto'
import { type DuckDBAppender, type DuckDBConnection, INTEGER, LIST } from '@duckdb/node-api'
import type { OdooClient } from './client.ts'
import { cellOf, columnsOf, type OdooColumn } from './columns.ts'
import { type Domain, validateDomain } from './domain.ts'

/** What to extract from one model. */
export interface ExtractSpec {
  model: string
  /** Fields (default: every stored field that is not a file or a one2many). */
  fields?: string[]
  domain?: Domain
  /** Schema in the workspace DuckDB (default `odoo`). */
  schema?: string
  /** Table name (default: the model with dots as underscores). */
  table?: string
  /** `false` forces a full extraction; default incremental once a full one has finished. */
  incremental?: boolean
  /** Records per `search_read` (default 2000): memory stays bounded by one page. */
  pageSize?: number
}

export interface ExtractResult {
  schema: string
  table: string
  mode: 'full' | 'incremental'
  /** A full extraction that went on from where a failed one stopped. */
  resumed: boolean
  /** Records read from Odoo in this run. */
  read: number
  /** Rows removed because their records were deleted in Odoo or no longer match the domain. */
  deleted: number
  /** Rows in the table afterwards. */
  rows: number
  pages: number
  finishedAt: string
}

const STATE = '_extracts'
const IDENT = /^[a-z_][a-z0-9_]*$/

/** `account.move.line` → `account_move_line`. */
export const tableNameOf = (model: string) => model.replace(/\./g, '_')

const q = (name: string) => `"${name.replace(/"/g, '""')}"`
const lit = (v: string) => `'${v.replace(/'/g, "''")}'`

/**
 * Extracts an Odoo model into a typed DuckDB table: paged `search_read` by id (one page in memory at a
 * time), many2one as `<f>_id` + `<f>_name`, x2many as id lists, `false` as NULL. The first run is full
 * and writes a staging table page by page, committing its position with each page, so a failure resumes
 * where it stopped without duplicates; the table is swapped in at the end. Later runs are incremental:
 * records with `(write_date, id)` after the saved cursor are upserted, and ids no longer in Odoo (or no
 * longer matching the domain) are deleted.
 *
 * @example
 * const r = await extractModel(odoo, await duckdb.connect(), { model: 'account.move.line', domain: [['parent_state', '=', 'posted']] })
 */
export async function extractModel(
  odoo: OdooClient,
  duck: DuckDBConnection,
  spec: ExtractSpec,
  options: { signal?: AbortSignal } = {},
): Promise<ExtractResult> {
  const schema = spec.schema ?? 'odoo'
  const table = spec.table ?? tableNameOf(spec.model)
  if (!IDENT.test(schema) || !IDENT.test(table)) throw new Error(`${schema}.${table} is not a valid table name`)
  const domain = validateDomain(spec.domain ?? [])
  const pageSize = Math.min(Math.max(spec.pageSize ?? 2000, 1), 50_000)
  const fields = await odoo.fieldsGet(spec.model)
  if (spec.domain) validateDomain(domain, fields)
  const columns = columnsOf(fields, spec.fields)
  const signature = createHash('sha256')
    .update(JSON.stringify({ model: spec.model, domain, columns: columns.map((c) => [c.name, c.sqlType, c.field]) }))
    .digest('hex')
  await duck.run(`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`)
  await duck.run(
    `CREATE TABLE IF NOT EXISTS ${q(schema)}.${STATE} (table_name VARCHAR PRIMARY KEY, model VARCHAR, signature VARCHAR,
       phase VARCHAR, last_id INTEGER, cursor_write_date VARCHAR, cursor_id INTEGER, watermark VARCHAR,
       rows BIGINT, extracted_at TIMESTAMP)`,
  )
  const state = await readState(duck, schema, table)
  const fieldNames = [...new Set(columns.map((c) => c.field).filter((f) => f !== 'id'))]
  const target = `${q(schema)}.${q(table)}`
  const staging = `${q(schema)}.${q(`${table}__staging`)}`
  const fetchPage = (d: Domain, order: string) =>
    odoo.searchRead(spec.model, { domain: d, fields: fieldNames, order, limit: pageSize })
  let read = 0
  let pages = 0

  const incremental = spec.incremental !== false && state?.phase === 'done' && state.signature === signature
  if (!incremental) {
    const resumed =
      state?.phase === 'full' && state.signature === signature && (await tableExists(duck, schema, `${table}__staging`))
    let lastId = resumed ? (state?.last_id ?? 0) : 0
    let watermark = resumed ? (state?.watermark ?? '') : ''
    // The newest record when the scan started: incremental runs go on after it.
    let watermarkId = resumed ? (state?.cursor_id ?? 0) : 0
    if (!resumed) {
      // Records changed while the full scan runs are picked up by the next incremental run from here.
      const [newest] = await odoo.searchRead<{ id: number; write_date: string }>(spec.model, {
        domain,
        fields: ['write_date'],
        order: 'write_date desc, id desc',
        limit: 1,
      })
      watermark = newest?.write_date ?? '1970-01-01 00:00:00'
      watermarkId = newest?.id ?? 0
      await duck.run(`DROP TABLE IF EXISTS ${staging}`)
      await duck.run(`CREATE TABLE ${staging} (${columns.map((c) => `${q(c.name)} ${c.sqlType}`).join(', ')})`)
      await writeState(duck, schema, table, {
        model: spec.model,
        signature,
        phase: 'full',
        last_id: 0,
        cursor_write_date: null,
        cursor_id: watermarkId,
        watermark,
        rows: 0,
      })
    }
    const pageAfter = (id: number) =>
      fetchPage([...(domain.length ? ['&' as const] : []), ['id', '>', id], ...domain] as Domain, 'id')
    // The next page is asked for while this one is written: Odoo and DuckDB work side by side, and at
    // most two pages are in memory.
    let next: Promise<Record<string, unknown>[]> | undefined = pageAfter(lastId)
    while (next) {
      options.signal?.throwIfAborted()
      const page = await next
      next = undefined
      if (page.length === 0) break
      lastId = page[page.length - 1]?.id as number
      if (page.length === pageSize) {
        next = pageAfter(lastId)
        next.catch(() => {})
      }
      const committed = lastId
      await inTransaction(duck, async () => {
        await append(duck, schema, `${table}__staging`, columns, page)
        await duck.run(`UPDATE ${q(schema)}.${STATE} SET last_id = ${committed} WHERE table_name = ${lit(table)}`)
      })
      read += page.length
      pages++
    }
    await inTransaction(duck, async () => {
      await duck.run(`DROP TABLE IF EXISTS ${target}`)
      await duck.run(`ALTER TABLE ${staging} RENAME TO ${q(table)}`)
      await comment(duck, target, spec.model, columns)
      const rows = await count(duck, target)
      await duck.run(
        `UPDATE ${q(schema)}.${STATE} SET phase = 'done', cursor_write_date = ${lit(watermark)}, cursor_id = ${watermarkId}, rows = ${rows},
           extracted_at = now()::TIMESTAMP WHERE table_name = ${lit(table)}`,
      )
    })
    return {
      schema,
      table,
      mode: 'full',
      resumed: Boolean(resumed),
      read,
      deleted: 0,
      rows: await count(duck, target),
      pages,
      finishedAt: new Date().toISOString(),
    }
  }

  // Incremental: (write_date, id) after the cursor, in that order; each page upserted with the cursor.
  let w = state.cursor_write_date ?? '1970-01-01 00:00:00'
  let i = state.cursor_id ?? 0
  for (;;) {
    options.signal?.throwIfAborted()
    const after: Domain = ['|', ['write_date', '>', w], '&', ['write_date', '=', w], ['id', '>', i]]
    const page = await fetchPage(
      [...(domain.length ? ['&' as const] : []), ...after, ...domain] as Domain,
      'write_date asc, id asc',
    )
    if (page.length === 0) break
    const last = page[page.length - 1] as { id: number; write_date: string }
    w = last.write_date
    i = last.id
    await inTransaction(duck, async () => {
      await duck.run(`DELETE FROM ${target} WHERE id IN (${page.map((r) => Number(r.id)).join(',')})`)
      await append(duck, schema, table, columns, page)
      await duck.run(
        `UPDATE ${q(schema)}.${STATE} SET cursor_write_date = ${lit(w)}, cursor_id = ${i} WHERE table_name = ${lit(table)}`,
      )
    })
    read += page.length
    pages++
    if (page.length < pageSize) break
  }
  const deleted = await removeDeleted(odoo, duck, spec.model, domain, schema, table)
  const rows = await count(duck, target)
  await duck.run(
    `UPDATE ${q(schema)}.${STATE} SET rows = ${rows}, extracted_at = now()::TIMESTAMP WHERE table_name = ${lit(table)}`,
  )
  return {
    schema,
    table,
    mode: 'incremental',
    resumed: false,
    read,
    deleted,
    rows,
    pages,
    finishedAt: new Date().toISOString(),
  }
}

/** Deletions: the ids Odoo still has (paged by id, into a temporary table), the rest removed. */
async function removeDeleted(
  odoo: OdooClient,
  duck: DuckDBConnection,
  model: string,
  domain: Domain,
  schema: string,
  table: string,
): Promise<number> {
  // Every record Odoo returns is in the table (unchanged ones from before, changed ones just upserted), so
  // equal counts mean equal sets: nothing to delete, without listing every id.
  const target0 = `${q(schema)}.${q(table)}`
  if ((await odoo.searchCount(model, domain)) === (await count(duck, target0))) return 0
  const temp = `${q(schema)}.${q(`${table}__live_ids`)}`
  await duck.run(`CREATE OR REPLACE TABLE ${temp} (id INTEGER)`)
  let last = 0
  const chunk = 50_000
  for (;;) {
    const ids = await odoo.search(model, {
      domain: [...(domain.length ? ['&' as const] : []), ['id', '>', last], ...domain] as Domain,
      order: 'id',
      limit: chunk,
    })
    if (ids.length === 0) break
    const appender = await duck.createAppender(`${table}__live_ids`, schema)
    for (const id of ids) {
      appender.appendInteger(id)
      appender.endRow()
    }
    appender.closeSync()
    last = ids[ids.length - 1] as number
    if (ids.length < chunk) break
  }
  const target = `${q(schema)}.${q(table)}`
  const before = await count(duck, target)
  await duck.run(`DELETE FROM ${target} WHERE id NOT IN (SELECT id FROM ${temp})`)
  await duck.run(`DROP TABLE ${temp}`)
  return before - (await count(duck, target))
}

const INT_LIST = LIST(INTEGER)

async function append(
  duck: DuckDBConnection,
  schema: string,
  table: string,
  columns: OdooColumn[],
  page: Record<string, unknown>[],
) {
  const appender: DuckDBAppender = await duck.createAppender(table, schema)
  for (const record of page) {
    for (const c of columns) {
      const v = cellOf(record, c)
      if (v === null) appender.appendNull()
      else if (c.sqlType === 'INTEGER') appender.appendInteger(v as number)
      else if (c.sqlType === 'DOUBLE' || c.sqlType === 'DECIMAL(18,4)') appender.appendDouble(v as number)
      else if (c.sqlType === 'BOOLEAN') appender.appendBoolean(v as boolean)
      else if (c.sqlType === 'INTEGER[]') appender.appendList(v as number[], INT_LIST)
      else appender.appendVarchar(String(v))
    }
    appender.endRow()
  }
  appender.closeSync()
}

async function comment(duck: DuckDBConnection, target: string, model: string, columns: OdooColumn[]) {
  await duck.run(`COMMENT ON TABLE ${target} IS ${lit(`Odoo model ${model}`)}`)
  for (const c of columns) await duck.run(`COMMENT ON COLUMN ${target}.${q(c.name)} IS ${lit(c.comment)}`)
}

async function inTransaction(duck: DuckDBConnection, body: () => Promise<void>) {
  await duck.run('BEGIN TRANSACTION')
  try {
    await body()
    await duck.run('COMMIT')
  } catch (err) {
    await duck.run('ROLLBACK').catch(() => {})
    throw err
  }
}

async function count(duck: DuckDBConnection, target: string): Promise<number> {
  const r = await duck.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${target}`)
  return Number(r.getRows()[0]?.[0] ?? 0)
}

async function tableExists(duck: DuckDBConnection, schema: string, table: string): Promise<boolean> {
  const r = await duck.runAndReadAll(
    `SELECT 1 FROM information_schema.tables WHERE table_schema = ${lit(schema)} AND table_name = ${lit(table)}`,
  )
  return r.getRows().length > 0
}

export interface ExtractState {
  model: string
  signature: string
  phase: 'full' | 'done'
  last_id: number
  cursor_write_date: string | null
  cursor_id: number
  watermark: string
  rows: number
  extracted_at?: string | null
}

/** The saved state of a table's extraction (its freshness is `extracted_at`, UTC). */
export async function readState(
  duck: DuckDBConnection,
  schema: string,
  table: string,
): Promise<ExtractState | undefined> {
  if (!(await tableExists(duck, schema, STATE))) return undefined
  const r = await duck.runAndReadAll(
    `SELECT model, signature, phase, last_id, cursor_write_date, cursor_id, watermark, rows::INTEGER AS rows, extracted_at::VARCHAR AS extracted_at
       FROM ${q(schema)}.${STATE} WHERE table_name = ${lit(table)}`,
  )
  return r.getRowObjectsJS()[0] as unknown as ExtractState | undefined
}

async function writeState(duck: DuckDBConnection, schema: string, table: string, s: ExtractState) {
  await duck.run(`DELETE FROM ${q(schema)}.${STATE} WHERE table_name = ${lit(table)}`)
  await duck.run(
    `INSERT INTO ${q(schema)}.${STATE} VALUES (${lit(table)}, ${lit(s.model)}, ${lit(s.signature)}, ${lit(s.phase)}, ${s.last_id},
       ${s.cursor_write_date === null ? 'NULL' : lit(s.cursor_write_date)}, ${s.cursor_id}, ${lit(s.watermark)}, ${s.rows}, NULL)`,
  )
}
