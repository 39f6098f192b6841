import { spawnSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runNotebookStep } from '../src/activities/steps/notebook-step.ts'
import { runPythonStep } from '../src/activities/steps/python-step.ts'
import type { StepContext, StepInput } from '../src/activities/types.ts'
import type { NotebookModel } from '../src/spec/index.ts'
import { cells, type KernelSteps, notebookOf, startKernelSteps } from './support/kernel-steps.ts'

let kernels: KernelSteps

beforeAll(async () => {
  kernels = await startKernelSteps()
})
afterAll(async () => {
  await kernels?.stop()
})

let keys = 0
function attempt(overrides: Partial<StepContext> = {}) {
  const heartbeats: unknown[] = []
  const context: StepContext = {
    signal: new AbortController().signal,
    attempt: 1,
    idempotencyKey: `run-${++keys}/step`,
    heartbeat: (details) => heartbeats.push(details),
    log: () => {},
    ...overrides,
  }
  const input: StepInput = {
    pipeline: 'test-pipeline',
    stepId: 'step',
    type: 'notebook',
    with: {},
    params: {},
    idempotencyKey: context.idempotencyKey,
  }
  return { context, input, heartbeats }
}

/** The reference implementation's opinion: nbformat (Python) validates the executed notebook. */
function nbformatSays(file: string): string {
  const python = path.resolve(import.meta.dirname, '../../.venv/bin/python')
  const code = 'import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print("valid")'
  const res = spawnSync(python, ['-c', code, file], { encoding: 'utf8' })
  return (res.stdout + res.stderr).trim()
}

const readNotebook = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as NotebookModel
const textOf = (cell: NotebookModel['cells'][number] | undefined) =>
  ((cell?.outputs ?? []) as { text?: string }[]).map((o) => o.text ?? '').join('')

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the step to fail')
    },
    (err: unknown) => err,
  )
}

