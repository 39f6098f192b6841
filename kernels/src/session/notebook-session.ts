import { existsSync, mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import type { DuckDBType } from '@duckdb/node-api'
import type { DuckdbKernel } from '../duckdb/kernel.ts'
import type { Completion, Inspection, JupyterKernel } from '../jupyter/kernel.ts'
import { errorOutput, type Kernel, type Output, type PageRequest, type SqlKernel, type TableData } from '../kernel.ts'
import { OutputChannel } from '../output-channel.ts'
import { tableOf } from '../table-output.ts'
import { carrierQuery, handOverCode, handOverSpec } from './hand-over.ts'

export type CellLanguage = 'sql' | 'python'

export interface CellRequest {
  code: string
  language: CellLanguage
  /** SQL cells: also make the result a pandas DataFrame of this name in the Python kernel. */
  bindTo?: string
  /**
   * SQL cells on another database (a workspace connection): the kernel to run on instead of the session's
   * DuckDB. The cell still takes its turn in the session's queue and its execution count.
   */
  sqlKernel?: () => Promise<SqlKernel>
}

export interface NotebookSessionOptions {
  /** Starts the session's SQL kernel; called once, on the first SQL cell. */
  startSql: (resolveMissingTable: (name: string) => Promise<string | undefined>) => Promise<DuckdbKernel>
  /** Starts the session's Python kernel; called once, on the first Python cell or hand-over. */
  startPython?: () => Promise<JupyterKernel>
  /**
   * Folder for Parquet hand-over files: inside the workspace data folder (DuckDB may only touch that) and
   * readable by the Jupyter kernel (same machine, or a shared volume for remote kernels).
   */
  exchangeDir: string
}

export interface CellExecution {
  /** Assigned when the cell is queued, so callers can show `[n]` at once. */
  executionCount: number
  outputs: AsyncIterable<Output>
}

const PYTHON_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * A notebook's live state: one SQL kernel (DuckDB) and one Python kernel, started on first use, one queue
 * for both, so cells run in the order they were sent whatever their language, and execution counts shared
 * across languages. Data crosses between them as Parquet files, never as rows in JSON:
 * a SQL result bound to a name is read with `pd.read_parquet`, and a SQL cell naming an unknown table gets
 * the Python DataFrame of that name, exported with `to_parquet` and read through a DuckDB view.
 *
 * @example
 * const session = new NotebookSession({ startSql, startPython, exchangeDir })
 * const { outputs } = session.execute({ language: 'sql', code: 'SELECT 42 AS x', bindTo: 'df' })
 */
export class NotebookSession {
  readonly #options: NotebookSessionOptions
  #sql: Promise<DuckdbKernel> | undefined
  #python: Promise<JupyterKernel> | undefined
  #tail: Promise<void> = Promise.resolve()
  #executionCount = 0
  #running: Kernel | undefined
  #exchangeSequence = 0
  #closed = false
  /** Time of the last cell start or end, for idle culling. */
  lastActivity = Date.now()
  #pending = 0
  /** Hand-over files of the running cell, deleted when it ends. */
  readonly #cellFiles: string[] = []

  constructor(options: NotebookSessionOptions) {
    this.#options = options
  }

  /** True when no cell is running or queued. */
  get idle(): boolean {
    return this.#pending === 0
  }

  /**
   * Queues a cell. Aborting `options.signal` (e.g. the HTTP client went away) drops it while queued and interrupts
   * it while it runs.
   */
  execute(request: CellRequest, options: { signal?: AbortSignal } = {}): CellExecution {
    const executionCount = ++this.#executionCount
    const channel = new OutputChannel()
    const { signal } = options
    this.#pending++
    this.#tail = this.#tail.then(async () => {
      this.lastActivity = Date.now()
      // Runs are sequential, so while this one runs `#running` is its kernel.
      const onAbort = () => void this.#running?.interrupt().catch(() => {})
      try {
        if (this.#closed) return channel.push(errorOutput('SessionClosed', 'The notebook session was closed'))
        if (signal?.aborted) return channel.push(errorOutput('Interrupted', 'The request was cancelled'))
        signal?.addEventListener('abort', onAbort, { once: true })
        await this.#run(request, executionCount, (o) => channel.push(o))
      } catch (err) {
        // An error may name itself for the output (e.g. `ConnectionNotFound`); others mean no kernel.
        const ename = err instanceof Error && 'ename' in err && typeof err.ename === 'string' ? err.ename : undefined
        channel.push(errorOutput(ename ?? 'KernelUnavailable', err instanceof Error ? err.message : String(err)))
      } finally {
        signal?.removeEventListener('abort', onAbort)
        for (const file of this.#cellFiles.splice(0)) rmSync(file, { force: true })
        this.#running = undefined
        this.#pending--
        this.lastActivity = Date.now()
        channel.end()
      }
    })
    return { executionCount, outputs: channel }
  }

  async #run(request: CellRequest, executionCount: number, emit: (o: Output) => void): Promise<void> {
    if (request.bindTo !== undefined && !PYTHON_NAME.test(request.bindTo))
      return emit(errorOutput('ValueError', `"${request.bindTo}" is not a valid Python variable name`))
    const external = request.language === 'sql' ? request.sqlKernel : undefined
    const kernel = external
      ? await external()
      : request.language === 'sql'
        ? await this.sqlKernel()
        : await this.pythonKernel()
    this.#running = kernel
    let table: TableData | undefined
    let failed = false
    for await (const output of kernel.execute(request.code, { executionCount })) {
      if (output.output_type === 'execute_result') table = tableOf(output) ?? table
      if (output.output_type === 'error') failed = true
      emit(output)
    }
    if (request.language !== 'sql' || !request.bindTo || failed) return
    // A binding never fails silently: Python would go on with a stale DataFrame of that name.
    if (!table?.resultId)
      return emit(
        errorOutput(
          'HandOverError',
          `Nothing to bind to ${request.bindTo}: the cell's last statement returned no kept result`,
        ),
      )
    if (external)
      return emit(
        errorOutput('HandOverError', `Results of a connection cannot be bound to Python yet (${request.bindTo})`),
      )
    await this.#bindToPython(kernel as DuckdbKernel, table.resultId, request.bindTo, emit)
  }

  /**
   * SQL -> Python: the kept result is written once to Parquet (values Parquet cannot carry as text or numbers) and
   * built into a DataFrame in the kernel with duckdb's `.df()` types (see `hand-over.ts`, docs/kernels.md).
   */
  async #bindToPython(sql: DuckdbKernel, resultId: string, name: string, emit: (o: Output) => void): Promise<void> {
    const file = this.#exchangeFile(name)
    try {
      const source = await sql.resultSource(resultId)
      await sql.exportQuery(carrierQuery(source), file, 'parquet')
      const columns = source.columns.map((c, i) => ({
        name: c.name,
        spec: handOverSpec(source.types[i] as DuckDBType),
      }))
      const python = await this.pythonKernel()
      this.#running = python
      const code = handOverCode(name, file, columns, source.timeZone)
      for await (const output of python.execute(code, { silent: true }))
        if (output.output_type === 'error') emit(output)
    } catch (err) {
      emit(
        errorOutput(
          'HandOverError',
          `Could not hand the result to Python as ${name}: ${err instanceof Error ? err.message : String(err)}`,
        ),
      )
    } finally {
      rmSync(file, { force: true })
    }
  }

  /** Python -> SQL: called by the SQL kernel for a table it does not know. */
  async #exportDataFrame(name: string): Promise<string | undefined> {
    if (!this.#python || !PYTHON_NAME.test(name)) return undefined
    const python = await this.#python
    if (python.status === 'dead') return undefined
    const file = this.#exchangeFile(name)
    const code = [
      'import pandas as __wb_pd',
      `__wb_obj = globals().get(${JSON.stringify(name)})`,
      `if isinstance(__wb_obj, __wb_pd.DataFrame): __wb_obj.to_parquet(${JSON.stringify(file)}, index=False)`,
      'del __wb_obj, __wb_pd',
    ].join('\n')
    for await (const _ of python.execute(code, { silent: true })) {
      // Only the file matters: it exists if and only if `name` was a DataFrame.
    }
    if (!existsSync(file)) return undefined
    // The SQL kernel drops the view when the cell ends, so the next cell exports fresh data.
    this.#cellFiles.push(file)
    return file
  }

  #exchangeFile(name: string): string {
    mkdirSync(this.#options.exchangeDir, { recursive: true })
    return path.join(this.#options.exchangeDir, `${name}-${process.pid}-${++this.#exchangeSequence}.parquet`)
  }

  sqlKernel(): Promise<DuckdbKernel> {
    this.#sql ??= this.#options.startSql((name) => this.#exportDataFrame(name))
    this.#sql.catch(() => {
      this.#sql = undefined
    })
    return this.#sql
  }

  pythonKernel(): Promise<JupyterKernel> {
    const start = this.#options.startPython
    if (!start) return Promise.reject(new Error('No Python kernel is configured for this workbench'))
    this.#python ??= start()
    this.#python.catch(() => {
      this.#python = undefined
    })
    return this.#python
  }

  /**
   * Completions for a Python cell from the session's Python kernel (Jupyter `complete_request`), which sees
   * the variables of the cells run so far. Outside the queue: it does not wait for cells (the kernel answers
   * between them, or the request times out). No kernel started yet: no matches rather than a kernel start.
   */
  async complete(code: string, cursor: number): Promise<Completion> {
    const python = await this.#startedPython()
    return python ? python.complete(code, cursor) : { matches: [], cursorStart: cursor, cursorEnd: cursor }
  }

  /** The documentation of the name at `cursor` (Jupyter `inspect_request`), from the started Python kernel. */
  async inspect(code: string, cursor: number, detailLevel: 0 | 1 = 0): Promise<Inspection> {
    const python = await this.#startedPython()
    return python ? python.inspect(code, cursor, detailLevel) : { found: false }
  }

  async #startedPython(): Promise<JupyterKernel | undefined> {
    const python = await this.#python?.catch(() => undefined)
    return python && python.status !== 'dead' ? python : undefined
  }

  /** Pages a SQL result of this session. */
  async page(resultId: string, request: PageRequest): Promise<TableData> {
    return (await this.sqlKernel()).page(resultId, request)
  }

  /** Interrupts the running cell, whichever kernel runs it; queued cells still run. */
  async interrupt(): Promise<void> {
    await this.#running?.interrupt()
  }

  /** Restarts the kernels that were started (cancelling their queued cells); the execution count goes on. */
  async restart(): Promise<void> {
    const kernels = await this.#startedKernels()
    await Promise.all(kernels.map((k) => k.restart()))
  }

  async shutdown(): Promise<void> {
    this.#closed = true
    const kernels = await this.#startedKernels()
    await Promise.all(kernels.map((k) => k.shutdown()))
  }

  /** Status of each started kernel. */
  async statuses(): Promise<{ sql?: Kernel['status']; python?: Kernel['status'] }> {
    const [sql, python] = await Promise.all([this.#sql?.catch(() => undefined), this.#python?.catch(() => undefined)])
    return { sql: sql?.status, python: python?.status }
  }

  async #startedKernels(): Promise<Kernel[]> {
    const started = await Promise.all([this.#sql?.catch(() => undefined), this.#python?.catch(() => undefined)])
    return started.filter((k): k is DuckdbKernel | JupyterKernel => k !== undefined)
  }
}
