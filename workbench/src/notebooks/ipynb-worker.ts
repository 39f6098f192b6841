// Worker thread entry of `IpynbImporter`: parses, validates and converts one .ipynb per message, so a big
// notebook never holds up the server's event loop.
import { parentPort } from 'node:worker_threads'
import { IpynbError, IpynbTooLargeError, prepareImport } from './ipynb.ts'

export interface ImportJob {
  id: number
  text: string
  maxCells: number
}

export type ImportAnswer =
  | { id: number; ok: true; update: Uint8Array; contentText: string; warnings: string[] }
  | { id: number; ok: false; kind: 'invalid'; problems: string[] }
  | { id: number; ok: false; kind: 'too_many_cells'; cells: number; maxCells: number }
  | { id: number; ok: false; kind: 'failed'; message: string }

// @jupyter/ydoc reads each new cell's Yjs types before they join the document, and Yjs warns five times per cell:
// 750,000 lines for a big notebook. Harmless (the cells are integrated right after), so this thread drops them.
const warn = console.warn
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('Invalid access: Add Yjs type')) return
  warn(...args)
}

parentPort?.on('message', (job: ImportJob) => {
  let answer: ImportAnswer
  try {
    const { update, contentText, warnings } = prepareImport(job.text, { maxCells: job.maxCells })
    answer = { id: job.id, ok: true, update, contentText, warnings }
  } catch (err) {
    if (err instanceof IpynbTooLargeError)
      answer = { id: job.id, ok: false, kind: 'too_many_cells', cells: err.cells, maxCells: err.maxCells }
    else if (err instanceof IpynbError) answer = { id: job.id, ok: false, kind: 'invalid', problems: err.problems }
    else answer = { id: job.id, ok: false, kind: 'failed', message: err instanceof Error ? err.message : String(err) }
  }
  const transfer = answer.ok ? [answer.update.buffer as ArrayBuffer] : []
  parentPort?.postMessage(answer, transfer)
})
