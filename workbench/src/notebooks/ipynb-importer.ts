import { TsWorkerJobs } from '../services/ts-worker.ts'
import { DEFAULT_MAX_IMPORT_CELLS, IpynbError, IpynbTooLargeError, type PreparedNotebook } from './ipynb.ts'
import type { ImportAnswer, ImportJob } from './ipynb-worker.ts'

export interface IpynbImporterOptions {
  /** Cells an imported notebook may have. */
  maxCells: number
  /** An import still converting after this long is abandoned (the worker is replaced). */
  timeoutMs: number
}

export const defaultIpynbImporterOptions: IpynbImporterOptions = {
  maxCells: DEFAULT_MAX_IMPORT_CELLS,
  timeoutMs: 60_000,
}

/** The worker was stopped (timeout or shutdown) before it answered. */
export class IpynbImportTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Converting the notebook took longer than ${timeoutMs} ms`)
    this.name = 'IpynbImportTimeoutError'
  }
}

/**
 * Parses, validates and converts .ipynb imports on a worker thread (started on first use, one job at a time,
 * replaced when a job passes its timeout), so the event loop keeps serving every other request meanwhile.
 *
 * @example
 * const importer = new IpynbImporter()
 * const prepared = await importer.prepare(await c.req.text())
 * await notebooks.create(workspaceId, { name, prepared })
 */
export class IpynbImporter {
  readonly options: IpynbImporterOptions
  readonly #jobs: TsWorkerJobs<Omit<ImportJob, 'id'>, ImportAnswer, PreparedNotebook>

  constructor(options: Partial<IpynbImporterOptions> = {}) {
    this.options = { ...defaultIpynbImporterOptions, ...options }
    this.#jobs = new TsWorkerJobs(new URL('./ipynb-worker.ts', import.meta.url), {
      timeoutMs: this.options.timeoutMs,
      timeoutError: () => new IpynbImportTimeoutError(this.options.timeoutMs),
      name: 'notebook import',
      settle: (answer) => {
        if (answer.ok) return { update: answer.update, contentText: answer.contentText, warnings: answer.warnings }
        if (answer.kind === 'invalid') throw new IpynbError(answer.problems)
        if (answer.kind === 'too_many_cells') throw new IpynbTooLargeError(answer.cells, answer.maxCells)
        throw new Error(answer.message)
      },
    })
  }

  /** Rejects with an `IpynbError`, an `IpynbTooLargeError` or an `IpynbImportTimeoutError`. */
  prepare(text: string): Promise<PreparedNotebook> {
    return this.#jobs.run({ text, maxCells: this.options.maxCells })
  }

  async close(): Promise<void> {
    this.#jobs.close(new Error('the notebook importer was closed'))
  }
}
