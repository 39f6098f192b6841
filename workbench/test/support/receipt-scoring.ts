import { writeFile } from 'node:fs/promises'
import type { OcrEngine, OcrResult } from '../../src/documents/ocr/types.ts'
import { mean } from '../../src/documents/ocr/types.ts'
import { defaultDocumentLimits, prepareDocument, sniffDocument } from '../../src/documents/pages.ts'
import { ToolJob, type ToolRunner } from '../../src/documents/tool-runner.ts'
import { parseReceipt } from '../../src/receipts/parser.ts'
import type { ParsedReceipt } from '../../src/receipts/types.ts'
import type { ReceiptSpec } from './receipt-generator.ts'

/** Reads document bytes the way the documents service does (prepare, OCR every page, parse), timed. */
export async function readReceipt(
  runner: ToolRunner,
  engine: OcrEngine,
  bytes: Buffer,
): Promise<{ ocr: OcrResult; receipt: ParsedReceipt; seconds: number; pages: number }> {
  const started = performance.now()
  const job = await ToolJob.create()
  try {
    await writeFile(job.file('original'), bytes)
    const mime = await sniffDocument(job.file('original'))
    const prepared = await prepareDocument(runner, job, job.file('original'), mime, defaultDocumentLimits)
    let ocr: OcrResult
    if (prepared.pdfText) ocr = prepared.pdfText
    else {
      const pages = []
      for (const p of prepared.images)
        pages.push(
          await engine.recognize({
            job,
            file: p.file,
            width: p.width,
            height: p.height,
            page: p.page,
            languages: ['eng', 'fra'],
          }),
        )
      ocr = {
        engine: engine.name,
        source: 'ocr',
        pages,
        text: pages.map((p) => p.text).join('\n'),
        confidence: mean(pages.map((p) => p.confidence)),
        seconds: 0,
      }
    }
    const receipt = parseReceipt(ocr, { defaultLocale: 'fr' })
    return { ocr, receipt, seconds: (performance.now() - started) / 1000, pages: prepared.pageCount }
  } finally {
    await job.dispose()
  }
}

/** Levenshtein distance (two rows). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
    prev = cur
  }
  return prev[b.length] as number
}

const normalise = (s: string) =>
  s
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n')

/** Character error rate of a reading against the printed text (whitespace runs count as one space). */
export function characterErrorRate(read: string, truth: string): number {
  const t = normalise(truth)
  return editDistance(normalise(read), t) / Math.max(1, t.length)
}

/** Which key fields were read exactly. */
export function fieldMatches(receipt: ParsedReceipt, spec: ReceiptSpec) {
  return {
    date: receipt.date.value === spec.date,
    total: receipt.total.value === spec.total,
    merchant: receipt.merchant.value === spec.merchant,
    vat: receipt.taxTotal.value === spec.tax,
  }
}
