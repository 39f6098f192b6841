import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { DuckdbDatabase, DuckdbKernel } from '@workbench/kernels'
import { JupyterKernel } from '@workbench/kernels/jupyter'
import { NotebookSession } from '@workbench/kernels/session'
import { type KernelStepDeps, runNotebookStep } from '@workbench/orchestrator/activities'
import type { NotebookModel } from '@workbench/orchestrator/spec'
import { startJupyterServer } from '../../kernels/test/support/jupyter-server.ts'
import { type BenchResult, percentile } from '../harness.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
/** papermill lives in its own venv (never the shared .venv), created on first run. */
const PAPERMILL_VENV = path.join(ROOT, '.tools', 'papermill-venv')
const PAPERMILL_VERSION = '2.7.0'
const ITERATIONS = 7
const PARAMETERS = { rows: 200_000, seed: 7 }

/** Creates the papermill venv once (idempotent: an existing install is reused). */
function ensurePapermill(): string {
  const python = path.join(PAPERMILL_VENV, 'bin', 'python')
  const check = () => spawnSync(python, ['-c', 'import papermill'], { stdio: 'ignore' }).status === 0
  if (existsSync(python) && check()) return python
  const run = (cmd: string, args: string[]) => {
    const res = spawnSync(cmd, args, { stdio: 'inherit' })
    if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`)
  }
  run('python3', ['-m', 'venv', PAPERMILL_VENV])
  run(path.join(PAPERMILL_VENV, 'bin', 'pip'), ['install', '--quiet', `papermill==${PAPERMILL_VERSION}`])
  if (!check()) throw new Error('papermill did not install')
  return python
}

const code = (id: string, source: string, tags?: string[]) => ({
  id,
  cell_type: 'code',
  source,
  metadata: tags ? { tags } : {},
  outputs: [],
  execution_count: null,
})

/** A small but typical analysis notebook: parameters, pandas work, a printed line, a displayed frame. */
const NOTEBOOK: NotebookModel = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {
    kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
    language_info: { name: 'python' },
  },
  cells: [
    { id: 'title', cell_type: 'markdown', source: '# Benchmark notebook', metadata: {} },
    code('params', 'rows = 1000\nseed = 1', ['parameters']),
    code('imports', 'import pandas as pd\nimport numpy as np'),
    code(
      'data',
      "rng = np.random.default_rng(seed)\ndf = pd.DataFrame({'k': rng.integers(0, 100, rows), 'v': rng.random(rows)})",
    ),
    code('group', "summary = df.groupby('k')['v'].agg(['count', 'mean', 'sum'])"),
    code('show', 'summary.head()'),
    code('print', "print(len(df), round(float(df['v'].sum()), 3))"),
    code('loop', 'for i in range(3):\n    print(i)'),
    code('total', "total = summary['sum'].sum()\ntotal"),
    code('check', 'assert len(summary) == 100'),
  ],
}

/**
 * The same notebook with the same parameters, executed by our `notebook` step (fresh NotebookSession on a
 * Jupyter Server, papermill-style injected parameters, executed .ipynb saved) and by papermill's
 * `execute_notebook` (its own kernel manager, output .ipynb saved), both on the project venv's python3
 * kernel. Wall time per run, each run with a cold kernel; runs alternate (shared machine).
 */
export default async function notebookVsPapermill(): Promise<BenchResult[]> {
  const python = ensurePapermill()
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-papermill-'))
  // papermill's kernel: the same kernel spec our Jupyter Server uses (python3 of the project venv).
  const kernelDir = path.join(work, 'jupyter', 'kernels', 'python3')
  mkdirSync(kernelDir, { recursive: true })
  writeFileSync(
    path.join(kernelDir, 'kernel.json'),
    JSON.stringify({
      argv: [path.join(ROOT, '.venv', 'bin', 'python'), '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      display_name: 'Python 3',
      language: 'python',
    }),
  )
  const input = path.join(work, 'input.ipynb')
  writeFileSync(input, JSON.stringify(NOTEBOOK))

  const jupyter = await startJupyterServer()
  const database = await DuckdbDatabase.open({ path: path.join(work, 'workspace.duckdb'), dataDir: work })
  const deps: KernelStepDeps = {
    openSession: async () =>
      new NotebookSession({
        startSql: (resolveMissingTable) => DuckdbKernel.start({ database, resolveMissingTable }),
        startPython: () => JupyterKernel.start({ baseUrl: jupyter.baseUrl, token: jupyter.token }),
        exchangeDir: path.join(work, '.exchange'),
      }),
    loadNotebook: async () => NOTEBOOK,
    artifactDir: () => path.join(work, 'artifacts'),
  }
  const driver: ChildProcess = spawn(python, [path.join(import.meta.dirname, 'papermill_driver.py')], {
    env: { ...process.env, JUPYTER_PATH: path.join(work, 'jupyter'), PYTHONUNBUFFERED: '1' },
    // Its kernels' start-up warnings would drown the result lines.
    stdio: ['pipe', 'pipe', 'ignore'],
  })
  const answers = createInterface({ input: driver.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]()

  let run = 0
  const ours = async () => {
    const started = performance.now()
    await runNotebookStep(
      deps,
      { notebook: 'bench', parameters: PARAMETERS },
      {
        signal: new AbortController().signal,
        attempt: 1,
        idempotencyKey: `bench/${++run}`,
        heartbeat: () => {},
        log: () => {},
      },
      { pipeline: 'bench', stepId: 'notebook', type: 'notebook', with: {}, params: {}, idempotencyKey: `bench/${run}` },
    )
    return performance.now() - started
  }
  const papermill = async () => {
    const started = performance.now()
    const request = {
      input,
      output: path.join(work, `papermill-${++run}.ipynb`),
      parameters: PARAMETERS,
      kernel: 'python3',
    }
    driver.stdin?.write(`${JSON.stringify(request)}\n`)
    const answer = JSON.parse(String((await answers.next()).value)) as { ok: boolean; error?: string }
    if (!answer.ok) throw new Error(`papermill failed: ${answer.error}`)
    return performance.now() - started
  }

  const oursTimes: number[] = []
  const papermillTimes: number[] = []
  try {
    await ours() // warm-up: imports cached on disk, Jupyter's first kernel start
    await papermill()
    for (let i = 0; i < ITERATIONS; i++) {
      oursTimes.push(await ours())
      papermillTimes.push(await papermill())
    }
  } finally {
    driver.stdin?.end()
    await new Promise((resolve) => driver.once('exit', resolve))
    database.close()
    await jupyter.stop()
    rmSync(work, { recursive: true, force: true })
  }
  const notes = { n: ITERATIONS, cells: NOTEBOOK.cells.length, rows: PARAMETERS.rows }
  return [
    {
      name: 'pipelines/notebook-vs-papermill p50',
      ours: percentile(oursTimes, 50),
      baseline: percentile(papermillTimes, 50),
      unit: 'ms',
      notes,
    },
    {
      name: 'pipelines/notebook-vs-papermill min',
      ours: Math.min(...oursTimes),
      baseline: Math.min(...papermillTimes),
      unit: 'ms',
      notes,
    },
  ]
}
