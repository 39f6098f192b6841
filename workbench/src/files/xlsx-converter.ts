import type { Worker } from 'node:worker_threads'
import { startTsWorker } from '../services/ts-worker.ts'
import { defaultWorkbookLimits, type SheetInfo, type WorkbookLimits, WorkbookTooLargeError } from './xlsx.ts'
import type { ConvertAnswer, ConvertJob } from './xlsx-worker.ts'

/** The conversion worker was stopped (timeout or shutdown) before it answered. */
export class WorkbookConvertTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`converting the workbook took longer than ${timeoutMs} ms`)
    this.name = 'WorkbookConvertTimeoutError'
  }
}

interface Pending {
  resolve(value: SheetInfo[]): void
  reject(err: Error): void
  timer: NodeJS.Timeout
}

/**
 * Converts .xlsx uploads to CSV on a worker thread (started on first use, replaced when a job passes its
 * timeout), under the same {@link WorkbookLimits} as `convertWorkbook`, so the event loop keeps serving every
 * other request while a big workbook's XML is parsed.
 *
 * @example
 * const converter = new WorkbookConverter({ timeoutMs: 120_000 })
 * const sheets = await converter.convert('/data/ws/files/f1/original', '/data/ws/files/f1')
 */
export class WorkbookConverter {
  readonly timeoutMs: number
  #worker: Worker | undefined
  readonly #pending = new Map<number, Pending>()
  #nextId = 1

  constructor(options: { timeoutMs?: number } = {}) {
    this.timeoutMs = options.timeoutMs ?? 120_000
  }

  /** Rejects with a `WorkbookTooLargeError`, a `WorkbookConvertTimeoutError` or an `Error` (unreadable). */
  convert(file: string, outDir: string, limits: WorkbookLimits = defaultWorkbookLimits): Promise<SheetInfo[]> {
    const worker = this.#start()
    const id = this.#nextId++
    return new Promise<SheetInfo[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A job past its time cannot be interrupted inside the worker, so the worker goes (with its other jobs).
        this.#stop(new WorkbookConvertTimeoutError(this.timeoutMs))
      }, this.timeoutMs)
      this.#pending.set(id, { resolve, reject, timer })
      const job: ConvertJob = { id, file, outDir, limits }
      worker.postMessage(job)
    })
  }

  async close(): Promise<void> {
    this.#stop(new Error('the workbook converter was closed'))
  }

  #start(): Worker {
    if (this.#worker) return this.#worker
    const worker = startTsWorker(new URL('./xlsx-worker.ts', import.meta.url))
    worker.on('message', (answer: ConvertAnswer) => this.#settle(answer))
    worker.on('error', (err) => this.#stop(err))
    worker.on('exit', () => {
      if (this.#worker === worker) this.#stop(new Error('the workbook conversion worker stopped'))
    })
    this.#worker = worker
    return worker
  }

  #settle(answer: ConvertAnswer): void {
    const pending = this.#pending.get(answer.id)
    if (!pending) return
    this.#pending.delete(answer.id)
    clearTimeout(pending.timer)
    if (answer.ok) pending.resolve(answer.sheets)
    else if (answer.kind === 'too_large') pending.reject(new WorkbookTooLargeError(answer.message))
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
