import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeAllowedNetworks } from '../src/connections/network-settings.ts'
import { DATABASE_KINDS } from './support/databases.ts'
import { createDocumentsFixture, type DocumentsFixture, documentsClient } from './support/documents.ts'
import { type FakeOcrService, startFakeOcrService } from './support/fake-ocr-service.ts'
import { type RenderedReceipt, receiptSpec, renderReceipt } from './support/receipt-generator.ts'

describe.each(DATABASE_KINDS)('the HTTP OCR engine on %s', (kind) => {
  let f: DocumentsFixture
  let service: FakeOcrService
  let api: ReturnType<typeof documentsClient>
  let receipt: RenderedReceipt

  beforeAll(async () => {
    service = await startFakeOcrService('ocr-secret')
    f = await createDocumentsFixture(kind, { httpOcrUrl: service.url })
    const ws = await f.members.workspace()
    api = documentsClient(f.app, ws, (await f.members.member(ws, 'editor')).token)
    receipt = await renderReceipt(receiptSpec(61, 'gb'))
  })
  afterAll(async () => {
    await f?.dispose()
    await service?.close()
  })

  it('sends the page as the documented JSON and parses the lines it answers', async () => {
    service.mode = 'ok'
    service.receipt = receipt
    const doc = (await api.upload('r.png', receipt.png, '&engine=http')).body
    expect(doc).toMatchObject({ status: 'needs_review', engine: 'http', textSource: 'ocr' })
    const spec = receipt.spec
    expect(doc.values).toMatchObject({
      merchant: spec.merchant,
      date: spec.date,
      total: spec.total,
      taxTotal: spec.tax,
      currency: 'GBP',
    })
    const request = service.requests.at(-1)
    expect(request).toMatchObject({
      authorization: 'Bearer ocr-secret',
      width: doc.pages[0].width,
      languages: ['eng', 'fra'],
    })
    // Boxes are the service's, in the pixels of the page image it was sent.
    expect(doc.receipt.total.source.box.width).toBeLessThanOrEqual(doc.pages[0].width)
  })

  it('records a failed reading, with a clear error, when the service breaks or answers off contract', async () => {
    service.receipt = receipt
    const doc = (await api.upload('r2.png', receipt.png, '&process=false')).body
    service.mode = 'http_500'
    const failed = (await api.call('POST', `/${doc.id}/process`, { engine: 'http' })).body
    expect(failed).toMatchObject({
      status: 'failed',
      receipt: null,
      error: { code: 'ocr_failed', message: 'The OCR service answered HTTP 500' },
    })
    service.mode = 'bad_json'
    const offContract = (await api.call('POST', `/${doc.id}/process`, { engine: 'http' })).body
    expect(offContract.error.message).toMatch(/not the documented JSON/)
    // Reading again once the service is back gives the receipt.
    service.mode = 'ok'
    const again = (await api.call('POST', `/${doc.id}/process`, { engine: 'http' })).body
    expect(again).toMatchObject({ status: 'needs_review', error: null, values: { total: receipt.spec.total } })
  })

  it('goes through the outbound policy: a loopback service is refused once the allow-list no longer has it', async () => {
    service.mode = 'ok'
    const before = service.requests.length
    await writeAllowedNetworks(f.database.db, [])
    try {
      const doc = (await api.upload('r3.png', receipt.png, '&engine=http')).body
      expect(doc).toMatchObject({ status: 'failed', error: { code: 'ocr_failed' } })
      expect(doc.error.message).toMatch(/network policy/)
      expect(service.requests.length).toBe(before)
    } finally {
      await writeAllowedNetworks(f.database.db, ['127.0.0.0/8', '::1/128'])
    }
  })
})

describe.each(DATABASE_KINDS)('auto-accepting sure receipts on %s', (kind) => {
  let f: DocumentsFixture
  let service: FakeOcrService
  let api: ReturnType<typeof documentsClient>

  beforeAll(async () => {
    service = await startFakeOcrService('ocr-secret')
    f = await createDocumentsFixture(kind, {
      httpOcrUrl: service.url,
      service: { defaultEngine: 'http', autoAcceptConfidence: 0.8 },
    })
    const ws = await f.members.workspace()
    api = documentsClient(f.app, ws, (await f.members.member(ws, 'editor')).token)
  })
  afterAll(async () => {
    await f?.dispose()
    await service?.close()
  })

  it('marks a receipt reviewed only when merchant, date and total are all sure and nothing is off', async () => {
    const sure = await renderReceipt(receiptSpec(70, 'fr'))
    service.receipt = sure
    const accepted = (await api.upload('sure.png', sure.png)).body
    expect(accepted).toMatchObject({ status: 'reviewed', reviewedBy: null, lowConfidence: [] })
    // The same receipt again is a duplicate: it waits for a person.
    const duplicate = (await api.upload('sure-again.png', sure.png)).body
    expect(duplicate.status).toBe('needs_review')
    // A receipt without a readable total line never skips review, whatever the engine's confidence.
    const noTotal = await renderReceipt(receiptSpec(71, 'fr'))
    service.receipt = { ...noTotal, lines: noTotal.lines.filter((l) => !/TOTAL TTC/.test(l.text)) }
    const unsure = (await api.upload('unsure.png', noTotal.png)).body
    expect(unsure.status).toBe('needs_review')
    expect(unsure.lowConfidence).toContain('total')
  })
})
