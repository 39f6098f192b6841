import type { Box } from '../documents/ocr/types.ts'

/** Where a field was read: the page and the box of the line (or word) it came from. */
export interface FieldSource {
  page: number
  box: Box
  /** The text it was read from, as the engine gave it. */
  text: string
}

/**
 * One parsed field: its value (null when not found), a confidence (0..1: how sure the parser is, combining
 * the engine's confidence in the text and how unambiguous the reading was) and where it was read.
 */
export interface ReceiptField<T> {
  value: T | null
  confidence: number
  source: FieldSource | null
}

export type PaymentMethod = 'card' | 'cash' | 'cheque' | 'transfer' | 'other'

export interface TaxLine {
  /** Percent, e.g. 20 or 5.5. */
  rate: number | null
  /** Tax amount in the receipt's currency. */
  amount: number | null
  /** The amount the tax is computed on (net), when printed. */
  base: number | null
  confidence: number
  source: FieldSource | null
}

export interface LineItem {
  description: string
  quantity: number | null
  unitPrice: number | null
  amount: number
  confidence: number
  source: FieldSource | null
}

/** Receipt languages the parser knows; they set the default day/month order and keywords. */
export type ReceiptLocale = 'fr' | 'en-GB' | 'en-US'

/**
 * A parsed receipt: the typed structure the review screen shows and an expense is created from.
 * Amounts are decimal numbers rounded to cents, in `currency`; the date is ISO `YYYY-MM-DD`.
 */
export interface ParsedReceipt {
  merchant: ReceiptField<string>
  date: ReceiptField<string>
  total: ReceiptField<number>
  subtotal: ReceiptField<number>
  /** Sum of the tax lines (what an expense's tax amount is). */
  taxTotal: ReceiptField<number>
  currency: ReceiptField<string>
  paymentMethod: ReceiptField<PaymentMethod>
  taxes: TaxLine[]
  lineItems: LineItem[]
  locale: ReceiptLocale
  /** The lowest confidence of the fields an expense needs (merchant, date, total): what review gating uses. */
  confidence: number
  /** Things the parser noticed: totals that do not add up, an ambiguous date… */
  warnings: string[]
}

/** The fields a reviewer may correct (line items and taxes are replaced whole when sent). */
export interface ReceiptCorrection {
  merchant?: string | null
  date?: string | null
  total?: number | null
  subtotal?: number | null
  taxTotal?: number | null
  currency?: string | null
  paymentMethod?: PaymentMethod | null
  taxes?: { rate: number | null; amount: number | null; base: number | null }[]
  lineItems?: { description: string; quantity: number | null; unitPrice: number | null; amount: number }[]
}

/**
 * What reviewers taught the parser in a workspace (rebuilt from saved corrections):
 * - `merchantAliases`: normalised text the engine read at the top of a receipt -> the merchant's real name;
 * - `dateOrder`: per merchant (real name, normalised), which of day/month comes first in numeric dates.
 */
export interface LearnedRules {
  merchantAliases: Record<string, string>
  dateOrder: Record<string, 'dmy' | 'mdy'>
}

export const noRules: LearnedRules = { merchantAliases: {}, dateOrder: {} }

/**
 * The plain values of a receipt: the parser's, overlaid with a reviewer's corrections. This is what an
 * `hr.expense` is created from (issue 20 item 12): read it with `DocumentService.reviewedReceipt`.
 */
export interface ReceiptValues {
  merchant: string | null
  /** ISO `YYYY-MM-DD`. */
  date: string | null
  total: number | null
  subtotal: number | null
  taxTotal: number | null
  /** ISO 4217. */
  currency: string | null
  paymentMethod: PaymentMethod | null
  taxes: { rate: number | null; amount: number | null; base: number | null }[]
  lineItems: { description: string; quantity: number | null; unitPrice: number | null; amount: number }[]
}
