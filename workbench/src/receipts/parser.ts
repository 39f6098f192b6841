import type { OcrResult } from '../documents/ocr/types.ts'
import { type AmountToken, cents, currenciesIn, findAmounts, findRate } from './amounts.ts'
import { findDates } from './dates.ts'
import type {
  FieldSource,
  LearnedRules,
  LineItem,
  ParsedReceipt,
  PaymentMethod,
  ReceiptField,
  ReceiptLocale,
  TaxLine,
} from './types.ts'
import { noRules } from './types.ts'

export interface ParseOptions {
  /** The locale assumed when the text does not tell (default `fr`). */
  defaultLocale: ReceiptLocale
  rules: LearnedRules
}

interface Line {
  text: string
  /** Accent-free upper case, for keywords. */
  key: string
  page: number
  index: number
  box: FieldSource['box']
  confidence: number
  amounts: AmountToken[]
}

const upperFold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toUpperCase()

/** Normalised key of a merchant name or the text read for it: lower case, no accents, letters and digits only. */
export function merchantKey(s: string): string {
  return upperFold(s)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
}

const TOTAL_STRONG =
  /\b(TOTAL\s*T\.?T\.?C|MONTANT\s*T\.?T\.?C|NET\s*A\s*PAYER|A\s*PAYER|GRAND\s*TOTAL|AMOUNT\s*DUE|BALANCE\s*DUE|TOTAL\s*DUE|TOTAL\s*A\s*PAYER)\b/
const TOTAL_PLAIN = /\bTOTAL\b|\bMONTANT\b/
const NOT_TOTAL =
  /SOUS[\s-]*TOTAL|SUB[\s-]*TOTAL|TOTAL\s*H\.?T\b|TOTAL\s*(TVA|VAT|TAX)|TOTAL\s*(ITEMS|ARTICLES|QTY)|NB\s*ARTICLES|REMISE|DISCOUNT|ECONOMIE|SAVING/
const SUBTOTAL = /SOUS[\s-]*TOTAL|SUB[\s-]*TOTAL|TOTAL\s*H\.?T\b|MONTANT\s*H\.?T\b|NET\s*AMOUNT/
const TAX = /\b(TVA|T\.V\.A|VAT|TAX|SALES\s*TAX|GST|HST|PST)\b/
const PAYMENT: [RegExp, PaymentMethod][] = [
  [
    /\b(CB|CARTE|VISA|MASTERCARD|MASTER\s*CARD|AMEX|AMERICAN\s*EXPRESS|MAESTRO|CARD|CONTACTLESS|SANS\s*CONTACT|DEBIT|CREDIT|APPLE\s*PAY|GOOGLE\s*PAY)\b/,
    'card',
  ],
  [/\b(ESPECES|CASH|LIQUIDE)\b/, 'cash'],
  [/\b(CHEQUE|CHECK)\b/, 'cheque'],
  [/\b(VIREMENT|TRANSFER|BANK\s*TRANSFER)\b/, 'transfer'],
]
const NOT_MERCHANT =
  /\b(RUE|AVENUE|AVE|BD|BOULEVARD|PLACE|QUAI|COURS|STREET|ST|ROAD|RD|TEL|TEL\.|PHONE|SIRET|SIREN|TVA|VAT|NO|TICKET|CAISSE|RECEIPT|FACTURE|INVOICE|WWW|HTTP|DATE)\b|@|\d{5}/
const NON_ITEM = new RegExp(
  [
    TOTAL_PLAIN.source,
    SUBTOTAL.source,
    TAX.source,
    String.raw`\b(RENDU|CHANGE|MONNAIE|TIP|POURBOIRE)\b`,
    ...PAYMENT.map(([re]) => re.source),
  ].join('|'),
)

function toLines(ocr: OcrResult): Line[] {
  const lines: Line[] = []
  for (const page of ocr.pages)
    for (const l of page.lines) {
      const text = l.text.replace(/\s+/g, ' ').trim()
      if (!text) continue
      lines.push({
        text,
        key: upperFold(text),
        page: page.page,
        index: lines.length,
        box: l.box,
        confidence: l.confidence,
        amounts: findAmounts(text),
      })
    }
  return lines
}

