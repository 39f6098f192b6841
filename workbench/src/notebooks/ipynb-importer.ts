import type { Worker } from 'node:worker_threads'
import { startTsWorker } from '../services/ts-worker.ts'
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

interface Pending {
  resolve(value: PreparedNotebook): void
  reject(err: Error): void
  timer: NodeJS.Timeout
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
  #worker: Worker | undefined
  readonly #pending = new Map<number, Pending>()
  #nextId = 1

  constructor(options: Partial<IpynbImporterOptions> = {}) {
    this.options = { ...defaultIpynbImporterOptions, ...options }
  }

  /** Rejects with an `IpynbError`, an `IpynbTooLargeError` or an `IpynbImportTimeoutError`. */
  prepare(text: string): Promise<PreparedNotebook> {
    const worker = this.#start()
    const id = this.#nextId++
    return new Promise<PreparedNotebook>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A job past its time: the worker is busy with it and cannot be interrupted, so it goes.
        this.#stop(new IpynbImportTimeoutError(this.options.timeoutMs))
      }, this.options.timeoutMs)
      this.#pending.set(id, { resolve, reject, timer })
      const job: ImportJob = { id, text, maxCells: this.options.maxCells }
      worker.postMessage(job)
    })
  }

  async close(): Promise<void> {
    this.#stop(new Error('the notebook importer was closed'))
  }

  #start(): Worker {
    if (this.#worker) return this.#worker
    const worker = startTsWorker(new URL('./ipynb-worker.ts', import.meta.url))
    worker.on('message', (answer: ImportAnswer) => this.#settle(answer))
    worker.on('error', (err) => this.#stop(err))
    worker.on('exit', () => {
      if (this.#worker === worker) this.#stop(new Error('the notebook import worker stopped'))
    })
    this.#worker = worker
    return worker
  }

  #settle(answer: ImportAnswer): void {
    const pending = this.#pending.get(answer.id)
    if (!pending) return
    this.#pending.delete(answer.id)
    clearTimeout(pending.timer)
    if (answer.ok) pending.resolve({ update: answer.update, contentText: answer.contentText })
    else if (answer.kind === 'invalid') pending.reject(new IpynbError(answer.problems))
    else if (answer.kind === 'too_many_cells') pending.reject(new IpynbTooLargeError(answer.cells, answer.maxCells))
    else pending.reject(new Error(answer.message))
  }

  #stop(reason: Error): void {
    const worker = this.#worker
    this.#worker = undefined
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer)
      pending.reject(reason)
      this.#pending.delete(id)
    }
    void worker?.terminate()
  }
}
