import { describe, expect, it } from 'vitest'
import { TesseractEngine } from '../src/documents/ocr/tesseract.ts'
import { createToolRunner } from '../src/documents/tool-runner.ts'
import { textPdf } from './support/pdf-writer.ts'
import { type Degradation, degrade, photograph } from './support/receipt-degrade.ts'
import { RECEIPT_FONTS, receiptSpec, renderReceipt } from './support/receipt-generator.ts'
import { characterErrorRate, fieldMatches, readReceipt } from './support/receipt-scoring.ts'

const runner = createToolRunner('bwrap')
const engine = new TesseractEngine(runner)

/** One degradation per font: every font meets every kind of damage once across the table. */
const CASES: [string, Degradation][] = [
  ['rotated 2°', { rotate: 2 }],
  ['blurred', { blur: 0.9 }],
  ['low contrast', { contrast: 0.45 }],
  ['downscaled to 70 %', { scale: 0.7 }],
  ['rotated and blurred', { rotate: -1.5, blur: 0.6 }],
  ['JPEG at quality 60', { jpegQuality: 60 }],
]

describe('receipt OCR with real Tesseract on generated receipts', () => {
  it.each(CASES.map(([name, d], i) => [name, RECEIPT_FONTS[i] as string, d, i] as const))(
    'reads the date, total, merchant and VAT of a %s receipt in %s',
    async (_name, font, degradation, i) => {
      const rendered = await renderReceipt(receiptSpec(400 + i, (['fr', 'gb', 'us'] as const)[i % 3]), { font })
      const out = await readReceipt(runner, engine, await degrade(rendered.png, degradation))
      expect(fieldMatches(out.receipt, rendered.spec)).toEqual({ date: true, total: true, merchant: true, vat: true })
      expect(characterErrorRate(out.ocr.text, rendered.text)).toBeLessThan(0.03)
    },
  )

  it('turns an upside-down receipt the right way up (orientation detection) and reads it', async () => {
    const rendered = await renderReceipt(receiptSpec(77, 'fr'), { font: 'Liberation Sans' })
    const out = await readReceipt(runner, engine, await degrade(rendered.png, { rotate: 180 }))
    expect(out.ocr.pages[0]?.rotation).toBe(180)
    expect(out.receipt.total.value).toBe(rendered.spec.total)
    expect(out.receipt.date.value).toBe(rendered.spec.date)
  })

  it('still reads the total of a photographed-looking receipt (perspective, shadow, creases, noise)', async () => {
    const rendered = await renderReceipt(receiptSpec(1000), { font: RECEIPT_FONTS[0] })
    const out = await readReceipt(runner, engine, await photograph(rendered.png, 1000))
    expect(out.receipt.total.value).toBe(rendered.spec.total)
    expect(characterErrorRate(out.ocr.text, rendered.text)).toBeLessThan(0.3)
  })

  it('reads a text-layer PDF from its text, exactly, with word boxes', async () => {
    const rendered = await renderReceipt(receiptSpec(12, 'fr'))
    const out = await readReceipt(runner, engine, textPdf(rendered.lines.map((l) => l.text)))
    expect(out.ocr).toMatchObject({ source: 'pdf_text', confidence: 1 })
    expect(characterErrorRate(out.ocr.pages.map((p) => p.text).join('\n'), rendered.text)).toBe(0)
    expect(fieldMatches(out.receipt, rendered.spec)).toEqual({ date: true, total: true, merchant: true, vat: true })
    const word = out.ocr.pages[0]?.lines[0]?.words[0]
    expect(word?.box.width).toBeGreaterThan(0)
  })
})
