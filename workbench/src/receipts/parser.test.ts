import { describe, expect, it } from 'vitest'
import type { OcrResult } from '../documents/ocr/types.ts'
import { findAmounts, findRate } from './amounts.ts'
import { findDates } from './dates.ts'
import { merchantKey, parseReceipt } from './parser.ts'
import { noRules } from './types.ts'

/** OCR output for printed lines: one line per row, 30 px apart, the first one taller (a bold name). */
function ocr(text: string, confidence = 0.95): OcrResult {
  const lines = text
    .trim()
    .split('\n')
    .map((t, i) => ({
      text: t.trim(),
      box: { x: 20, y: 20 + i * 30, width: 400, height: i === 0 ? 30 : 20 },
      confidence,
      words: [],
    }))
  return {
    engine: 'test',
    source: 'ocr',
    pages: [{ page: 1, width: 500, height: 40 + lines.length * 30, rotation: 0, text, lines, confidence }],
    text,
    confidence,
    seconds: 0,
  }
}

describe('amounts', () => {
  it('reads French, English and thousands-separated amounts, with their currency', () => {
    expect(findAmounts('TOTAL TTC 1 234,56 EUR').map((a) => [a.value, a.currency])).toEqual([[1234.56, 'EUR']])
    expect(findAmounts('Subtotal $1,234.50').map((a) => [a.value, a.currency])).toEqual([[1234.5, 'USD']])
    expect(findAmounts('Total 1.234,56 €').map((a) => a.value)).toEqual([1234.56])
    expect(findAmounts('VAT 20% £6.38').map((a) => a.value)).toEqual([6.38])
    expect(findAmounts('2 x 3,50 7,00').map((a) => a.value)).toEqual([3.5, 7])
  })

  it('does not take dates, times, percentages or long numbers for amounts', () => {
    expect(findAmounts('Le 12.03.2026 à 14:32')).toEqual([])
    expect(findAmounts('TVA 20,00%')).toEqual([])
    expect(findAmounts('SIRET 412 345 678 00021')).toEqual([])
    expect(findRate('TVA 5,5 % 0,52')?.value).toBe(5.5)
    expect(findRate('Sales Tax 8.875% $1.23')?.value).toBe(8.875)
  })
})

describe('dates', () => {
  it('reads a date valid both ways in the order given, and one valid one way whatever the order', () => {
    expect(findDates('12/03/2026 14:32', 'dmy')[0]).toMatchObject({ value: '2026-03-12', certainty: 'order' })
    expect(findDates('12/03/2026 14:32', 'mdy')[0]).toMatchObject({ value: '2026-12-03', certainty: 'order' })
    expect(findDates('25/03/2026', 'mdy')[0]).toMatchObject({ value: '2026-03-25', certainty: 'unambiguous' })
    expect(findDates('03/25/2026', 'dmy')[0]).toMatchObject({ value: '2026-03-25', certainty: 'unambiguous' })
  })

  it('reads ISO, two-digit years and named months in French and English', () => {
    expect(findDates('2026-03-12', 'mdy')[0]?.value).toBe('2026-03-12')
    expect(findDates('Date 12.03.26', 'dmy')[0]?.value).toBe('2026-03-12')
    expect(findDates('Le 1er février 2026', 'mdy')[0]?.value).toBe('2026-02-01')
    expect(findDates('Mar 5, 2026', 'dmy')[0]?.value).toBe('2026-03-05')
    expect(findDates('14 Feb 2026 13:25', 'mdy')[0]?.value).toBe('2026-02-14')
    expect(findDates('31/02/2026', 'dmy')).toEqual([])
  })
})

const FRENCH = `
BOULANGERIE DUPONT
4 place du Marché
69001 LYON
SIRET 412 345 678 00021
Le 05/03/2026 à 08:12
2 x 1,20
BAGUETTE TRADITION 2,40
CAFE CREME 3,50
TOTAL HT 4,92
TVA 20,00% 0,98
TOTAL TTC 5,90 EUR
CB SANS CONTACT 5,90
MERCI DE VOTRE VISITE`

