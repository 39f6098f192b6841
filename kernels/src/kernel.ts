/**
 * The one execution model every backend implements: a cell goes in, Jupyter-format outputs (nbformat 4)
 * come out as an async stream. Kernel errors are outputs, never exceptions.
 */

/** A mime bundle: `text/plain`, `text/html`, `image/png` (base64), our table mime type, ... */
export type MimeBundle = Record<string, unknown>

export interface StreamOutput {
  output_type: 'stream'
  name: 'stdout' | 'stderr'
  text: string
}

export interface DisplayDataOutput {
  output_type: 'display_data'
  data: MimeBundle
  metadata: Record<string, unknown>
}

export interface ExecuteResultOutput {
  output_type: 'execute_result'
  execution_count: number | null
  data: MimeBundle
  metadata: Record<string, unknown>
}

export interface ErrorOutput {
  output_type: 'error'
  ename: string
  evalue: string
  traceback: string[]
}

export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput

export type KernelStatus = 'starting' | 'idle' | 'busy' | 'dead'

export type KernelKind = 'duckdb' | 'postgres' | 'mysql' | 'jupyter'

/** Mime type of a SQL result kept on the server: first page, shape, types and stats, never the whole result. */
export const TABLE_MIME_TYPE = 'application/vnd.workbench.table+json'

export interface TableColumn {
  name: string
  /** The engine's type name, e.g. `BIGINT`, `DECIMAL(10,2)`, `TIMESTAMP WITH TIME ZONE`, `INTEGER[]`. */
  type: string
}

export interface ColumnStats {
  name: string
  nullCount: number
  /** Number of distinct non-null values; absent for types DuckDB cannot count cheaply and for huge results. */
  distinct?: number
  /** True when `distinct` is an estimate (large results); shown with `≈`. */
  distinctApproximate?: boolean
  min?: unknown
  max?: unknown
}

/**
 * A SQL result in JSON. Values are spelled as the engine renders them and keep their types by convention:
 * BIGINT/HUGEINT/DECIMAL as strings (no precision loss), DATE/TIMESTAMP as the engine's text (`infinity` too),
 * FLOAT/DOUBLE as numbers except `nan`, `inf`, `-inf`, `-0.0` (those strings), INTERVAL as
 * `{months, days, micros}`, BLOB as an escaped string, LIST as arrays, STRUCT as objects, NULL as null.
 * `columns[i].type` says which (see docs/kernels.md, "SQL result values").
 */
export interface TableData {
  /** Id to page through the kept result with the kernel's `page()`; absent when the result is not kept. */
  resultId?: string
  columns: TableColumn[]
  rows: unknown[][]
  offset: number
  totalRows: number
  /** Only when the result is larger than the first page (otherwise the rows are all there is to know). */
  stats?: ColumnStats[]
  /**
   * Set when this first page was cut to fit the cell's output budget instead of being dropped: `rows` holds
   * fewer rows than the page size (`droppedRows` of them left out) and/or long values were cut, at
   * `[row, column]` positions in `cutCells` (a cut value is a string ending in `…`; a cut list or struct becomes
   * the start of its JSON text). Pages and exports of the kept result always carry whole values.
   */
  shrunk?: { droppedRows: number; cutCells: [number, number][] }
}

export interface PageRequest {
  offset?: number
  limit?: number
  sort?: { column: string; descending?: boolean }[]
  filter?: { column: string; op: FilterOp; value?: unknown }[]
}

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | 'is_null' | 'not_null'

export interface ExecuteOptions {
  /** Set by the caller (the notebook session) so results show Jupyter's `[n]`. */
  executionCount?: number
  /** Housekeeping code the user did not write: kept out of history (Jupyter `silent`). */
  silent?: boolean
}

/** Status changes, delivered synchronously in order. */
export type StatusListener = (status: KernelStatus) => void

/**
 * @example
 * const kernel = await DuckdbKernel.start({ database })
 * for await (const output of kernel.execute('SELECT 42 AS answer')) console.log(output)
 */
export interface Kernel {
  readonly kind: KernelKind
  readonly status: KernelStatus
  onStatus(listener: StatusListener): () => void
  /**
   * Queues `code` behind any running or queued cell and returns its outputs. Calls made in some order run in
   * that order. The stream always ends, also when the kernel dies or is interrupted.
   */
  execute(code: string, options?: ExecuteOptions): AsyncIterable<Output>
  /** Stops the running cell (it ends with an error output); queued cells still run. */
  interrupt(): Promise<void>
  /** Fresh state: variables, temp tables and kept results are gone. Recovers a dead kernel. */
  restart(): Promise<void>
  /** Frees everything; further executes end with an error output. */
  shutdown(): Promise<void>
}

/** A SQL kernel additionally pages through results it keeps. */
export interface SqlKernel extends Kernel {
  /** Reads a page of a kept result; throws {@link ResultNotFoundError} if it was dropped or never existed. */
  page(resultId: string, request: PageRequest): Promise<TableData>
  /**
   * Every row of a kept result in order, `batchSize` rows at a time (bounded memory), for exports. Kernels
   * without it are read page by page.
   */
  exportRows?(resultId: string, batchSize: number): AsyncIterable<unknown[][]>
}

export class ResultNotFoundError extends Error {
  constructor(readonly resultId: string) {
    super(`No kept result ${resultId}: it was dropped (restart, or newer results replaced it)`)
    this.name = 'ResultNotFoundError'
  }
}

/** A kept result holds values the export format cannot represent (e.g. a negative INTERVAL in Parquet). */
export class ResultExportError extends Error {
  constructor(
    readonly format: string,
    readonly reason: string,
  ) {
    super(`This result cannot be exported as ${format}: ${reason}`)
    this.name = 'ResultExportError'
  }
}

/** A page request naming a column the result does not have, or a bad filter. */
export class PageRequestError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PageRequestError'
  }
}

export function errorOutput(ename: string, evalue: string, traceback: string[] = [`${ename}: ${evalue}`]): ErrorOutput {
  return { output_type: 'error', ename, evalue, traceback }
}
