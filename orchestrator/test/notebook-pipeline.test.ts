import { readFileSync } from 'node:fs'
import { WorkflowFailedError } from '@temporalio/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SqlRunner } from '../src/activities/index.ts'
import { OrchestratorClient } from '../src/client/index.ts'
import { compileNotebookWith, type NotebookModel, resolveParams, validatePipeline } from '../src/spec/index.ts'
import { cells, type KernelSteps, notebookOf, startKernelSteps } from './support/kernel-steps.ts'
import { type PipelineEnv, startPipelineEnv } from './support/pipeline-env.ts'

let pipelines: PipelineEnv
let kernels: KernelSteps
let client: OrchestratorClient

beforeAll(async () => {
  ;[pipelines, kernels] = await Promise.all([startPipelineEnv(), startKernelSteps()])
  // `sql` steps on the same workspace database the notebook steps use.
  const sql: SqlRunner = {
    async run(request) {
      const page = await kernels.database.query(request.sql, { limit: request.maxRows ?? 100 })
      const rows = page.rows.map((row) => Object.fromEntries(page.columns.map((c, i) => [c.name, row[i]])))
      return { columns: page.columns.map((c) => c.name), rows, rowCount: rows.length, truncated: page.truncated }
    },
  }
  await pipelines.startWorker({ sql, kernels: kernels.deps })
  client = new OrchestratorClient({
    connection: pipelines.env.connection,
    namespace: pipelines.env.namespace ?? 'default',
    taskQueue: pipelines.taskQueue,
  })
})

afterAll(async () => {
  await pipelines?.dispose()
  await kernels?.stop()
})

describe('a compiled notebook pipeline on a real Temporal dev server', () => {
  it('compiles a notebook, then runs its sql and notebook steps with parameter overrides', async () => {
    const notebook: NotebookModel = notebookOf(
      cells.md('# Odd and even'),
      cells.py('multiplier = 2', ['parameters']),
      cells.sql('CREATE OR REPLACE TABLE e2e_base AS SELECT i FROM range(10) t(i)'),
      cells.sql('CREATE OR REPLACE TABLE e2e_even AS SELECT * FROM e2e_base WHERE i % 2 = 0'),
      cells.sql('SELECT * FROM e2e_base WHERE i % 2 = 1', 'odd_df'),
      cells.py("odd_total = int(odd_df['i'].sum()) * multiplier\nprint('odd total', odd_total)"),
      cells.sql('CREATE OR REPLACE TABLE e2e_report AS SELECT count(*)::INTEGER AS evens FROM e2e_even'),
    )
    kernels.notebooks.set('nb-e2e', notebook)
    const { DuckDBInstance } = await import('@duckdb/node-api')
    const parserDb = await DuckDBInstance.create(':memory:')
    const parser = await parserDb.connect()
    const compiled = await compileNotebookWith(
      notebook,
      { name: 'odd-even', notebookId: 'nb-e2e', pin: { seq: '1' } },
      async (q) =>
        String((await parser.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [q])).getRowsJson()[0]?.[0]),
    )
    parser.closeSync()
    parserDb.closeSync()
    expect(compiled.problems).toEqual([])
    const validated = validatePipeline(compiled.yaml)
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems))
    expect(validated.spec.steps.map((s) => [s.id, s.type, s.depends_on ?? []])).toEqual([
      ['e2e_base', 'sql', []],
      ['e2e_even', 'sql', ['e2e_base']],
      ['odd_df', 'notebook', ['e2e_base']],
      ['e2e_report', 'sql', ['e2e_even']],
    ])

    const { values, problems } = resolveParams(validated.spec, { multiplier: 5 })
    expect(problems).toEqual([])
    const handle = await client.startPipeline({ spec: validated.spec, params: values })
    const result = await handle.result()
    expect(Object.fromEntries(Object.entries(result.steps).map(([id, s]) => [id, s.status]))).toEqual({
      e2e_base: 'succeeded',
      e2e_even: 'succeeded',
      odd_df: 'succeeded',
      e2e_report: 'succeeded',
    })
    const output = result.steps.odd_df?.output as { artifact: { path: string } }
    const executed = JSON.parse(readFileSync(output.artifact.path, 'utf8')) as NotebookModel
    const injected = executed.cells.find((c) => c.id === 'injected-parameters')
    expect(injected?.source).toContain('multiplier = 5')
    const printed = executed.cells.flatMap((c) => (c.outputs ?? []) as { text?: string }[]).map((o) => o.text ?? '')
    expect(printed.join('')).toContain('odd total 125')
    expect((await kernels.database.query('SELECT evens FROM e2e_report')).rows).toEqual([[5]])
  })

  it('fails the run with the error of the failing cell and never runs what depends on it', async () => {
    const boom = cells.py("raise RuntimeError('no data for ' + day)")
    kernels.notebooks.set('nb-fails', notebookOf(cells.py("day = 'x'", ['parameters']), boom))
    const validated = validatePipeline(`apiVersion: workbench/v1
kind: Pipeline
metadata: { name: failing-notebook }
params: { day: { type: date, default: '2024-02-29' } }
steps:
  - id: report
    type: notebook
    retry: { attempts: 1 }
    with: { notebook: nb-fails, parameters: { day: '{{ params.day }}' } }
  - id: after
    type: sql
    depends_on: [report]
    with: { sql: 'SELECT 1' }
`)
    if (!validated.ok) throw new Error(JSON.stringify(validated.problems))
    const handle = await client.startPipeline({ spec: validated.spec, params: { day: '2024-02-29' } })
    const error = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(error).toBeInstanceOf(WorkflowFailedError)
    const cause = (error as WorkflowFailedError).cause as Error
    expect(cause.message).toBe(`step 'report' failed: cell ${boom.id} failed: RuntimeError: no data for 2024-02-29`)
    const states = await client.pipelineStatus(handle.workflowId)
    expect(states.after).toBeUndefined()
    expect(states.report?.status).toBe('failed')
  })
})
