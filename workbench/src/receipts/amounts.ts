/** A money amount found in a line of text. */
export interface AmountToken {
  value: number
  /** ISO code when a symbol or code was printed next to it. */
  currency: string | null
  start: number
  end: number
}

const CURRENCY_SIGNS: Record<string, string> = {
  '€': 'EUR',
  EUR: 'EUR',
  EURO: 'EUR',
  EUROS: 'EUR',
  '£': 'GBP',
  GBP: 'GBP',
  $: 'USD',
  USD: 'USD',
  US$: 'USD',
  CHF: 'CHF',
  CAD: 'CAD',
}

const SIGN = String.raw`(?:US\$|€|£|\$|EUR(?:OS?)?|USD|GBP|CHF|CAD)`
/**
 * An amount always has two decimals (receipts print cents): `1 234,56`, `1.234,56`, `1,234.56`, `12.50`,
 * `12,50`, optionally signed and with a currency sign or code before or after. Not part of a longer number,
 * a date (`12.03.2026`) or a percentage (`20,00 %`).
 */
const AMOUNT = new RegExp(
  String.raw`(?<![\d.,/:])(?:(${SIGN})\s?)?(-\s?)?(\d{1,3}(?:[ \u00a0\u202f.,'](?:\d{3}))+|\d+)[.,](\d{2})(?![\d%]|[.,/:]\d|\s?%)(?:\s?(${SIGN}))?`,
  'gi',
)

/**
 * Every amount in a line, left to right.
 *
 * @example
 * findAmounts('TOTAL TTC 1 234,56 EUR') // [{ value: 1234.56, currency: 'EUR', ... }]
 * findAmounts('Subtotal $1,234.50')      // [{ value: 1234.5, currency: 'USD', ... }]
 */
export function findAmounts(text: string): AmountToken[] {
  const found: AmountToken[] = []
  for (const m of text.matchAll(AMOUNT)) {
    const [whole, before, minus, int, dec, after] = m
    const digits = (int ?? '').replace(/[^\d]/g, '')
    const value = Number(`${digits}.${dec}`) * (minus ? -1 : 1)
    if (!Number.isFinite(value)) continue
    const sign = (before ?? after)?.toUpperCase()
    found.push({
      value: Math.round(value * 100) / 100,
      currency: sign ? (CURRENCY_SIGNS[sign] ?? null) : null,
      start: m.index,
      end: m.index + whole.length,
    })
  }
  return found
}

/** A percentage rate (`20%`, `5,5 %`, `8.875%`), or null. */
export function findRate(text: string): { value: number; start: number; end: number } | null {
  const m = /(?<![\d.,])(\d{1,2}(?:[.,]\d{1,3})?)\s?%/.exec(text)
  if (!m) return null
  return { value: Number((m[1] as string).replace(',', '.')), start: m.index, end: m.index + m[0].length }
}

/** Currencies named anywhere in a text, most frequent first. */
export function currenciesIn(text: string): string[] {
  const counts = new Map<string, number>()
  for (const m of text.matchAll(new RegExp(SIGN, 'gi'))) {
    const code = CURRENCY_SIGNS[m[0].toUpperCase()]
    if (code) counts.set(code, (counts.get(code) ?? 0) + 1)
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([code]) => code)
}

export const cents = (v: number) => Math.round(v * 100) / 100