describe('notebook step on real kernels (DuckDB + Jupyter)', () => {
  it('injects parameters papermill-style, runs SQL and Python, and saves the executed notebook', async () => {
    const params = cells.py("n = 1\nlabel = 'default'", ['parameters'])
    const create = cells.sql('CREATE OR REPLACE TABLE squares AS SELECT i, i * i AS sq FROM range(5) t(i)')
    const total = cells.sql('SELECT sum(sq)::INTEGER AS total FROM squares', 'df')
    const report = cells.py("print(label, n, int(df['total'][0]) * n)")
    kernels.notebooks.set('nb-params', notebookOf(cells.md('# Squares'), params, create, total, report))
    const { context, input, heartbeats } = attempt()
    const result = await runNotebookStep(
      kernels.deps,
      { notebook: 'nb-params', parameters: { n: 3, label: 'run' } },
      context,
      input,
    )
    expect(result.replayed).toBeUndefined()
    expect(result.artifact.bytes).toBe(statSync(result.artifact.path).size)
    expect(result.artifact.path.startsWith(kernels.dataDir)).toBe(true)
    const executed = readNotebook(result.artifact.path)
    expect(executed.cells.map((c) => c.id)).toEqual([
      expect.stringMatching(/^md-/),
      params.id,
      'injected-parameters',
      create.id,
      total.id,
      report.id,
    ])
    expect(executed.cells[2]?.metadata?.tags).toEqual(['injected-parameters'])
    expect(executed.cells[2]?.source).toBe('# Parameters\nn = 3\nlabel = "run"\n')
    expect(textOf(executed.cells[5])).toBe('run 3 90\n')
    expect(executed.cells[4]?.outputs?.[0]).toMatchObject({ output_type: 'execute_result' })
    expect(
      executed.cells.filter((c) => c.cell_type === 'code').every((c) => typeof c.execution_count === 'number'),
    ).toBe(true)
    expect(executed.metadata?.workbench_run).toMatchObject({ status: 'succeeded', parameters: { n: 3, label: 'run' } })
    expect(executed.cells[5]?.metadata?.papermill).toMatchObject({ status: 'completed', exception: false })
    expect(nbformatSays(result.artifact.path)).toBe('valid')
    expect(heartbeats.length).toBeGreaterThanOrEqual(4)
    // The table is in the workspace database, for downstream steps.
    expect((await kernels.database.query('SELECT count(*)::INTEGER AS n FROM squares')).rows).toEqual([[5]])
  })

  it('runs a step once per idempotency key: a retried attempt returns the saved artifact', async () => {
    await kernels.database.query('CREATE OR REPLACE TABLE side_effects (x INTEGER)')
    kernels.notebooks.set('nb-once', notebookOf(cells.sql('INSERT INTO side_effects VALUES (1)')))
    const { context, input } = attempt()
    const first = await runNotebookStep(kernels.deps, { notebook: 'nb-once' }, context, input)
    const again = await runNotebookStep(kernels.deps, { notebook: 'nb-once' }, { ...context, attempt: 2 }, input)
    expect(again).toEqual({ ...first, replayed: true })
    expect((await kernels.database.query('SELECT count(*)::INTEGER FROM side_effects')).rows).toEqual([[1]])
  })

  it('stops at the first error with the cell error, and still saves the executed notebook', async () => {
    const before = cells.py("print('before')")
    const boom = cells.py("raise ValueError('boom')")
    const after = cells.py("print('after')")
    kernels.notebooks.set('nb-error', notebookOf(before, boom, after))
    const { context, input } = attempt()
    const error = await failureOf(runNotebookStep(kernels.deps, { notebook: 'nb-error' }, context, input))
    expect(error).toBeInstanceOf(ApplicationFailure)
    const failure = error as ApplicationFailure
    expect(failure.type).toBe('NotebookCellError')
    expect(failure.message).toBe(`cell ${boom.id} failed: ValueError: boom`)
    const details = failure.details?.[0] as { cellId: string; artifact: { path: string } }
    expect(details.cellId).toBe(boom.id)
    const executed = readNotebook(details.artifact.path)
    expect(textOf(executed.cells[0])).toBe('before\n')
    expect(executed.cells[1]?.outputs?.[0]).toMatchObject({ output_type: 'error', ename: 'ValueError', evalue: 'boom' })
    expect(executed.cells[2]).toMatchObject({ outputs: [], execution_count: null })
    expect(executed.cells[1]?.metadata?.papermill).toMatchObject({ status: 'failed', exception: true })
    expect(nbformatSays(details.artifact.path)).toBe('valid')
    expect(executed.metadata?.workbench_run).toMatchObject({ status: 'failed' })
  })

  it('runs only the cells a step lists, in the listed order', async () => {
    const a = cells.py("print('a')")
    const b = cells.py("print('b')")
    const c = cells.py("print('c')")
    kernels.notebooks.set('nb-subset', notebookOf(a, b, c))
    const { context, input } = attempt()
    const result = await runNotebookStep(kernels.deps, { notebook: 'nb-subset', cells: [a.id, c.id] }, context, input)
    const executed = readNotebook(result.artifact.path)
    expect(executed.cells.map(textOf)).toEqual(['a\n', 'c\n'])
    const missing = await failureOf(
      runNotebookStep(kernels.deps, { notebook: 'nb-subset', cells: ['nope'] }, attempt().context, input),
    )
    expect((missing as ApplicationFailure).type).toBe('CellNotFound')
  })

  it.each([
    ['while its kernel starts', 100],
    ['mid-cell', 1_500],
  ])('interrupts the kernel and ends as cancelled when the step is cancelled %s', async (_, afterMs) => {
    kernels.notebooks.set('nb-slow', notebookOf(cells.py('import time\ntime.sleep(120)'), cells.py("print('never')")))
    const controller = new AbortController()
    const { context, input } = attempt({ signal: controller.signal })
    const running = runNotebookStep(kernels.deps, { notebook: 'nb-slow' }, context, input)
    setTimeout(() => controller.abort(), afterMs)
    expect(await failureOf(running)).toBeInstanceOf(CancelledFailure)
  })
})

describe('python step on a real Jupyter kernel', () => {
  it('runs the script with its parameters and returns its output', async () => {
    const { context, input } = attempt()
    const result = await runPythonStep(
      kernels.deps,
      { code: 'print(greeting * times)\ntimes * 2', parameters: { greeting: 'hi ', times: 3 } },
      context,
      input,
    )
    expect(result.text).toBe('hi hi hi \n6\n')
    expect(result.truncated).toBe(false)
    const again = await runPythonStep(kernels.deps, { code: 'print(1)' }, context, input)
    expect(again).toEqual({ ...result, replayed: true })
  })

  it('fails with the script error', async () => {
    const { context, input } = attempt()
    const error = await failureOf(runPythonStep(kernels.deps, { code: '1 / 0' }, context, input))
    expect((error as ApplicationFailure).type).toBe('PythonError')
    expect((error as ApplicationFailure).message).toBe('ZeroDivisionError: division by zero')
  })
})
