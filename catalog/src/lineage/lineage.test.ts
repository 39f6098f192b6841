import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { duckdbParser, type ExtractedLineage, extractLineage, type ParseSql } from './record.ts'
import { splitStatements } from './statements.ts'

let duckdb: DuckdbDatabase
let parse: ParseSql

beforeAll(async () => {
  // Sandboxed like the workspace database: parsing needs no file or extension access.
  duckdb = await DuckdbDatabase.open({ path: ':memory:', sandboxed: true })
  parse = duckdbParser((sql, o) => duckdb.query(sql, o))
})
afterAll(() => duckdb.close())

/** Column edges as `from -> to` strings, sorted. */
function columnEdges(lineage: ExtractedLineage): string[] {
  return lineage.statements
    .flatMap((s) => s.edges)
    .filter((e) => e.from.column !== '')
    .map((e) => `${e.from.table}.${e.from.column} -> ${e.to.table}.${e.to.column}`)
    .sort()
}
function tableEdges(lineage: ExtractedLineage): string[] {
  return lineage.statements
    .flatMap((s) => s.edges)
    .filter((e) => e.from.column === '')
    .map((e) => `${e.from.table} -> ${e.to.table}`)
    .sort()
}
const known = (tables: Record<string, string[]>) => async (keys: string[]) =>
  new Map(keys.filter((k) => tables[k]).map((k) => [k, tables[k] as string[]]))

describe('lineage from SQL', () => {
  it('CREATE TABLE AS with an expression: the example from the issue', async () => {
    const l = await extractLineage('CREATE TABLE t AS SELECT a, b + c AS d FROM s', { parse })
    expect(columnEdges(l)).toEqual(['main.s.a -> main.t.a', 'main.s.b -> main.t.d', 'main.s.c -> main.t.d'])
    expect(tableEdges(l)).toEqual(['main.s -> main.t'])
    expect(l.notes).toEqual([])
  })

  it('joins with aliases, functions and CASE', async () => {
    const l = await extractLineage(
      `CREATE OR REPLACE TABLE analytics.order_facts AS
       SELECT o.id AS order_id, upper(c.name) AS customer,
              CASE WHEN o.amount > 100 THEN 'big' ELSE c.segment END AS size
       FROM sales.orders o JOIN sales.customers AS c ON o.customer_id = c.id`,
      { parse },
    )
    expect(columnEdges(l)).toEqual([
      'sales.customers.name -> analytics.order_facts.customer',
      'sales.customers.segment -> analytics.order_facts.size',
      'sales.orders.amount -> analytics.order_facts.size',
      'sales.orders.id -> analytics.order_facts.order_id',
    ])
    expect(tableEdges(l)).toEqual(['sales.customers -> analytics.order_facts', 'sales.orders -> analytics.order_facts'])
  })

  it('CTEs and subqueries pass column origins through', async () => {
    const l = await extractLineage(
      `CREATE TABLE top AS
       WITH spend AS (SELECT customer_id AS cid, sum(amount) AS total FROM orders GROUP BY customer_id)
       SELECT x.cid, x.total * 2 AS doubled FROM (SELECT cid, total FROM spend WHERE total > 10) AS x`,
      { parse },
    )
    expect(columnEdges(l)).toEqual([
      'main.orders.amount -> main.top.doubled',
      'main.orders.customer_id -> main.top.cid',
    ])
    expect(tableEdges(l)).toEqual(['main.orders -> main.top'])
  })

  it('INSERT INTO … SELECT maps by the column list, or by the target columns the catalog knows', async () => {
    const withList = await extractLineage('INSERT INTO archive (k, v) SELECT id, payload FROM events', { parse })
    expect(columnEdges(withList)).toEqual(['main.events.id -> main.archive.k', 'main.events.payload -> main.archive.v'])
    const byKnown = await extractLineage('INSERT INTO archive SELECT id, payload FROM events', {
      parse,
      lookup: known({ 'main.archive': ['key', 'value'] }),
    })
    expect(columnEdges(byKnown)).toEqual([
      'main.events.id -> main.archive.key',
      'main.events.payload -> main.archive.value',
    ])
  })

  it('SELECT * expands from known columns, and says so when it cannot', async () => {
    const expanded = await extractLineage('CREATE VIEW v AS SELECT * EXCLUDE (secret) FROM people', {
      parse,
      lookup: known({ 'main.people': ['id', 'email', 'secret'] }),
    })
    expect(columnEdges(expanded)).toEqual(['main.people.email -> main.v.email', 'main.people.id -> main.v.id'])
    const unknown = await extractLineage('CREATE VIEW v AS SELECT * FROM people', { parse })
    expect(tableEdges(unknown)).toEqual(['main.people -> main.v'])
    expect(columnEdges(unknown)).toEqual([])
    expect(unknown.notes.join(' ')).toMatch(/SELECT \* from main\.people/)
  })

  it('a later statement of a script sees the columns an earlier one created', async () => {
    const l = await extractLineage(
      `CREATE TABLE a AS SELECT x, y FROM src; -- first
       CREATE TABLE b AS SELECT * FROM a;`,
      { parse },
    )
    expect(columnEdges(l)).toEqual([
      'main.a.x -> main.b.x',
      'main.a.y -> main.b.y',
      'main.src.x -> main.a.x',
      'main.src.y -> main.a.y',
    ])
  })

  it('UNION merges origins by position; a scalar subquery contributes its columns', async () => {
    const l = await extractLineage(
      `CREATE TABLE u AS SELECT id, (SELECT max(p.price) FROM prices p WHERE p.id = o.id) AS top FROM old o
       UNION ALL SELECT id, price FROM new_items`,
      { parse },
    )
    expect(columnEdges(l)).toEqual([
      'main.new_items.id -> main.u.id',
      'main.new_items.price -> main.u.top',
      'main.old.id -> main.u.id',
      'main.prices.price -> main.u.top',
    ])
  })

  it('a plain SELECT reads tables but writes nothing', async () => {
    const l = await extractLineage('SELECT count(*) FROM main.orders JOIN customers USING (id)', { parse })
    expect(l.statements[0]?.reads.sort()).toEqual(['main.customers', 'main.orders'])
    expect(l.statements[0]?.edges).toEqual([])
  })

  it('SQL that cannot be parsed yields no lineage and a note, never an error', async () => {
    for (const bad of ['CREATE TABLE t AS SELEC a FROM', "SELECT 'unterminated", 'UPDATE t SET a = 1', ';;;', '']) {
      const l = await extractLineage(bad, { parse })
      expect(l.statements.flatMap((s) => s.edges)).toEqual([])
      if (bad.trim().replaceAll(';', '') !== '') expect(l.notes.length).toBeGreaterThan(0)
    }
  })

  it('splits scripts on semicolons outside quotes, comments and dollar quotes', () => {
    expect(splitStatements('SELECT \';\'; -- a;b\nSELECT $$x;y$$; /* c; */ SELECT "a;b"')).toEqual([
      "SELECT ';'",
      ' -- a;b\nSELECT $$x;y$$',
      ' /* c; */ SELECT "a;b"',
    ])
  })
})
