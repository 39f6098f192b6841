import { duckdbParser } from '@workbench/catalog'
import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { CatalogService } from '../../src/catalog/catalog-service.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../support/databases.ts'
import { createMembers } from '../support/members.ts'
import { exec, openWorkspaceDuckdb } from './helpers.ts'

describe.each(DATABASE_KINDS)('catalog API on %s', (kind) => {
  let database: TestDatabase
  let scratch: DuckdbDatabase
  let workspace: Awaited<ReturnType<typeof openWorkspaceDuckdb>>
  let catalog: CatalogService
  let app: ReturnType<typeof createApp>
  let workspaceId: string
  const tokens: Record<'viewer' | 'editor' | 'admin', string> = { viewer: '', editor: '', admin: '' }
  let adminId = ''

  const call = async (role: keyof typeof tokens, method: string, path: string, body?: unknown) => {
    const res = await app.request(`/api/workspaces/${workspaceId}/catalog${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[role]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    const members = createMembers(database)
    workspaceId = await members.workspace()
    for (const role of ['viewer', 'editor', 'admin'] as const) {
      const m = await members.member(workspaceId, role)
      tokens[role] = m.token
      if (role === 'admin') adminId = m.userId
    }
    workspace = await openWorkspaceDuckdb()
    await exec(
      workspace.duckdb,
      'CREATE TABLE customers (id INTEGER, email VARCHAR, phone VARCHAR, last_name VARCHAR, spend DOUBLE)',
      `INSERT INTO customers VALUES
         (1, 'jane.doe@example.com', '+33 6 12 34 56 12', 'Doe', 10.5),
         (2, 'bob@example.org', '+44 20 7946 0958', 'Roe', 20),
         (3, 'cy@example.net', '+1 415 555 2671', 'Poe', NULL)`,
    )
    scratch = await DuckdbDatabase.open({ path: ':memory:', sandboxed: true })
    catalog = new CatalogService({
      db: database.db,
      logger: pino({ level: 'silent' }),
      parse: duckdbParser((sql, o) => scratch.query(sql, o)),
      workspaceDuckdb: async () => workspace.duckdb,
    })
    app = createApp({
      logger: pino({ level: 'silent' }),
      readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
      planner: () => scratch,
      identity: members.identity,
      catalog: () => catalog,
    })
  })
  afterAll(async () => {
    await catalog?.idle()
    scratch?.close()
    workspace?.dispose()
    await database?.dispose()
  })

  let assetId = ''

  it('admins discover the workspace DuckDB; viewers follow the run but cannot start one', async () => {
    const sources = await call('viewer', 'GET', '/sources')
    expect(sources.status).toBe(200)
    const sourceId = sources.body[0].id
    expect(sources.body[0]).toMatchObject({ kind: 'duckdb', name: 'Workspace DuckDB', lastRun: null })
    expect((await call('viewer', 'POST', `/sources/${sourceId}/discover`)).status).toBe(403)
    expect((await call('editor', 'POST', `/sources/${sourceId}/discover`)).status).toBe(403)
    const started = await call('admin', 'POST', `/sources/${sourceId}/discover`)
    expect(started.status).toBe(202)
    await catalog.idle()
    const run = await call('viewer', 'GET', `/runs/${started.body.runId}`)
    expect(run.body).toMatchObject({ status: 'succeeded', seen: 1, failed: 0, errors: [] })
  })

  it('finds the table by search and as-you-type', async () => {
    const found = await call('viewer', 'GET', '/search?q=customers')
    expect(found.status).toBe(200)
    expect(found.body.items.map((i: { name: string }) => i.name)).toEqual(['customers'])
    assetId = found.body.items[0].id
    const suggest = await call('viewer', 'GET', '/suggest?q=cust')
    expect(suggest.body).toEqual([{ id: assetId, schema: 'main', name: 'customers', kind: 'table' }])
    const hostile = await call('viewer', 'GET', `/search?q=${encodeURIComponent('\'"&|!<-> the')}&tag=x&tag=y`)
    expect(hostile.status).toBe(200)
  })

  it('classifies on discovery: emails are masked at once pending review, phones and names are proposals', async () => {
    const asset = await call('viewer', 'GET', `/assets/${assetId}`)
    expect(
      asset.body.tags.map((t: { column: string; tag: string; status: string }) => `${t.column}:${t.tag}:${t.status}`),
    ).toEqual(['email:PII.email:pending', 'last_name:PII.name:proposed', 'phone:PII.phone:proposed'])
    expect(asset.body.columns.find((c: { name: string }) => c.name === 'email').maskedBy).toEqual(['PII.email'])
    // Nobody reviewed anything yet, and the emails are already masked for a viewer.
    const preview = await call('viewer', 'GET', `/assets/${assetId}/preview`)
    expect(preview.body.masked).toEqual(['email'])
    expect(preview.body.rows[0]).toEqual([1, 'j***@example.com', '+33 6 12 34 56 12', 'Doe', 10.5])
  })

  it('proposes PII tags; accepted tags mask previews for everyone but admins who ask, and that read is audited', async () => {
    const proposals = await call('editor', 'POST', `/assets/${assetId}/classify`)
    expect(proposals.status).toBe(200)
    expect(proposals.body.proposals.map((p: { column: string; tag: string }) => `${p.column}:${p.tag}`).sort()).toEqual(
      ['email:PII.email', 'last_name:PII.name', 'phone:PII.phone'],
    )
    expect(proposals.body.proposals.find((p: { column: string }) => p.column === 'email').confidence).toBe('high')
    expect(proposals.body.added).toBe(0)
    // Low-confidence proposals do not mask until accepted.
    const before = await call('viewer', 'GET', `/assets/${assetId}/preview`)
    expect(before.body.masked).toEqual(['email'])
    expect(
      (
        await call('viewer', 'POST', `/assets/${assetId}/tags`, {
          changes: [{ column: 'email', tag: 'PII.email', status: 'accepted' }],
        })
      ).status,
    ).toBe(403)
    const tagged = await call('editor', 'POST', `/assets/${assetId}/tags`, {
      changes: [
        { column: 'email', tag: 'PII.email', status: 'accepted' },
        { column: 'phone', tag: 'PII.phone', status: 'accepted' },
        { column: 'last_name', tag: 'PII.name', status: 'rejected' },
      ],
    })
    expect(tagged.status).toBe(200)
    expect(tagged.body.columns.find((c: { name: string }) => c.name === 'email').tags).toEqual(['PII.email'])

    const preview = await call('viewer', 'GET', `/assets/${assetId}/preview?limit=10`)
    expect(preview.status).toBe(200)
    expect(preview.body.masked).toEqual(['email', 'phone'])
    expect(preview.body.rows[0]).toEqual([1, 'j***@example.com', '+33 *** *** 12', 'Doe', 10.5])
    expect((await call('viewer', 'GET', `/assets/${assetId}/preview?unmask=true`)).status).toBe(403)
    expect((await call('editor', 'GET', `/assets/${assetId}/preview?unmask=true`)).status).toBe(403)
    const random = await call('viewer', 'GET', `/assets/${assetId}/preview?mode=random&limit=2`)
    expect(random.body.rows).toHaveLength(2)

    const clear = await call('admin', 'GET', `/assets/${assetId}/preview?unmask=true`)
    expect(clear.body.rows[0][1]).toBe('jane.doe@example.com')
    const audit = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'catalog.preview.unmasked')
      .execute()
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ actor_id: adminId, workspace_id: workspaceId, outcome: 'success' })
    // Searching by tag finds it now.
    const byTag = await call('viewer', 'GET', '/search?tag=PII.email')
    expect(byTag.body.items.map((i: { id: string }) => i.id)).toEqual([assetId])
  })

  it('an accepted tag can be removed; every tag change is in the audit log', async () => {
    const removed = await call('editor', 'POST', `/assets/${assetId}/tags`, {
      changes: [{ column: 'phone', tag: 'PII.phone', status: 'removed' }],
    })
    expect(removed.status).toBe(200)
    expect(removed.body.columns.find((c: { name: string }) => c.name === 'phone').tags).toEqual([])
    const preview = await call('viewer', 'GET', `/assets/${assetId}/preview`)
    expect(preview.body.masked).toEqual(['email'])
    const audit = await database.db
      .selectFrom('audit_events')
      .select(['action', 'resource', 'outcome'])
      .where('action', '=', 'catalog.tags.changed')
      .orderBy('occurred_at')
      .execute()
    expect(audit.map((a) => a.resource?.split(': ')[1])).toEqual([
      'email PII.email accepted, phone PII.phone accepted, last_name PII.name rejected',
      'phone PII.phone removed',
    ])
    // Put it back for the tests below.
    await call('editor', 'POST', `/assets/${assetId}/tags`, {
      changes: [{ column: 'phone', tag: 'PII.phone', status: 'accepted' }],
    })
  })

  it('editors describe assets and columns; the description is searchable', async () => {
    expect((await call('viewer', 'PATCH', `/assets/${assetId}`, { description: 'nope' })).status).toBe(403)
    const edited = await call('editor', 'PATCH', `/assets/${assetId}`, {
      description: 'Everyone who ever bought',
      owners: ['data@corp.io'],
      columns: [{ name: 'spend', description: 'Lifetime spend in euros' }],
    })
    expect(edited.status).toBe(200)
    expect(edited.body.columns.find((c: { name: string }) => c.name === 'spend').description).toBe(
      'Lifetime spend in euros',
    )
    const bad = await call('editor', 'PATCH', `/assets/${assetId}`, { columns: [{ name: 'nope', description: 'x' }] })
    expect(bad.status).toBe(400)
    const found = await call('viewer', 'GET', '/search?q=euros')
    expect(found.body.items.map((i: { id: string }) => i.id)).toEqual([assetId])
  })

  it('profiles columns in DuckDB and masks PII in top values', async () => {
    expect((await call('viewer', 'GET', `/assets/${assetId}/profile`)).body).toBeNull()
    const profile = await call('editor', 'POST', `/assets/${assetId}/profile`)
    expect(profile.status).toBe(200)
    const spend = profile.body.columns.find((c: { name: string }) => c.name === 'spend')
    expect(spend).toMatchObject({ rows: 3, distinct: 2, min: '10.5', max: '20.0', mean: 15.25 })
    expect(spend.nullShare).toBeCloseTo(1 / 3)
    expect(spend.histogram.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(2)
    const email = profile.body.columns.find((c: { name: string }) => c.name === 'email')
    expect(email.topValues.map((t: { value: string }) => t.value).sort()).toEqual([
      'b***@example.org',
      'c***@example.net',
      'j***@example.com',
    ])
    const cached = await call('viewer', 'GET', `/assets/${assetId}/profile`)
    expect(cached.body.computedAt).toBe(profile.body.computedAt)
  })

  it('records lineage from SQL, and answers graph, impact and usage', async () => {
    const producer = { kind: 'notebook', id: 'nb-1', version: '7' }
    const recorded = await call('editor', 'POST', '/lineage', {
      sql: `CREATE TABLE gold AS SELECT id, lower(email) AS contact FROM customers; CREATE TABLE platinum AS SELECT * FROM gold`,
      producer,
    })
    expect(recorded.status).toBe(200)
    expect(recorded.body.notes).toEqual([])
    const bad = await call('editor', 'POST', '/lineage', { sql: 'SELEC nonsense', producer })
    expect(bad.status).toBe(200)
    expect(bad.body.notes[0]).toMatch(/could not be parsed/)

    const graph = await call('viewer', 'GET', `/assets/${assetId}/lineage?column=email&direction=downstream&depth=5`)
    expect(graph.body.nodes.map((n: { id: string; depth: number }) => `${n.id}@${n.depth}`).sort()).toEqual([
      'main.customers.email@0',
      'main.gold.contact@1',
      'main.platinum.contact@2',
    ])
    expect(graph.body.edges[0].producers).toEqual([{ kind: 'notebook', id: 'nb-1', version: '7' }])
    const tables = await call('viewer', 'GET', `/assets/${assetId}/lineage?direction=downstream`)
    expect(tables.body.edges.map((e: { from: string; to: string }) => `${e.from}>${e.to}`).sort()).toEqual([
      'main.customers>main.gold',
      'main.gold>main.platinum',
    ])
    const impact = await call('viewer', 'GET', `/assets/${assetId}/impact?column=id`)
    expect(impact.body.affected.map((n: { id: string }) => n.id).sort()).toEqual(['main.gold.id', 'main.platinum.id'])
    expect(impact.body.producers).toEqual([{ kind: 'notebook', id: 'nb-1' }])
    const usage = await call('viewer', 'GET', `/assets/${assetId}/usage`)
    expect(usage.body).toMatchObject([{ kind: 'notebook', id: 'nb-1', mode: 'read', count: 1 }])
    const hit = await call('viewer', 'GET', '/search?q=customers')
    expect(hit.body.items[0].usageCount).toBe(1)
  })

  it('keeps the schema history visible', async () => {
    await exec(workspace.duckdb, 'ALTER TABLE customers ADD COLUMN country VARCHAR')
    const sources = await call('admin', 'GET', '/sources')
    await call('admin', 'POST', `/sources/${sources.body[0].id}/discover`)
    await catalog.idle()
    const history = await call('viewer', 'GET', `/assets/${assetId}/history`)
    expect(history.body.map((h: { change: string; column: string | null }) => `${h.change}:${h.column}`)).toEqual([
      'column_added:country',
      'asset_added:null',
    ])
  })

  it('fails runs a stopped server left running', async () => {
    const sources = await call('viewer', 'GET', '/sources')
    await database.db
      .insertInto('catalog_discovery_runs')
      .values({
        id: 'stale-run',
        workspace_id: workspaceId,
        source_id: sources.body[0].id,
        status: 'running',
        triggered_by: null,
      })
      .execute()
    expect(await catalog.recoverInterruptedRuns()).toBe(1)
    const run = await call('viewer', 'GET', '/runs/stale-run')
    expect(run.body).toMatchObject({
      status: 'failed',
      errors: [{ object: '(run)', error: 'interrupted: the server stopped' }],
    })
  })

  it('answers 404 for an asset of another workspace', async () => {
    expect((await call('viewer', 'GET', '/assets/00000000-0000-0000-0000-000000000000')).status).toBe(404)
  })
})
