import { TsWorkerJobs } from '../services/ts-worker.ts'
import { defaultWorkbookLimits, type SheetInfo, type WorkbookLimits, WorkbookTooLargeError } from './xlsx.ts'
import type { ConvertAnswer, ConvertJob } from './xlsx-worker.ts'

/** The conversion worker was stopped (timeout or shutdown) before it answered. */
export class WorkbookConvertTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`converting the workbook took longer than ${timeoutMs} ms`)
    this.name = 'WorkbookConvertTimeoutError'
  }
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
  readonly #jobs: TsWorkerJobs<Omit<ConvertJob, 'id'>, ConvertAnswer, SheetInfo[]>

  constructor(options: { timeoutMs?: number } = {}) {
    this.timeoutMs = options.timeoutMs ?? 120_000
    this.#jobs = new TsWorkerJobs(new URL('./xlsx-worker.ts', import.meta.url), {
      timeoutMs: this.timeoutMs,
      timeoutError: () => new WorkbookConvertTimeoutError(this.timeoutMs),
      name: 'workbook conversion',
      settle: (answer) => {
        if (answer.ok) return answer.sheets
        throw answer.kind === 'too_large' ? new WorkbookTooLargeError(answer.message) : new Error(answer.message)
      },
    })
  }

  /** Rejects with a `WorkbookTooLargeError`, a `WorkbookConvertTimeoutError` or an `Error` (unreadable). */
  convert(file: string, outDir: string, limits: WorkbookLimits = defaultWorkbookLimits): Promise<SheetInfo[]> {
    return this.#jobs.run({ file, outDir, limits })
  }

  async close(): Promise<void> {
    this.#jobs.close(new Error('the workbook converter was closed'))
  }
}
