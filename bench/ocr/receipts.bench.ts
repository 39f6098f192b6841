import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { TesseractEngine } from '../../workbench/src/documents/ocr/tesseract.ts'
import { createToolRunner } from '../../workbench/src/documents/tool-runner.ts'
import { scannedPdf, textPdf } from '../../workbench/test/support/pdf-writer.ts'
import { cleanDegradation, degrade, photograph } from '../../workbench/test/support/receipt-degrade.ts'
import {
  RECEIPT_FONTS,
  type RenderedReceipt,
  receiptSpec,
  renderReceipt,
} from '../../workbench/test/support/receipt-generator.ts'
import { characterErrorRate, fieldMatches, readReceipt } from '../../workbench/test/support/receipt-scoring.ts'
import type { BenchResult } from '../harness.ts'

/** Receipts per set (OCR_BENCH_N overrides; the photographed and PDF sets are smaller). */
const N = Number(process.env.OCR_BENCH_N) || 50

interface Sample {
  receipt: RenderedReceipt
  bytes: Buffer
  /** The PNG the baseline reads (what a user would hand plain Tesseract). */
  image: Buffer | null
}

/**
 * Receipt OCR on generated receipts (French, British and US; six fonts), per set: the clean set (mild rotation,
 * blur, low contrast, downscaling), the photographed-looking set (perspective, shadow, creases, noise, JPEG),
 * text-layer PDFs and scanned PDFs. For each: character error rate, exact match of date, total, merchant and VAT,
 * and seconds per page of our pipeline (prepare + sandboxed Tesseract + parse) against plain `tesseract <image>
 * stdout` on the same image in the same run (the baseline; no sandbox, no parsing).
 * Targets on the clean set: date and total ≥ 98 %, CER ≤ 2 %, ≤ 2 s per page.
 */
export default async function ocrReceipts(): Promise<BenchResult[]> {
  const runner = createToolRunner('bwrap')
  const engine = new TesseractEngine(runner)
  const work = await mkdtemp(path.join(os.tmpdir(), 'wb-bench-ocr-'))
  const results: BenchResult[] = []
  try {
    const render = (i: number) =>
      renderReceipt(receiptSpec(5000 + i), { font: RECEIPT_FONTS[i % RECEIPT_FONTS.length] })
    const sets: [string, number, (i: number) => Promise<Sample>][] = [
      [
        'clean',
        N,
        async (i) => {
          const receipt = await render(i)
          const bytes = await degrade(receipt.png, cleanDegradation(5000 + i))
          return { receipt, bytes, image: bytes }
        },
      ],
      [
        'photographed',
        Math.ceil(N / 2),
        async (i) => {
          const receipt = await render(i)
          const bytes = await photograph(receipt.png, 5000 + i)
          return { receipt, bytes, image: bytes }
        },
      ],
      [
        'pdf-text',
        Math.ceil(N / 5),
        async (i) => {
          const receipt = await render(i)
          return { receipt, bytes: textPdf(receipt.lines.map((l) => l.text)), image: null }
        },
      ],
      [
        'pdf-scanned',
        Math.ceil(N / 5),
        async (i) => {
          const receipt = await render(i)
          return { receipt, bytes: await scannedPdf(receipt.png), image: receipt.png }
        },
      ],
    ]
    for (const [set, count, make] of sets) {
      let cer = 0
      let seconds = 0
      let baseline = 0
      let pages = 0
      const hits = { date: 0, total: 0, merchant: 0, vat: 0 }
      for (let i = 0; i < count; i++) {
        const sample = await make(i)
        const out = await readReceipt(runner, engine, sample.bytes)
        cer += characterErrorRate(out.ocr.text, sample.receipt.text)
        seconds += out.seconds
        pages += out.pages
        const m = fieldMatches(out.receipt, sample.receipt.spec)
        for (const k of Object.keys(hits) as (keyof typeof hits)[]) if (m[k]) hits[k]++
        baseline += sample.image ? plainTesseract(work, sample.image) : out.seconds
      }
      const pct = (n: number) => `${((100 * n) / count).toFixed(1)}%`
      results.push({
        name: `ocr/${set} ${set.startsWith('pdf-text') ? 'pdftotext' : 'tesseract'} seconds per page vs plain tesseract CLI`,
        ours: seconds / pages,
        baseline: baseline / pages,
        unit: 's',
        notes: {
          n: count,
          cer: `${((100 * cer) / count).toFixed(2)}%`,
          date: pct(hits.date),
          total: pct(hits.total),
          merchant: pct(hits.merchant),
          vat: pct(hits.vat),
          loadavg: os.loadavg()[0]?.toFixed(1) ?? '?',
        },
      })
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  return results
}

/** Seconds plain Tesseract takes on the image (default settings, English + French). */
function plainTesseract(dir: string, image: Buffer): number {
  const file = path.join(dir, 'plain.png')
  writeFileSync(file, image)
  const started = performance.now()
  const res = spawnSync('tesseract', [file, 'stdout', '-l', 'eng+fra'], {
    env: { PATH: process.env.PATH, OMP_THREAD_LIMIT: '1' },
    encoding: 'utf8',
  })
  if (res.status !== 0) throw new Error(`tesseract failed: ${res.stderr}`)
  return (performance.now() - started) / 1000
}