const source = (l: Line): FieldSource => ({ page: l.page, box: l.box, text: l.text })
/** A parser score (how sure the rule is) combined with the engine's confidence in the text it read. */
const combine = (score: number, ocr: number) => Math.round(Math.min(1, score) * (0.4 + 0.6 * ocr) * 1000) / 1000
const none = <T>(): ReceiptField<T> => ({ value: null, confidence: 0, source: null })

/**
 * The receipt's locale from its words and currency. `strong` when the evidence leaves no doubt about the
 * day/month order (French words, or English words with £/VAT or $/a US state and ZIP code).
 */
function detectLocale(lines: Line[], fallback: ReceiptLocale): { locale: ReceiptLocale; strong: boolean } {
  const all = lines.map((l) => l.key).join('\n')
  const count = (re: RegExp) => (all.match(re) ?? []).length
  const fr = count(/\b(TVA|TTC|HT|ESPECES|CB|MERCI|SIRET|RUE|TEL|CARTE|LE \d|A PAYER|MONTANT)\b/g)
  const en = count(/\b(VAT|SUBTOTAL|TAX|THANK|CHANGE|CASH|CARD|STREET|TOTAL DUE|AMOUNT)\b/g)
  if (fr === 0 && en === 0) return { locale: fallback, strong: false }
  const currencies = currenciesIn(all)
  if (fr > en) return { locale: 'fr', strong: fr >= 2 && (currencies[0] ?? 'EUR') === 'EUR' }
  const us = currencies[0] === 'USD' || /SALES\s*TAX|, [A-Z]{2} \d{5}/.test(all)
  const gb = currencies[0] === 'GBP' || /\bVAT\b/.test(all)
  if (us && !gb) return { locale: 'en-US', strong: en >= 1 }
  if (gb && !us) return { locale: 'en-GB', strong: en >= 1 }
  return { locale: fallback.startsWith('en') ? fallback : 'en-GB', strong: false }
}

function findMerchant(lines: Line[], rules: LearnedRules): ReceiptField<string> {
  const head = lines.slice(0, 8)
  for (const l of head) {
    const alias = rules.merchantAliases[merchantKey(l.text)]
    if (alias) return { value: alias, confidence: combine(0.99, l.confidence), source: source(l) }
  }
  const heights = head.map((l) => l.box.height).sort((a, b) => a - b)
  const median = heights[Math.floor(heights.length / 2)] ?? 1
  let best: { line: Line; score: number } | undefined
  for (const [i, l] of head.entries()) {
    const letters = (l.text.match(/\p{L}/gu) ?? []).length
    if (letters < 3 || l.amounts.length > 0 || findDates(l.text, 'dmy').length > 0) continue
    if (NOT_MERCHANT.test(l.key) || /^\W*(merci|thank|bienvenue|welcome)/i.test(l.text)) continue
    // The name is printed first, and usually larger or bolder than the address under it.
    let score = 0.8 - i * 0.15
    if (l.box.height >= median * 1.1) score += 0.15
    if (l.text === l.text.toUpperCase()) score += 0.05
    if (!best || score > best.score) best = { line: l, score }
  }
  if (!best) return none()
  const value = best.line.text.replace(/[\s*=_\-.:]+$/g, '').replace(/^[\s*=_\-.:]+/g, '')
  return { value, confidence: combine(best.score, best.line.confidence), source: source(best.line) }
}

/**
 * The receipt's date. A numeric date valid both ways is as sure as what chose its order: a per-merchant rule
 * learned from corrections or a locale beyond doubt (0.93), or only the default locale (0.72: review).
 */
function findDate(lines: Line[], order: 'dmy' | 'mdy', learned: boolean): ReceiptField<string> {
  let best: { line: Line; value: string; score: number } | undefined
  for (const l of lines) {
    for (const d of findDates(l.text, order)) {
      let score = d.certainty === 'unambiguous' ? 0.97 : learned ? 0.93 : 0.72
      if (/\b(DATE|LE|LE\s\d|LE:)\b/.test(l.key)) score += 0.02
      if (/\b(EXP|VALID|VALABLE|ECHEANCE|DUE)\b/.test(l.key)) score -= 0.3
      if (!best || score > best.score) best = { line: l, value: d.value, score }
    }
  }
  if (!best) return none()
  return { value: best.value, confidence: combine(best.score, best.line.confidence), source: source(best.line) }
}