describe('parseReceipt', () => {
  it('reads a French receipt: merchant, day-first date, TTC total, TVA, items and card payment', () => {
    const r = parseReceipt(ocr(FRENCH))
    expect(r.locale).toBe('fr')
    expect(r.merchant.value).toBe('BOULANGERIE DUPONT')
    expect(r.date.value).toBe('2026-03-05')
    expect(r.total.value).toBe(5.9)
    expect(r.subtotal.value).toBe(4.92)
    expect(r.taxTotal.value).toBe(0.98)
    expect(r.taxes).toMatchObject([{ rate: 20, amount: 0.98 }])
    expect(r.currency.value).toBe('EUR')
    expect(r.paymentMethod.value).toBe('card')
    expect(r.lineItems).toMatchObject([
      { description: 'BAGUETTE TRADITION', quantity: 2, unitPrice: 1.2, amount: 2.4 },
      { description: 'CAFE CREME', quantity: 1, amount: 3.5 },
    ])
    expect(r.confidence).toBeGreaterThan(0.8)
    // Every field says where it was read, for the review screen.
    expect(r.total.source).toMatchObject({ page: 1, text: 'TOTAL TTC 5,90 EUR', box: { y: 20 + 10 * 30 } })
  })

  it('reads a US receipt month-first, with sales tax added to the subtotal', () => {
    const r = parseReceipt(
      ocr(`BLUE BOTTLE COFFEE
66 Mint St
San Francisco, CA 94103
03/05/2026 09:41
Cold Brew $4.50
Bagel $3.25
Subtotal $7.75
Sales Tax 8.875% $0.69
TOTAL $8.44
VISA **** 4242 $8.44`),
    )
    expect(r.locale).toBe('en-US')
    expect(r.date.value).toBe('2026-03-05')
    expect([r.total.value, r.subtotal.value, r.taxTotal.value, r.currency.value]).toEqual([8.44, 7.75, 0.69, 'USD'])
    expect(r.warnings).toEqual([])
  })

  it('finds base and tax in a French VAT table row without a TVA keyword on it', () => {
    const r = parseReceipt(
      ocr(`MONOPRIX
Le 14/03/2026
Taux HT TVA TTC
5,50% 10,00 0,55 10,55
20,00% 5,00 1,00 6,00
TOTAL TTC 16,55`),
    )
    expect(r.taxes).toMatchObject([
      { rate: 5.5, base: 10, amount: 0.55 },
      { rate: 20, base: 5, amount: 1 },
    ])
    expect(r.taxTotal.value).toBe(1.55)
  })

  it('marks a date it could only order by the default locale as unsure, and flags totals that do not add up', () => {
    const r = parseReceipt(
      ocr(`ACME
04/05/2026
Subtotal 10.00
Tax 1.00
Total 12.00`),
      { defaultLocale: 'en-GB' },
    )
    expect(r.date.value).toBe('2026-05-04')
    expect(r.date.confidence).toBeLessThan(0.8)
    expect(r.warnings.join(' ')).toMatch(/does not equal the total/)
  })

  it('takes the largest amount when no total line was read, with a confidence that forces review', () => {
    const r = parseReceipt(ocr('SHOP\n12/03/2026\nThing 3.00\nOther 9.50'))
    expect(r.total.value).toBe(9.5)
    expect(r.total.confidence).toBeLessThan(0.5)
    expect(r.confidence).toBeLessThan(0.5)
  })

  it('uses learned rules: a merchant alias and a per-merchant date order', () => {
    const text = 'B0ULANG. DUP0NT\n4 place du Marche\n05/03/2026\nTotal 5,90'
    const plain = parseReceipt(ocr(text))
    expect(plain.merchant.value).toBe('B0ULANG. DUP0NT')
    const rules = {
      ...noRules,
      merchantAliases: { [merchantKey('B0ULANG. DUP0NT')]: 'Boulangerie Dupont' },
      dateOrder: { [merchantKey('Boulangerie Dupont')]: 'mdy' as const },
    }
    const taught = parseReceipt(ocr(text), { rules })
    expect(taught.merchant.value).toBe('Boulangerie Dupont')
    expect(taught.date.value).toBe('2026-05-03')
    expect(taught.date.confidence).toBeGreaterThan(0.8)
  })

  it('lowers every confidence with the engine confidence of the text', () => {
    const sure = parseReceipt(ocr(FRENCH, 0.95))
    const unsure = parseReceipt(ocr(FRENCH, 0.3))
    expect(unsure.total.value).toBe(5.9)
    expect(unsure.total.confidence).toBeLessThan(sure.total.confidence)
    expect(unsure.confidence).toBeLessThan(0.8)
  })
})
