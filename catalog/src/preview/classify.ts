/** A classification the catalog proposes for a column, for a user to accept or reject. */
export interface TagProposal {
  column: string
  tag: string
  reason: string
  /**
   * `high`: values checked by a pattern with a checksum or a strict shape (emails, IBANs, card numbers), masked at
   * once pending review; `low`: phone-like values and column-name heuristics, proposals only.
   */
  confidence: 'high' | 'low'
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/
const PHONE = /^\+?[\d\s().-]{7,20}$/
const IBAN = /^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/

/** IBAN check digits (ISO 13616 mod-97). */
export function validIban(value: string): boolean {
  const iban = value.replace(/\s/g, '').toUpperCase()
  if (!IBAN.test(iban)) return false
  const rearranged = iban.slice(4) + iban.slice(0, 4)
  let remainder = 0
  for (const ch of rearranged) {
    const code = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch
    for (const digit of code) remainder = (remainder * 10 + Number(digit)) % 97
  }
  return remainder === 1
}

/** Card numbers: 13 to 19 digits passing the Luhn check. */
export function validCard(value: string): boolean {
  if (!/^[\d\s-]{13,23}$/.test(value)) return false
  const digits = value.replace(/\D/g, '')
  if (digits.length < 13 || digits.length > 19) return false
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

/** ISO dates and times (`2024-01-15`, `2024-01-15 10:30:00+02`, `10:30:00`) and `15/01/2024`-style dates. */
const DATE_LIKE =
  /^(\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|\s?[+-]\d{2}(:?\d{2})?)?|\d{2}:\d{2}(:\d{2}(\.\d+)?)?|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})$/
/** Column types whose values are dates, times or durations: never phone numbers, emails, IBANs or cards. */
const TEMPORAL_TYPE = /^(date|time|timestamp|datetime|interval|timetz|timestamptz)\b/i

function validPhone(value: string): boolean {
  if (!PHONE.test(value) || DATE_LIKE.test(value)) return false
  const digits = value.replace(/\D/g, '').length
  return digits >= 8 && digits <= 15
}

const VALUE_RULES: { tag: string; test: (v: string) => boolean; what: string; confidence: 'high' | 'low' }[] = [
  { tag: 'PII.email', test: (v) => EMAIL.test(v), what: 'emails', confidence: 'high' },
  { tag: 'PII.iban', test: validIban, what: 'IBANs (mod-97 check)', confidence: 'high' },
  { tag: 'PII.card', test: validCard, what: 'card numbers (Luhn check)', confidence: 'high' },
  // Order numbers and other digit runs look like phones too: a proposal for a person to decide.
  { tag: 'PII.phone', test: validPhone, what: 'phone numbers', confidence: 'low' },
]

const NAME_RULES: { tag: string; pattern: RegExp }[] = [
  { tag: 'PII.email', pattern: /(^|_)e?mail(_address)?$/i },
  { tag: 'PII.phone', pattern: /(^|_)(phone|mobile|tel|telephone|fax)(_number|_no)?$/i },
  {
    tag: 'PII.name',
    pattern: /(^|_)(first|last|full|given|family|sur|middle|maiden)_?name$|^(name|contact|customer_name|person)$/i,
  },
  { tag: 'PII.address', pattern: /(^|_)(address|street|addr|zip|zipcode|postcode|postal_code|city)(_line_?\d|_\d)?$/i },
  { tag: 'PII.iban', pattern: /(^|_)(iban|bank_account)$/i },
  { tag: 'PII.card', pattern: /(^|_)(card_number|credit_card|cc_number|pan)$/i },
  { tag: 'sensitive', pattern: /(^|_)(password|secret|ssn|salary|token|birth_?date|dob)$/i },
]

/**
 * Proposes classifications from column names, types and sample values: a value rule needs at least 60% of the
 * non-empty samples (and at least 2) to match; name heuristics cover names and addresses, whose values have no
 * reliable pattern. One proposal per column and tag. Date, time and timestamp columns are never phones (nor
 * emails, IBANs or cards): only `sensitive` (birth dates) can come from their names.
 */
export function classifyColumns(
  columns: readonly { name: string; type?: string }[],
  rows: readonly (readonly unknown[])[],
): TagProposal[] {
  const proposals: TagProposal[] = []
  columns.forEach((column, i) => {
    const temporal = TEMPORAL_TYPE.test(column.type ?? '')
    const seen = new Set<string>()
    const values = rows
      .map((r) => r[i])
      .filter((v): v is string | number => (typeof v === 'string' && v.trim() !== '') || typeof v === 'number')
      .map((v) => String(v).trim())
    for (const rule of VALUE_RULES) {
      if (values.length === 0 || temporal) break
      const hits = values.filter(rule.test).length
      if (hits >= 2 && hits / values.length >= 0.6) {
        proposals.push({
          column: column.name,
          tag: rule.tag,
          reason: `${hits}/${values.length} sample values look like ${rule.what}`,
          confidence: rule.confidence,
        })
        seen.add(rule.tag)
        break
      }
    }
    for (const rule of NAME_RULES) {
      if (seen.has(rule.tag) || !rule.pattern.test(column.name)) continue
      if (temporal && rule.tag !== 'sensitive') continue
      proposals.push({
        column: column.name,
        tag: rule.tag,
        reason: `the column name "${column.name}" suggests it`,
        confidence: 'low',
      })
      seen.add(rule.tag)
      break
    }
  })
  return proposals
}
