// Worker thread entry of `WorkbookConverter`: converts one .xlsx to CSV per message, so parsing a big
// workbook's XML never holds up the server's event loop.
import { parentPort } from 'node:worker_threads'
import { convertWorkbook, type SheetInfo, type WorkbookLimits, WorkbookTooLargeError } from './xlsx.ts'

export interface ConvertJob {
  id: number
  file: string
  outDir: string
  limits: WorkbookLimits
}

export type ConvertAnswer =
  | { id: number; ok: true; sheets: SheetInfo[] }
  | { id: number; ok: false; kind: 'too_large' | 'failed'; message: string }

parentPort?.on('message', async (job: ConvertJob) => {
  let answer: ConvertAnswer
  try {
    answer = { id: job.id, ok: true, sheets: await convertWorkbook(job.file, job.outDir, job.limits) }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    answer = { id: job.id, ok: false, kind: err instanceof WorkbookTooLargeError ? 'too_large' : 'failed', message }
  }
  parentPort?.postMessage(answer)
})
