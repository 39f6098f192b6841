import { describe, expect, it } from 'vitest'
import { classifyColumns } from './classify.ts'

describe('classifyColumns', () => {
  const rows = [
    ['2024-01-15', '2024-01-15 10:30:00', '+33 6 12 34 56 12', 'jane@example.com', 'FR7630006000011234567890189'],
    ['2023-12-31', '2023-12-31T23:59:59Z', '+44 20 7946 0958', 'bob@example.org', 'DE89370400440532013000'],
    ['2022-06-01', '2022-06-01 00:00:00+02', '+1 415 555 2671', 'cy@example.net', 'GB82WEST12345698765432'],
  ]

  it('never proposes a phone for dates and timestamps, typed or written as ISO text', () => {
    const typed = classifyColumns(
      [
        { name: 'signup', type: 'DATE' },
        { name: 'seen_at', type: 'TIMESTAMP WITH TIME ZONE' },
      ],
      rows.map((r) => [r[0], r[1]]),
    )
    expect(typed).toEqual([])
    // As VARCHAR (a CSV imported without date detection), the values alone must not look like phones.
    const text = classifyColumns(
      [
        { name: 'day', type: 'VARCHAR' },
        { name: 'stamp', type: 'VARCHAR' },
        { name: 'fr_day', type: 'VARCHAR' },
      ],
      rows.map((r) => [r[0], r[1], String(r[0]).split('-').reverse().join('/')]),
    )
    expect(text).toEqual([])
    // A date column named like a phone is still not a phone; a birth date is sensitive.
    expect(
      classifyColumns(
        [
          { name: 'phone', type: 'DATE' },
          { name: 'birth_date', type: 'DATE' },
        ],
        [],
      ),
    ).toEqual([
      { column: 'birth_date', tag: 'sensitive', reason: 'the column name "birth_date" suggests it', confidence: 'low' },
    ])
  })

  it('emails, IBANs and card numbers by value are high confidence; phones and names are proposals', () => {
    const found = classifyColumns(
      [
        { name: 'contact_phone', type: 'VARCHAR' },
        { name: 'contact', type: 'VARCHAR' },
        { name: 'account', type: 'VARCHAR' },
        { name: 'pan', type: 'VARCHAR' },
        { name: 'last_name', type: 'VARCHAR' },
      ],
      rows.map((r, i) => [
        r[2],
        r[3],
        r[4],
        ['4111 1111 1111 1111', '5500 0000 0000 0004', '340000000000009'][i],
        'Doe',
      ]),
    )
    expect(found.map((p) => `${p.column}:${p.tag}:${p.confidence}`)).toEqual([
      'contact_phone:PII.phone:low',
      'contact:PII.email:high',
      // `contact` is also a name-like column name: a low proposal beside the email finding.
      'contact:PII.name:low',
      'account:PII.iban:high',
      'pan:PII.card:high',
      'last_name:PII.name:low',
    ])
  })
})
