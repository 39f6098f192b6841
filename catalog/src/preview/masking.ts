/** Tags whose values are masked for users without the unmask capability. */
export const MASKED_TAGS = ['PII.email', 'PII.phone', 'PII.name', 'PII.iban', 'PII.address', 'PII.card', 'sensitive']

/**
 * Partially masks one value according to its classification, keeping just enough to recognise it:
 * `jane.doe@example.com` -> `j***@example.com`, `+33 6 12 34 56 12` -> `+33 *** *** 12`,
 * `FR7630006000011234567890189` -> `FR76 **** 0189`, `4111 1111 1111 1111` -> `**** **** **** 1111`,
 * `Jane Doe` -> `J*** D***`; addresses and `sensitive` values become `***`. `null` stays `null`.
 */
export function maskValue(value: unknown, tag: string): unknown {
  if (value === null || value === undefined) return value
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  switch (tag) {
    case 'PII.email': {
      const at = text.lastIndexOf('@')
      return at > 0 ? `${text[0]}***${text.slice(at)}` : '***'
    }
    case 'PII.phone': {
      const digits = text.replace(/\D/g, '')
      if (digits.length < 4) return '***'
      // The country code is the first group when written apart (`+44 20 …`), else assumed to be 2 digits.
      const trimmed = text.trim()
      const group = /^\+\s*(\d{1,3})[\s.()-]/.exec(trimmed)?.[1]
      const country = trimmed.startsWith('+') ? `+${group ?? digits.slice(0, 2)} ` : ''
      return `${country}*** *** ${digits.slice(-2)}`
    }
    case 'PII.iban': {
      const compact = text.replace(/\s/g, '')
      return compact.length > 8 ? `${compact.slice(0, 4)} **** ${compact.slice(-4)}` : '***'
    }
    case 'PII.card': {
      const digits = text.replace(/\D/g, '')
      return digits.length >= 4 ? `**** **** **** ${digits.slice(-4)}` : '***'
    }
    case 'PII.name':
      return text
        .split(/\s+/)
        .filter(Boolean)
        .map((part) => `${part[0]}***`)
        .join(' ')
    default:
      return '***'
  }
}

/** The tag of one column that calls for masking, most specific first (`sensitive` last); undefined: none. */
export function maskingTag(tags: readonly string[]): string | undefined {
  const pii = tags.find((t) => t.startsWith('PII.'))
  return pii ?? (tags.includes('sensitive') ? 'sensitive' : undefined)
}

/** A column of a result and the accepted tags the catalog has for it. */
export interface TaggedColumn {
  name: string
  tags: readonly string[]
}

/**
 * Masks the PII-tagged values of one row (an array in column order). The SQL result grid can use the same
 * function for users without the unmask capability.
 *
 * @example
 * maskRow([{ name: 'email', tags: ['PII.email'] }, { name: 'id', tags: [] }], ['jo@x.io', 7]) // ['j***@x.io', 7]
 */
export function maskRow(columns: readonly TaggedColumn[], row: readonly unknown[]): unknown[] {
  return row.map((value, i) => {
    const tag = maskingTag(columns[i]?.tags ?? [])
    return tag ? maskValue(value, tag) : value
  })
}

/** Names of the columns that `maskRow` would mask. */
export function maskedColumns(columns: readonly TaggedColumn[]): string[] {
  return columns.filter((c) => maskingTag(c.tags)).map((c) => c.name)
}
