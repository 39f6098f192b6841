import { describe, expect, it } from 'vitest'
import { classifyColumns, validCard, validIban } from './classify.ts'
import { maskedColumns, maskRow, maskValue } from './masking.ts'

describe('masking', () => {
  it('keeps just enough of each kind of personal data to recognise it', () => {
    expect(maskValue('jane.doe@example.com', 'PII.email')).toBe('j***@example.com')
    expect(maskValue('+33 6 12 34 56 12', 'PII.phone')).toBe('+33 *** *** 12')
    expect(maskValue('+44 20 7946 0958', 'PII.phone')).toBe('+44 *** *** 58')
    expect(maskValue('06 12 34 56 78', 'PII.phone')).toBe('*** *** 78')
    expect(maskValue('FR76 3000 6000 0112 3456 7890 189', 'PII.iban')).toBe('FR76 **** 0189')
    expect(maskValue('4111 1111 1111 1111', 'PII.card')).toBe('**** **** **** 1111')
    expect(maskValue('Jane Doe', 'PII.name')).toBe('J*** D***')
    expect(maskValue('12 rue de la Paix', 'PII.address')).toBe('***')
    expect(maskValue(123456, 'sensitive')).toBe('***')
    expect(maskValue(null, 'PII.email')).toBeNull()
  })

  it('maskRow masks tagged columns only, for the result grid and previews alike', () => {
    const columns = [
      { name: 'id', tags: [] },
      { name: 'email', tags: ['PII.email', 'gold'] },
      { name: 'notes', tags: ['sensitive'] },
    ]
    expect(maskRow(columns, [1, 'ann@corp.io', 'vip'])).toEqual([1, 'a***@corp.io', '***'])
    expect(maskedColumns(columns)).toEqual(['email', 'notes'])
  })
})

describe('classification', () => {
  it('validates IBANs with mod-97 and card numbers with Luhn', () => {
    expect(validIban('FR76 3000 6000 0112 3456 7890 189')).toBe(true)
    expect(validIban('FR76 3000 6000 0112 3456 7890 188')).toBe(false)
    expect(validIban('GB82WEST12345698765432')).toBe(true)
    expect(validCard('4111 1111 1111 1111')).toBe(true)
    expect(validCard('4111 1111 1111 1112')).toBe(false)
  })

  it('proposes tags from sample values and from column names', () => {
    const columns = [
      { name: 'contact' },
      { name: 'tel' },
      { name: 'account' },
      { name: 'cc' },
      { name: 'last_name' },
      { name: 'street' },
      { name: 'amount' },
    ]
    const rows = [
      ['ann@corp.io', '+33 6 12 34 56 12', 'FR7630006000011234567890189', '4111111111111111', 'Doe', '1 rue X', 10],
      ['bob@corp.io', '+44 20 7946 0958', 'GB82WEST12345698765432', '5500 0000 0000 0004', 'Roe', '2 rue Y', 20],
      ['cy@corp.io', '+1 415 555 2671', 'DE89370400440532013000', '4012888888881881', 'Poe', '3 rue Z', 30],
    ]
    const proposals = classifyColumns(columns, rows).map((p) => `${p.column}:${p.tag}`)
    expect(proposals.sort()).toEqual(
      [
        'account:PII.iban',
        'cc:PII.card',
        'contact:PII.email',
        'contact:PII.name',
        'last_name:PII.name',
        'street:PII.address',
        'tel:PII.phone',
      ].sort(),
    )
  })

  it('does not call numbers phone numbers or random strings IBANs', () => {
    const proposals = classifyColumns(
      [{ name: 'qty' }, { name: 'code' }],
      [
        [3, 'ABCDEFGHIJKLMNOP'],
        [42, 'QRSTUVWXYZABCDEF'],
        [7, 'FR00000000000000000'],
      ],
    )
    expect(proposals).toEqual([])
  })
})
