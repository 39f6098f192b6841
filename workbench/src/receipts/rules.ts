import { findDates } from './dates.ts'
import { merchantKey } from './parser.ts'
import type { LearnedRules, ParsedReceipt, ReceiptCorrection, ReceiptValues } from './types.ts'

/** A rule one correction teaches. */
export type LearnedRule =
  | { kind: 'merchant_alias'; key: string; merchant: string }
  | { kind: 'date_order'; merchant: string; order: 'dmy' | 'mdy' }

/** One corrected field, as stored in `receipt_corrections`. */
export interface CorrectionExample {
  field: keyof ReceiptCorrection
  parsed: unknown
  corrected: unknown
  sourceText: string | null
  rule: LearnedRule | null
}

/** The current values of a parsed receipt (what an expense is made from before any correction). */
export function valuesOf(receipt: ParsedReceipt): ReceiptValues {
  return {
    merchant: receipt.merchant.value,
    date: receipt.date.value,
    total: receipt.total.value,
    subtotal: receipt.subtotal.value,
    taxTotal: receipt.taxTotal.value,
    currency: receipt.currency.value,
    paymentMethod: receipt.paymentMethod.value,
    taxes: receipt.taxes.map(({ rate, amount, base }) => ({ rate, amount, base })),
    lineItems: receipt.lineItems.map(({ description, quantity, unitPrice, amount }) => ({
      description,
      quantity,
      unitPrice,
      amount,
    })),
  }
}

/**
 * The examples a review teaches: one per field whose corrected value differs from the parser's, each with the
 * rule it implies. A merchant read as `B0ULANG DUP0NT` and corrected to `Boulangerie Dupont` becomes an alias
 * of the text read; a numeric date whose day and month the reviewer swapped becomes that merchant's date order.
 */
export function correctionExamples(
  receipt: ParsedReceipt,
  current: ReceiptValues,
  correction: ReceiptCorrection,
): { values: ReceiptValues; examples: CorrectionExample[] } {
  const values: ReceiptValues = { ...current, ...stripUndefined(correction) }
  const examples: CorrectionExample[] = []
  for (const field of Object.keys(correction) as (keyof ReceiptCorrection)[]) {
    const corrected = correction[field]
    if (corrected === undefined || JSON.stringify(corrected) === JSON.stringify(current[field])) continue
    const parsedField =
      field in receipt
        ? (receipt as unknown as Record<string, { source?: { text: string } | null; value?: unknown }>)[field]
        : undefined
    const sourceText = parsedField?.source?.text ?? null
    let rule: LearnedRule | null = null
    if (field === 'merchant' && typeof corrected === 'string' && sourceText && merchantKey(sourceText))
      rule = { kind: 'merchant_alias', key: merchantKey(sourceText), merchant: corrected }
    if (field === 'date' && typeof corrected === 'string' && sourceText && values.merchant) {
      const dmy = findDates(sourceText, 'dmy')[0]
      const mdy = findDates(sourceText, 'mdy')[0]
      if (dmy && mdy && dmy.value !== mdy.value) {
        if (corrected === dmy.value) rule = { kind: 'date_order', merchant: merchantKey(values.merchant), order: 'dmy' }
        if (corrected === mdy.value) rule = { kind: 'date_order', merchant: merchantKey(values.merchant), order: 'mdy' }
      }
    }
    examples.push({
      field,
      parsed: parsedField && 'value' in parsedField ? parsedField.value : current[field],
      corrected,
      sourceText,
      rule,
    })
  }
  return { values, examples }
}

/** The rules of a workspace from its stored examples, oldest first (a later correction wins). */
export function rulesFrom(rules: (LearnedRule | null)[]): LearnedRules {
  const learned: LearnedRules = { merchantAliases: {}, dateOrder: {} }
  for (const rule of rules) {
    if (rule?.kind === 'merchant_alias') learned.merchantAliases[rule.key] = rule.merchant
    if (rule?.kind === 'date_order') learned.dateOrder[rule.merchant] = rule.order
  }
  return learned
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