/** The day/month order: a learned per-merchant preference, then the locale and currency. */
function dateOrder(locale: ReceiptLocale, merchant: string | null, rules: LearnedRules) {
  const learned = merchant ? rules.dateOrder[merchantKey(merchant)] : undefined
  if (learned) return { order: learned, learned: true }
  return { order: locale === 'en-US' ? ('mdy' as const) : ('dmy' as const), learned: false }
}

function lastAmount(l: Line | undefined): AmountToken | undefined {
  return l?.amounts[l.amounts.length - 1]
}

function findTotals(lines: Line[]) {
  let total: { line: Line; amount: AmountToken; score: number } | undefined
  let subtotal: { line: Line; amount: AmountToken; score: number } | undefined
  for (const [i, l] of lines.entries()) {
    const amount = lastAmount(l) ?? (l.amounts.length === 0 ? lines[i + 1]?.amounts[0] : undefined)
    if (!amount) continue
    if (SUBTOTAL.test(l.key)) {
      if (!subtotal) subtotal = { line: l, amount, score: 0.9 }
      continue
    }
    if (NOT_TOTAL.test(l.key)) continue
    const score = TOTAL_STRONG.test(l.key) ? 0.95 : TOTAL_PLAIN.test(l.key) && !TAX.test(l.key) ? 0.85 : 0
    // The strongest keyword wins; among equals the first (a reprinted total further down is usually the same).
    if (score > 0 && (!total || score > total.score)) total = { line: l, amount, score }
  }
  return { total, subtotal }
}

function findTaxes(lines: Line[], total: number | null): TaxLine[] {
  const taxes: TaxLine[] = []
  for (const l of lines) {
    if (TOTAL_STRONG.test(l.key) && !TAX.test(l.key)) continue
    const rate = findRate(l.text)
    const keyword = TAX.test(l.key) && !/\b(TTC|INCL\w*)\s*$/.test(l.key)
    const amounts = l.amounts.filter((a) => !rate || a.end <= rate.start || a.start >= rate.end).map((a) => a.value)
    if (!keyword && !(rate && amounts.length >= 2)) continue
    if (amounts.length === 0) continue
    let picked: TaxLine | undefined
    if (rate)
      for (const base of amounts)
        for (const tax of amounts)
          if (tax < base && Math.abs(cents((base * rate.value) / 100) - tax) <= 0.02 + base * 0.0005)
            picked ??= {
              rate: rate.value,
              amount: tax,
              base,
              confidence: combine(0.97, l.confidence),
              source: source(l),
            }
    if (!picked && keyword) {
      const amount = amounts[amounts.length - 1] as number
      if (total !== null && amount >= total) continue
      picked = {
        rate: rate?.value ?? null,
        amount,
        base: null,
        confidence: combine(rate ? 0.85 : 0.7, l.confidence),
        source: source(l),
      }
    }
    if (picked) taxes.push(picked)
  }
  return taxes
}

function findPayment(lines: Line[]): ReceiptField<PaymentMethod> {
  for (const l of [...lines].reverse())
    for (const [re, method] of PAYMENT)
      if (re.test(l.key)) return { value: method, confidence: combine(0.9, l.confidence), source: source(l) }
  return none()
}

