import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { crc32 } from 'node:zlib'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DATABASE_KINDS } from './support/databases.ts'
import { createDocumentsFixture, type DocumentsFixture, documentsClient } from './support/documents.ts'
import { scannedPdf, textPdf, writePdf } from './support/pdf-writer.ts'
import { type RenderedReceipt, receiptSpec, renderReceipt } from './support/receipt-generator.ts'

/** A PNG whose header claims `width`×`height` pixels (the pixel data is a 1×1 image's). */
async function claimedPng(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } })
      .png()
      .toBuffer(),
  )
  png.writeUInt32BE(width, 16)
  png.writeUInt32BE(height, 20)
  png.writeUInt32BE(crc32(png.subarray(12, 29)) >>> 0, 29)
  return png
}

const blank = () =>
  sharp({ create: { width: 600, height: 800, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer()

describe.each(DATABASE_KINDS)('documents API on %s', (kind) => {
  let f: DocumentsFixture
  let ws: string
  let api: ReturnType<typeof documentsClient>
  let viewer: ReturnType<typeof documentsClient>
  let outsider: ReturnType<typeof documentsClient>
  let french: RenderedReceipt

  beforeAll(async () => {
    f = await createDocumentsFixture(kind, {
      limits: { maxBytes: 4 * 1024 * 1024, maxPages: 3, maxPixels: 20_000_000 },
    })
    ws = await f.members.workspace()
    const other = await f.members.workspace()
    api = documentsClient(f.app, ws, (await f.members.member(ws, 'editor')).token)
    viewer = documentsClient(f.app, ws, (await f.members.member(ws, 'viewer')).token)
    outsider = documentsClient(f.app, ws, (await f.members.member(other, 'owner')).token)
    french = await renderReceipt(receiptSpec(8, 'fr'), { font: 'DejaVu Sans' })
  })
  afterAll(async () => f?.dispose())

  const documentFolders = () => {
    const dir = path.join(f.dataDir, 'workspaces', ws, 'data', 'documents')
    return existsSync(dir) ? readdirSync(dir) : []
  }

  it('reads an uploaded receipt photo into fields with confidences and boxes, waiting for review', async () => {
    const res = await api.upload('ticket.png', french.png)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const doc = res.body
    const spec = french.spec
    expect(doc).toMatchObject({
      kind: 'image',
      mime: 'image/png',
      status: 'needs_review',
      engine: 'tesseract',
      textSource: 'ocr',
    })
    expect(doc.values).toMatchObject({
      merchant: spec.merchant,
      date: spec.date,
      total: spec.total,
      taxTotal: spec.tax,
      currency: 'EUR',
    })
    expect(doc.receipt.taxes[0]).toMatchObject({ rate: spec.taxRate, amount: spec.tax })
    expect(doc.receipt.lineItems.map((i: { amount: number }) => i.amount)).toEqual(spec.items.map((i) => i.amount))
    // The total's box lies on the page image, on the line that says TOTAL TTC.
    const { box, page, text } = doc.receipt.total.source
    expect(text).toMatch(/TOTAL TTC/)
    const pageInfo = doc.pages[page - 1]
    expect(box.x + box.width).toBeLessThanOrEqual(pageInfo.width)
    expect(box.y + box.height).toBeLessThanOrEqual(pageInfo.height)
    const pageImage = await api.call('GET', `/${doc.id}/pages/1`)
    expect(pageImage.type).toBe('image/png')
    expect((await sharp(pageImage.body).metadata()).width).toBe(pageInfo.width)
    const thumb = await api.call('GET', `/${doc.id}/thumbnail`)
    expect((await sharp(thumb.body).metadata()).width).toBeLessThanOrEqual(320)
    const ocr = await api.call('GET', `/${doc.id}/ocr`)
    expect(ocr.body.pages[0].lines.length).toBeGreaterThan(10)
    expect(ocr.body.pages[0].lines[0].words[0]).toMatchObject({
      text: expect.any(String),
      confidence: expect.any(Number),
    })
    // Viewers read; only editors upload; other workspaces see nothing.
    expect((await viewer.call('GET', `/${doc.id}`)).status).toBe(200)
    expect((await viewer.upload('x.png', french.png)).status).toBe(403)
    expect((await outsider.call('GET', `/${doc.id}`)).status).toBe(404)
  })

  it('flags the same file and the same receipt photographed again as duplicates', async () => {
    const first = (await api.upload('a.png', french.png)).body
    const again = (await api.upload('a-again.png', french.png)).body
    expect(again.duplicates).toContainEqual({ documentId: first.id, name: 'a.png', reason: 'same_file' })
    const otherFont = await renderReceipt(french.spec, { font: 'Liberation Mono' })
    const reshot = (await api.upload('b.png', otherFont.png)).body
    expect(reshot.sha256).not.toBe(first.sha256)
    expect(reshot.duplicates).toContainEqual({ documentId: first.id, name: 'a.png', reason: 'same_receipt' })
  })

  it('reads a text-layer PDF from its text and a scanned PDF by OCR', async () => {
    const spec = receiptSpec(21, 'gb')
    const rendered = await renderReceipt(spec, { font: 'Liberation Sans' })
    const text = (await api.upload('text.pdf', textPdf(rendered.lines.map((l) => l.text)))).body
    expect(text).toMatchObject({ kind: 'pdf', textSource: 'pdf_text', engine: 'pdftotext', ocrConfidence: 1 })
    expect(text.values).toMatchObject({
      merchant: spec.merchant,
      date: spec.date,
      total: spec.total,
      taxTotal: spec.tax,
      currency: 'GBP',
    })
    const scanned = (await api.upload('scan.pdf', await scannedPdf(rendered.png))).body
    expect(scanned).toMatchObject({ kind: 'pdf', textSource: 'ocr', engine: 'tesseract', status: 'needs_review' })
    expect(scanned.values).toMatchObject({ date: spec.date, total: spec.total, taxTotal: spec.tax })
  })

  it('answers "no text found" with the engine confidence for a blank page, never an empty receipt', async () => {
    const res = await api.upload('blank.png', await blank())
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ status: 'no_text', receipt: null, values: null, error: { code: 'no_text_found' } })
    expect(res.body.error.message).toMatch(/^No text found \(tesseract confidence \d\.\d\d\)$/)
    const review = await api.call('POST', `/${res.body.id}/review`, { accept: true })
    expect(review.status).toBe(409)
    await expect(f.documents.reviewedReceipt(ws, res.body.id)).rejects.toMatchObject({ code: 'receipt_not_reviewed' })
  })

  it('refuses bad documents with stable codes and keeps nothing of them', async () => {
    const before = documentFolders().length
    const cases: [string, Uint8Array, number, string][] = [
      ['notes.txt', Buffer.from('just some text, not a receipt'), 415, 'unsupported_document'],
      ['huge.png', await claimedPng(100_000, 100_000), 413, 'too_many_pixels'],
      ['broken.png', french.png.subarray(0, 200), 422, 'unreadable_document'],
      ['big.png', Buffer.alloc(5 * 1024 * 1024, 1), 413, 'document_too_large'],
      [
        'long.pdf',
        writePdf([1, 2, 3, 4].map((n) => ({ kind: 'text' as const, lines: [`page ${n}`] }))),
        413,
        'too_many_pages',
      ],
      ['empty.pdf', Buffer.alloc(0), 400, 'empty_document'],
    ]
    for (const [name, bytes, status, code] of cases) {
      const res = await api.upload(name, bytes)
      expect([name, res.status, res.body.code]).toEqual([name, status, code])
    }
    expect(documentFolders().length).toBe(before)
    const list = await api.call('GET', '')
    expect(list.body.documents.map((d: { name: string }) => d.name)).not.toContain('huge.png')
  })

  it('never auto-submits: corrections are saved, taught as rules, and the receipt is then reviewed', async () => {
    // A receipt whose date is ambiguous and whose locale the text does not tell: it must wait for review.
    const spec = {
      ...receiptSpec(33, 'us'),
      merchant: 'ACME HARDWARE',
      date: '2026-03-04',
      dateFormat: 'numeric' as const,
    }
    const rendered = await renderReceipt(spec, { font: 'DejaVu Sans Mono' })
    const doc = (await api.upload('acme.png', rendered.png)).body
    expect(doc.status).toBe('needs_review')
    expect(doc.values.date).toBe('2026-03-04')
    // The reviewer says this merchant prints day first, and renames it.
    const review = await api.call('POST', `/${doc.id}/review`, {
      corrections: { merchant: 'Acme Hardware Ltd', date: '2026-04-03' },
      accept: true,
    })
    expect(review.status, JSON.stringify(review.body)).toBe(200)
    expect(review.body).toMatchObject({
      status: 'reviewed',
      values: { merchant: 'Acme Hardware Ltd', date: '2026-04-03' },
    })
    expect(review.body.reviewedBy).toEqual(expect.any(String))
    expect(await f.documents.reviewedReceipt(ws, doc.id)).toMatchObject({
      merchant: 'Acme Hardware Ltd',
      total: spec.total,
    })
    const rules = (await api.call('GET', '/rules')).body
    expect(rules.merchantAliases).toMatchObject({ 'acme hardware': 'Acme Hardware Ltd' })
    expect(rules.dateOrder).toMatchObject({ 'acme hardware ltd': 'dmy' })
    // The next receipt from that merchant is read with what was taught.
    const next = (
      await api.upload('acme-2.png', (await renderReceipt({ ...spec, date: '2026-05-06', total: 9.99 })).png)
    ).body
    expect(next.values).toMatchObject({ merchant: 'Acme Hardware Ltd', date: '2026-06-05' })
    expect(next.receipt.date.confidence).toBeGreaterThanOrEqual(0.8)
    // A reviewed receipt is final; accepting one without a total is refused.
    expect((await api.call('POST', `/${doc.id}/review`, { accept: true })).status).toBe(409)
    const incomplete = await api.call('POST', `/${next.id}/review`, { corrections: { total: null }, accept: true })
    expect([incomplete.status, incomplete.body.code]).toEqual([422, 'receipt_incomplete'])
    const badDate = await api.call('POST', `/${next.id}/review`, { corrections: { date: '06/05/2026' } })
    expect(badDate.status).toBe(400)
  })

  it('deletes a document and its images; unknown engines are refused', async () => {
    const doc = (await api.upload('c.png', french.png, '&process=false')).body
    expect(doc.status).toBe('uploaded')
    const bad = await api.call('POST', `/${doc.id}/process`, { engine: 'nope' })
    expect([bad.status, bad.body.code]).toEqual([400, 'unknown_engine'])
    expect((await api.call('DELETE', `/${doc.id}`)).status).toBe(204)
    expect(documentFolders()).not.toContain(doc.id)
    expect((await api.call('GET', `/${doc.id}`)).status).toBe(404)
  })
})
