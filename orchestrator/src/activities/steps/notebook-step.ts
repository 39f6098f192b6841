// `notebook` steps: run a pinned notebook's cells papermill-style in a fresh kernel session and save the
// executed notebook, outputs included, as the step's artifact.
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity'
import {
  INJECTED_PARAMETERS_TAG,
  type NotebookCell,
  type NotebookModel,
  PARAMETERS_TAG,
  sourceOf,
  sqlCellParts,
  tagsOf,
} from '../../spec/notebook-cells.ts'
import { toPython } from '../../spec/notebook-python.ts'
import type { StepContext, StepInput } from '../types.ts'
import {
  type CellOutput,
  interruptOnAbort,
  type KernelStepDeps,
  StepArtifacts,
  type StepKernelSession,
} from './kernel-session.ts'
import { outputLog } from './output-log.ts'

/** What a notebook step returns (kept in workflow history: small). */
export interface NotebookStepResult {
  artifact: { path: string; bytes: number; format: 'ipynb' }
  cells: number
  durationMs: number
  /** True when a retried attempt found the step already done and returned its saved result. */
  replayed?: boolean
}

export interface NotebookStepWith {
  notebook: string
  version?: string | number
  seq?: string
  cells?: string[]
  parameters?: Record<string, unknown>
}

/** Papermill's injected cell: the run's parameter values as Python assignments. */
export function injectedParametersCell(parameters: Record<string, unknown>): NotebookCell {
  const lines = Object.entries(parameters).map(([name, value]) => `${name} = ${toPython(value)}`)
  return {
    id: 'injected-parameters',
    cell_type: 'code',
    source: `# Parameters\n${lines.join('\n')}\n`,
    metadata: { tags: [INJECTED_PARAMETERS_TAG] },
    outputs: [],
    execution_count: null,
  }
}

/** The cells a step runs, in order, with the injected-parameters cell after the `parameters` cell (or first). */
export function cellsToRun(notebook: NotebookModel, withBlock: NotebookStepWith): NotebookCell[] {
  let cells = notebook.cells
  if (withBlock.cells) {
    const byRef = new Map(
      notebook.cells.map((cell, i) => [typeof cell.id === 'string' && cell.id ? cell.id : `#${i}`, cell]),
    )
    const missing = withBlock.cells.filter((ref) => !byRef.has(ref))
    if (missing.length > 0) {
      throw ApplicationFailure.nonRetryable(
        `notebook ${withBlock.notebook} has no cell ${missing.join(', ')} (was the notebook changed after compiling? pin a version)`,
        'CellNotFound',
      )
    }
    cells = withBlock.cells.map((ref) => byRef.get(ref) as NotebookCell)
  }
  const copies = cells.map((cell) =>
    structuredClone({ ...cell, ...(cell.cell_type === 'code' ? { outputs: [], execution_count: null } : {}) }),
  )
  const parameters = withBlock.parameters ?? {}
  if (Object.keys(parameters).length > 0) {
    const at = copies.findIndex((cell) => tagsOf(cell).includes(PARAMETERS_TAG))
    copies.splice(at + 1, 0, injectedParametersCell(parameters))
  }
  return copies
}

/** Runs one cell, its outputs and execution count written into it; returns its first error output. */
async function runCell(
  session: StepKernelSession,
  cell: NotebookCell,
  lines: ReturnType<typeof outputLog>,
): Promise<CellOutput | undefined> {
  const sql = sqlCellParts(cell)
  const outputs: CellOutput[] = []
  const started = Date.now()
  if (sql && sql.connection !== 'duckdb') {
    outputs.push({
      output_type: 'error',
      ename: 'ConnectionUnavailable',
      evalue: `notebook steps run SQL on the workspace DuckDB; connection '${sql.connection}' is not available here (use a sql step)`,
      traceback: [],
    })
  } else {
    const execution = sql
      ? session.execute({ code: sql.sql, language: 'sql', ...(sql.output ? { bindTo: sql.output } : {}) })
      : session.execute({ code: sourceOf(cell), language: 'python' })
    cell.execution_count = execution.executionCount
    for await (const output of execution.outputs) {
      outputs.push(output)
      lines.write(output)
    }
  }
  lines.end()
  cell.outputs = outputs
  const error = outputs.find((output) => output.output_type === 'error')
  const ended = Date.now()
  // papermill's per-cell record, so tools that read papermill outputs understand ours.
  cell.metadata = {
    ...cell.metadata,
    papermill: {
      start_time: new Date(started).toISOString(),
      end_time: new Date(ended).toISOString(),
      duration: (ended - started) / 1000,
      status: error ? 'failed' : 'completed',
      exception: error !== undefined,
    },
  }
  return error
}