function findItems(lines: Line[], start: number, end: number): LineItem[] {
  const items: LineItem[] = []
  let pending: { quantity: number; unitPrice: number } | undefined
  for (const l of lines.slice(start, end)) {
    const qty = /^\s*(\d{1,3})\s*[xX*]\s*/.exec(l.text)
    const unitOnly = qty && l.amounts.length === 1 && !/\p{L}{2,}/u.test(l.text.slice(qty[0].length))
    if (unitOnly) {
      pending = { quantity: Number(qty[1]), unitPrice: (l.amounts[0] as AmountToken).value }
      continue
    }
    const amount = lastAmount(l)
    if (!amount || NON_ITEM.test(l.key) || findDates(l.text, 'dmy').length > 0) {
      pending = undefined
      continue
    }
    let description = l.text.slice(0, (l.amounts[0] as AmountToken).start).trim()
    let quantity = pending?.quantity ?? null
    let unitPrice = pending?.unitPrice ?? null
    if (qty) {
      quantity = Number(qty[1])
      description = description.slice(qty[0].length).trim()
      if (l.amounts.length >= 2) unitPrice = (l.amounts[0] as AmountToken).value
    }
    description = description.replace(/\s+\d{1,3}\s*[xX*]\s*$/, '').trim()
    if (!/\p{L}{2,}/u.test(description)) continue
    const consistent =
      quantity !== null && unitPrice !== null && Math.abs(cents(quantity * unitPrice) - amount.value) <= 0.01
    items.push({
      description,
      quantity: quantity ?? 1,
      unitPrice: unitPrice ?? (quantity ? cents(amount.value / quantity) : amount.value),
      amount: amount.value,
      confidence: combine(consistent ? 0.95 : 0.8, l.confidence),
      source: source(l),
    })
    pending = undefined
  }
  return items
}

function findCurrency(lines: Line[], locale: ReceiptLocale): ReceiptField<string> {
  const printed = lines.flatMap((l) => l.amounts.filter((a) => a.currency).map((a) => ({ l, c: a.currency as string })))
  const counts = new Map<string, number>()
  for (const p of printed) counts.set(p.c, (counts.get(p.c) ?? 0) + 1)
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]
  if (top) {
    const at = printed.find((p) => p.c === top[0]) as { l: Line }
    return { value: top[0], confidence: combine(0.95, at.l.confidence), source: source(at.l) }
  }
  const all = lines.map((l) => l.text).join('\n')
  const named = currenciesIn(all)[0]
  if (named) return { value: named, confidence: 0.8, source: null }
  return { value: locale === 'fr' ? 'EUR' : locale === 'en-GB' ? 'GBP' : 'USD', confidence: 0.5, source: null }
}

/**
 * Reads a receipt's fields from OCR lines. Each field has a confidence from the rule that found it and the
 * engine's confidence in the text; totals that add up (subtotal + taxes = total, the amount paid = the total)
 * raise the confidence of every field involved, totals that do not are flagged in `warnings`.
 *
 * @example
 * const receipt = parseReceipt(ocr, { defaultLocale: 'fr', rules })
 * if (receipt.confidence < 0.8) // needs review
 */
