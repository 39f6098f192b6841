import { DuckdbDatabase } from '@workbench/kernels/duckdb'
import { validatePipeline } from '@workbench/orchestrator/spec'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.ts'
import { DocumentStore } from '../src/collab/document-store.ts'
import { NotebookService } from '../src/notebooks/notebook-service.ts'
import { kernelStepDeps } from '../src/pipelines/kernel-step-deps.ts'
import { notebookAtSeq } from '../src/pipelines/notebook-source.ts'
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from './support/databases.ts'
import { createMembers } from './support/members.ts'

const sqlCell = (id: string, sql: string, tags: string[] = []) => ({
  id,
  cell_type: 'code' as const,
  source: `%%sql\n${sql}`,
  metadata: { workbench: { type: 'sql', connection: 'duckdb' }, tags },
  outputs: [],
  execution_count: null,
})
const pyCell = (id: string, source: string, tags: string[] = []) => ({
  id,
  cell_type: 'code' as const,
  source,
  metadata: { tags },
  outputs: [],
  execution_count: null,
})
type Cell = ReturnType<typeof sqlCell> | ReturnType<typeof pyCell>
const content = (cells: Cell[]) => ({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells })

describe.each(DATABASE_KINDS)('POST .../notebooks/{id}/compile-pipeline on %s', (kind) => {
  let database: TestDatabase
  let scratch: DuckdbDatabase
  let service: NotebookService
  let app: ReturnType<typeof createApp>
  let ws: string
  let editor: { userId: string; token: string }
  let viewer: { userId: string; token: string }
  const hookCalls: [string, string][] = []
  const versioned = new Set<string>()

  const compile = async (notebookId: string, token: string, body?: unknown) => {
    const res = await app.request(`/api/workspaces/${ws}/notebooks/${notebookId}/compile-pipeline`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    return { status: res.status, body: (await res.json()) as any }
  }

  beforeAll(async () => {
    database = await createTestDatabase(kind, { migrate: true })
    scratch = await DuckdbDatabase.open({ path: ':memory:', sandboxed: true })
    const logger = pino({ level: 'silent' })
    service = new NotebookService(database.db, new DocumentStore(database.db, logger))
    const members = createMembers(database)
    ws = await members.workspace()
    editor = await members.member(ws, 'editor')
    viewer = await members.member(ws, 'viewer')
    app = createApp({
      identity: members.identity,
      logger,
      readiness: { database: undefined, duckdb: undefined, jupyter: undefined, temporal: undefined },
      planner: () => scratch,
      notebooks: () => service,
      beforeCompile: async (notebookId, userId) => {
        hookCalls.push([notebookId, userId])
        if (versioned.has(notebookId)) return { versionId: `version-of-${notebookId.slice(0, 8)}` }
      },
    })
  })
  afterAll(async () => {
    scratch?.close()
    await database?.dispose()
  })

  const diamond = content([
    pyCell('p', 'day = "2024-01-01"', ['parameters']),
    sqlCell('a', 'CREATE OR REPLACE TABLE base AS SELECT * FROM range(4) t(i)'),
    sqlCell('b', 'CREATE TABLE left_side AS SELECT * FROM base'),
    sqlCell('c', 'CREATE TABLE right_side AS WITH x AS (SELECT * FROM base) SELECT * FROM x'),
    sqlCell('d', 'CREATE TABLE joined AS SELECT * FROM left_side JOIN right_side USING (i)'),
  ])

  it('compiles a notebook to YAML pinned to its update seq when it has no saved version', async () => {
    const notebook = await service.create(ws, { name: 'Nightly Diamond', content: diamond })
    const res = await compile(notebook.id, editor.token)
    expect(res.status).toBe(200)
    expect(res.body.problems).toEqual([])
    expect(res.body.pinnedBy).toBe('seq')
    expect(res.body.notebookSeq).toMatch(/^\d+$/)
    expect(res.body.notebookVersionId).toBeUndefined()
    expect(res.body.yaml).toContain(`update seq ${res.body.notebookSeq} (the notebook had no saved version yet)`)
    const validated = validatePipeline(res.body.yaml)
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems))
    expect(validated.spec.metadata.name).toBe('nightly-diamond')
    expect(validated.spec.params).toEqual({ day: { type: 'date', default: '2024-01-01' } })
    expect(validated.spec.steps.map((s) => [s.id, s.depends_on ?? []])).toEqual([
      ['base', []],
      ['left_side', ['base']],
      ['right_side', ['base']],
      ['joined', ['left_side', 'right_side']],
    ])
    expect(res.body.steps[3]).toEqual({
      id: 'joined',
      type: 'sql',
      cells: ['d'],
      reads: ['left_side', 'right_side'],
      writes: ['joined'],
    })
    expect(hookCalls).toContainEqual([notebook.id, editor.userId])
    // The pinned seq can be loaded back for a notebook step.
    const pinned = await notebookAtSeq(service.store, notebook.id, res.body.notebookSeq)
    expect(pinned.cells.map((c) => c.id)).toEqual(['p', 'a', 'b', 'c', 'd'])
    const input = { pipeline: 'p', stepId: 's', type: 'notebook', with: {}, params: {}, idempotencyKey: 'k' }
    const deps = (workspaceId: string) =>
      kernelStepDeps({
        workspaceDuckdb: () => Promise.reject(new Error('not needed to load notebooks')),
        dataDirOf: (id) => `/data/workspaces/${id}/data`,
        jupyter: () => undefined,
        notebooks: () => service,
        workspaceOf: () => workspaceId,
      })
    const loaded = await deps(ws).loadNotebook({ notebook: notebook.id, seq: res.body.notebookSeq }, input)
    expect(loaded.cells.map((c) => c.id)).toEqual(['p', 'a', 'b', 'c', 'd'])
    expect(deps(ws).artifactDir({ ...input, pipeline: 'nightly diamond' })).toBe(
      `/data/workspaces/${ws}/data/pipeline-artifacts/nightly_diamond`,
    )
    // A step of another workspace cannot load this notebook (404: not retried by the step).
    const elsewhere = await deps('00000000-0000-4000-8000-000000000001')
      .loadNotebook({ notebook: notebook.id }, input)
      .catch((err: { status?: number }) => err)
    expect((elsewhere as { status?: number }).status).toBe(404)
  })

  it('pins the version the beforeCompile hook saved, and takes a pipeline name', async () => {
    const notebook = await service.create(ws, {
      name: 'with version',
      content: content([sqlCell('x', 'SELECT 1', ['step:only']), pyCell('y', 'print(1)')]),
    })
    versioned.add(notebook.id)
    const res = await compile(notebook.id, editor.token, { name: 'My Pipeline' })
    expect(res.status).toBe(200)
    expect(res.body.pinnedBy).toBe('version')
    expect(res.body.notebookVersionId).toBe(`version-of-${notebook.id.slice(0, 8)}`)
    const validated = validatePipeline(res.body.yaml)
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems))
    expect(validated.spec.metadata.name).toBe('my-pipeline')
    // The description names the notebook, not the pipeline.
    expect(validated.spec.metadata.description).toBe('Compiled from notebook with version')
    expect(validated.spec.steps[0]?.with).toEqual({
      notebook: notebook.id,
      version: res.body.notebookVersionId,
      cells: ['x', 'y'],
    })
  })

  it('does not make a PostgreSQL step wait for the DuckDB writer of a table with the same name', async () => {
    const pgCell = (id: string, sql: string) => ({
      ...sqlCell(id, sql),
      metadata: { workbench: { type: 'sql', connection: 'warehouse' }, tags: [] },
    })
    const notebook = await service.create(ws, {
      name: 'two orders',
      content: content([
        sqlCell('duck', 'CREATE TABLE orders AS SELECT * FROM range(3) t(id)'),
        pgCell('pg', 'CREATE TABLE recent AS SELECT * FROM orders'),
      ]),
    })
    const res = await compile(notebook.id, editor.token)
    expect(res.status).toBe(200)
    const validated = validatePipeline(res.body.yaml)
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems))
    expect(validated.spec.steps.map((s) => [s.id, s.depends_on ?? []])).toEqual([
      ['orders', []],
      ['recent', []],
    ])
  })

  it('answers problems (not an error) for SQL that does not parse', async () => {
    const notebook = await service.create(ws, {
      name: 'broken',
      content: content([sqlCell('bad', 'SELECT * FROM WHERE'), sqlCell('ok', 'CREATE TABLE t AS SELECT 1')]),
    })
    const res = await compile(notebook.id, editor.token)
    expect(res.status).toBe(200)
    expect(res.body.problems).toEqual([expect.objectContaining({ code: 'sql_parse', cellId: 'bad', cellIndex: 0 })])
    expect(res.body.yaml).toContain('CREATE TABLE t AS SELECT 1')
  })

  it('is for editors; an unknown notebook is 404', async () => {
    const notebook = await service.create(ws, { name: 'viewer cannot', content: diamond })
    expect((await compile(notebook.id, viewer.token)).status).toBe(403)
    const missing = await compile('00000000-0000-4000-8000-000000000000', editor.token)
    expect(missing.status).toBe(404)
  })
})