/**
 * A `notebook` step attempt. Idempotent per idempotency key: once an attempt succeeded, later attempts
 * with the same key return the saved result. Stops at the first error (the executed notebook is still
 * saved, so the failing cell's traceback can be read), interrupts the kernel when cancelled.
 */
export async function runNotebookStep(
  deps: KernelStepDeps,
  withBlock: NotebookStepWith,
  context: StepContext,
  input: StepInput,
): Promise<NotebookStepResult> {
  const artifacts = new StepArtifacts(deps.artifactDir(input), context.idempotencyKey)
  const done = artifacts.finished<NotebookStepResult>()
  if (done) return { ...done, replayed: true }

  const started = Date.now()
  const source = await deps
    .loadNotebook({ notebook: withBlock.notebook, version: withBlock.version, seq: withBlock.seq }, input)
    .catch((err: unknown) => {
      // A 4xx from the application (no such notebook or version) will not heal by retrying.
      const status = (err as { status?: unknown } | null)?.status
      if (typeof status === 'number' && status >= 400 && status < 500) {
        const message = err instanceof Error ? err.message : String(err)
        throw ApplicationFailure.nonRetryable(`notebook ${withBlock.notebook}: ${message}`, 'NotebookUnavailable')
      }
      throw err
    })
  const cells = cellsToRun(source, withBlock)
  const run: Record<string, unknown> = {
    pipeline: input.pipeline,
    step: input.stepId,
    notebook: withBlock.notebook,
    ...(withBlock.version !== undefined ? { version: withBlock.version } : {}),
    ...(withBlock.seq !== undefined ? { seq: withBlock.seq } : {}),
    parameters: withBlock.parameters ?? {},
    attempt: context.attempt,
  }
  const executed: NotebookModel = { ...source, metadata: { ...source.metadata, workbench_run: run }, cells }
  const session = await deps.openSession(input, {})
  if (cells.some((cell) => cell.cell_type === 'code' && !sqlCellParts(cell) && sourceOf(cell).trim() !== ''))
    session.pythonKernel?.().catch(() => {}) // a failed start is reported by the first Python cell
  const stopInterrupting = interruptOnAbort(session, context.signal)
  let failed: { cell: NotebookCell; index: number; error: CellOutput } | undefined
  // Each cell's own output (prints, SQL row counts, errors) goes to the run log as it happens.
  const lines = outputLog(context.log)
  const code = cells.filter((cell) => cell.cell_type === 'code' && sourceOf(cell).trim() !== '').length
  let ran = 0
  try {
    for (const [index, cell] of cells.entries()) {
      if (context.signal.aborted) break
      if (cell.cell_type !== 'code' || sourceOf(cell).trim() === '') continue
      context.heartbeat({ cell: cell.id ?? index })
      const cellStarted = Date.now()
      lines.note(`cell ${++ran}/${code}${sqlCellParts(cell) ? ' (SQL)' : ''} started`)
      const error = await runCell(session, cell, lines)
      lines.note(
        `cell ${ran}/${code} ${error ? 'failed' : 'done'} in ${Date.now() - cellStarted} ms`,
        error ? 'error' : 'info',
      )
      if (error) {
        failed = { cell, index, error }
        break
      }
    }
  } finally {
    stopInterrupting()
    // Not awaited: the outputs are in hand, and a kernel's shutdown need not delay the pipeline.
    void session.shutdown().catch(() => {})
  }
  const status = context.signal.aborted ? 'cancelled' : failed ? 'failed' : 'succeeded'
  run.status = status
  const artifact = {
    ...artifacts.write('executed.ipynb', `${JSON.stringify(executed, null, 1)}\n`),
    format: 'ipynb' as const,
  }
  if (context.signal.aborted) throw new CancelledFailure('notebook step cancelled')
  if (failed) {
    const { cell, index, error } = failed
    throw ApplicationFailure.create({
      type: 'NotebookCellError',
      message: `cell ${cell.id ?? index} failed: ${error.ename}: ${error.evalue}`,
      details: [{ cellId: cell.id, ename: error.ename, evalue: error.evalue, traceback: error.traceback, artifact }],
    })
  }
  return artifacts.finish({ artifact, cells: cells.length, durationMs: Date.now() - started })
}