export function parseReceipt(ocr: OcrResult, options: Partial<ParseOptions> = {}): ParsedReceipt {
  const rules = options.rules ?? noRules
  const lines = toLines(ocr)
  const { locale, strong } = detectLocale(lines, options.defaultLocale ?? 'fr')
  const warnings: string[] = []
  const merchant = findMerchant(lines, rules)
  const { order, learned } = dateOrder(locale, merchant.value, rules)
  const date = findDate(lines, order, learned || strong)
  if (date.value && date.confidence < 0.8 && !learned && !strong)
    warnings.push(
      `the date could be read day-first or month-first; read as ${order === 'dmy' ? 'day/month' : 'month/day'}`,
    )

  const found = findTotals(lines)
  const total: ReceiptField<number> = found.total
    ? { value: found.total.amount.value, confidence: found.total.score, source: source(found.total.line) }
    : none()
  const subtotal: ReceiptField<number> = found.subtotal
    ? { value: found.subtotal.amount.value, confidence: found.subtotal.score, source: source(found.subtotal.line) }
    : none()
  const taxes = findTaxes(lines, total.value)
  if (taxes.length === 0 && total.value !== null) {
    // A tax line whose amount was not read: total - net when both were, checked against its rate if printed.
    const rateLine = lines.find((l) => TAX.test(l.key) && findRate(l.text))
    const rate = rateLine ? (findRate(rateLine.text)?.value ?? null) : null
    if (subtotal.value !== null && subtotal.value < total.value) {
      const amount = cents(total.value - subtotal.value)
      const consistent = rate !== null && Math.abs(cents((subtotal.value * rate) / 100) - amount) <= 0.02
      if (rateLine || consistent) {
        taxes.push({
          rate,
          amount,
          base: subtotal.value,
          confidence: combine(consistent ? 0.75 : 0.55, rateLine?.confidence ?? 0.5),
          source: rateLine ? source(rateLine) : null,
        })
        warnings.push('the tax amount was not read; it is the total minus the net amount')
      }
    }
  }
  const taxSum =
    taxes.every((t) => t.amount !== null) && taxes.length > 0
      ? cents(taxes.reduce((a, t) => a + (t.amount ?? 0), 0))
      : null
  const taxTotal: ReceiptField<number> =
    taxSum === null
      ? none()
      : {
          value: taxSum,
          confidence: Math.min(...taxes.map((t) => t.confidence)),
          source: taxes.length === 1 ? (taxes[0]?.source ?? null) : null,
        }

  if (total.value === null) {
    // No total keyword read: the largest amount is the likeliest total, but never without review.
    const largest = lines.flatMap((l) => l.amounts.map((a) => ({ l, a }))).sort((x, y) => y.a.value - x.a.value)[0]
    if (largest) {
      total.value = largest.a.value
      total.confidence = 0.35
      total.source = source(largest.l)
      warnings.push('no total line was found; the largest amount was taken')
    }
  }
  const firstItem = lines.findIndex((l) => l.amounts.length > 0)
  const totalsStart = [
    found.subtotal?.line.index,
    found.total?.line.index,
    ...lines.filter((l) => TAX.test(l.key) && l.amounts.length > 0).map((l) => l.index),
  ]
    .filter((i): i is number => i !== undefined)
    .reduce((a, b) => Math.min(a, b), lines.length)
  const lineItems = firstItem >= 0 ? findItems(lines, Math.max(0, firstItem - 1), totalsStart) : []

  // Cross-checks: each agreement between independent lines makes the amounts involved more certain.
  const paid = lines.find(
    (l, i) => i > (found.total?.line.index ?? -1) && PAYMENT.some(([re]) => re.test(l.key)) && lastAmount(l),
  )
  const agrees: string[] = []
  if (total.value !== null) {
    if (paid && lastAmount(paid)?.value === total.value) agrees.push('paid')
    const itemsSum = cents(lineItems.reduce((a, i) => a + i.amount, 0))
    if (lineItems.length > 0 && itemsSum === total.value) agrees.push('items')
    if (subtotal.value !== null && taxSum !== null) {
      if (Math.abs(cents(subtotal.value + taxSum) - total.value) <= 0.01) agrees.push('net+tax')
      else if (!(lineItems.length > 0 && cents(lineItems.reduce((a, i) => a + i.amount, 0)) === total.value))
        warnings.push(`subtotal ${subtotal.value} + tax ${taxSum} does not equal the total ${total.value}`)
    }
  }
  const boost = agrees.length === 0 ? 0 : agrees.length === 1 ? 0.03 : 0.05
  if (found.total) total.confidence = combine(Math.min(1, found.total.score + boost), found.total.line.confidence)
  if (found.subtotal)
    subtotal.confidence = combine(
      agrees.includes('net+tax') ? 0.98 : found.subtotal.score,
      found.subtotal.line.confidence,
    )
  if (agrees.includes('net+tax') && taxTotal.value !== null)
    taxTotal.confidence = Math.max(
      taxTotal.confidence,
      combine(0.98, Math.min(...taxes.map((t) => (t.source ? ocrOf(lines, t) : 1)))),
    )

  const currency = findCurrency(lines, locale)
  const paymentMethod = findPayment(lines)
  return {
    merchant,
    date,
    total,
    subtotal,
    taxTotal,
    currency,
    paymentMethod,
    taxes,
    lineItems,
    locale,
    confidence: Math.min(merchant.confidence, date.confidence, total.confidence),
    warnings,
  }
}

function ocrOf(lines: Line[], tax: TaxLine): number {
  return lines.find((l) => l.text === tax.source?.text)?.confidence ?? 1
}
