// What `notebook` and `python` steps need from the application: a fresh kernel session, the notebook at a
// pin, and a folder for artifacts. Interfaces only; the workbench implements them with the kernels package
// (NotebookSession: DuckDB + Jupyter) and its notebook store.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { NotebookModel } from '../../spec/notebook-cells.ts'
import type { StepInput } from '../types.ts'

/** A Jupyter-format output (nbformat 4), as the kernels package emits them. */
export interface CellOutput {
  output_type: string
  name?: string
  text?: string
  ename?: string
  evalue?: string
  traceback?: string[]
  data?: unknown
  metadata?: unknown
  execution_count?: number | null
}

/**
 * One step attempt's kernels: SQL on the workspace DuckDB and Python on a Jupyter kernel, one queue for
 * both (the kernels package's NotebookSession has this shape).
 */
export interface StepKernelSession {
  execute(request: { code: string; language: 'sql' | 'python'; bindTo?: string }): {
    executionCount: number
    outputs: AsyncIterable<CellOutput>
  }
  /** Starts the Python kernel ahead of its first cell (so it boots while SQL cells run), if supported. */
  pythonKernel?(): Promise<unknown>
  /** Stops the running cell (used when the step is cancelled). */
  interrupt(): Promise<void>
  /** Frees the kernels; called once the step is done, whatever happened. */
  shutdown(): Promise<void>
}

/** Where a notebook step's cells come from. */
export interface NotebookRef {
  notebook: string
  /** A saved version. */
  version?: string | number
  /** An update seq of the notebook document (pinned before any version was saved). */
  seq?: string
}

export interface KernelStepDeps {
  /** A fresh session for one step attempt (its own Python kernel, started on first use). */
  openSession(input: StepInput, options: { kernelName?: string }): Promise<StepKernelSession>
  /**
   * The notebook's content at the pin (nbformat JSON). For a notebook or version that does not exist,
   * throw an error with a 4xx `status` (the workbench's AppError): the step then fails without retrying.
   */
  loadNotebook(ref: NotebookRef, input: StepInput): Promise<NotebookModel>
  /** Folder for the step's artifacts, inside the workspace data folder. */
  artifactDir(input: StepInput): string
}

/**
 * The artifacts of one step execution, keyed by its idempotency key: a retried attempt of a step that
 * already succeeded gets the saved result back instead of running the notebook again.
 */
export class StepArtifacts {
  readonly dir: string

  constructor(root: string, idempotencyKey: string) {
    const key = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)
    this.dir = path.join(root, key)
  }

  /** The saved result of a finished execution, if there is one. */
  finished<T>(): T | undefined {
    const file = path.join(this.dir, 'result.json')
    if (!existsSync(file)) return undefined
    return JSON.parse(readFileSync(file, 'utf8')) as T
  }

  /** Writes a file atomically (temp file + rename), so a killed worker never leaves half a file. */
  write(name: string, content: string): { path: string; bytes: number } {
    mkdirSync(this.dir, { recursive: true })
    const target = path.join(this.dir, name)
    const temp = `${target}.${process.pid}.tmp`
    writeFileSync(temp, content)
    renameSync(temp, target)
    return { path: target, bytes: Buffer.byteLength(content) }
  }

  /** Marks the execution finished with `result` (written last: its presence means everything else is there). */
  finish<T>(result: T): T {
    this.write('result.json', JSON.stringify(result))
    return result
  }
}

/**
 * Interrupts the session's running cell once `signal` aborts, and keeps interrupting until disposed: an
 * interrupt that lands while the kernel is still starting, or before it picked up the cell, is lost.
 * Returns the disposer.
 */
export function interruptOnAbort(session: StepKernelSession, signal: AbortSignal): () => void {
  let timer: ReturnType<typeof setInterval> | undefined
  const poke = () => void session.interrupt().catch(() => {})
  const onAbort = () => {
    poke()
    timer = setInterval(poke, 500)
  }
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  return () => {
    signal.removeEventListener('abort', onAbort)
    clearInterval(timer)
  }
}
