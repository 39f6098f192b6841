import sharp, { type OverlayOptions } from 'sharp'

/**
 * Generates receipts for the OCR tests and bench/ocr: a receipt spec (merchant, date, items, tax, currency,
 * payment) in French, British English or US English, rendered to a PNG with one of several fonts, and the
 * ground truth (text and fields) to score a reading against. Deterministic for a given seed.
 */

export type ReceiptStyle = 'fr' | 'gb' | 'us'

export interface ReceiptItem {
  description: string
  quantity: number
  unitPrice: number
  amount: number
}

export interface ReceiptSpec {
  style: ReceiptStyle
  merchant: string
  address: string[]
  /** ISO date. */
  date: string
  time: string
  items: ReceiptItem[]
  taxRate: number
  subtotal: number
  tax: number
  total: number
  currency: 'EUR' | 'GBP' | 'USD'
  payment: 'card' | 'cash'
  /** How the date is printed: numeric day/month order of the style, or with the month's name. */
  dateFormat: 'numeric' | 'named' | 'iso'
}

/** The fonts the generator uses (fontconfig names; all from fonts-dejavu-core and fonts-liberation). */
export const RECEIPT_FONTS = [
  'DejaVu Sans Mono',
  'Liberation Mono',
  'DejaVu Sans',
  'Liberation Sans',
  'Liberation Serif',
  'DejaVu Serif',
] as const

export interface RenderedReceipt {
  spec: ReceiptSpec
  png: Buffer
  width: number
  height: number
  /** Printed rows, top to bottom: what a perfect reading gives (left and right parts joined by a space). */
  lines: { text: string; y: number; height: number }[]
  text: string
  font: string
}

/** A small seeded PRNG (mulberry32), so a seed always gives the same receipt. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T
const cents = (v: number) => Math.round(v * 100) / 100

const MERCHANTS: Record<ReceiptStyle, { name: string; address: string[] }[]> = {
  fr: [
    { name: 'CARREFOUR MARKET', address: ['12 rue de la Paix', '75002 PARIS'] },
    { name: 'BOULANGERIE DUPONT', address: ['4 place du Marché', '69001 LYON'] },
    { name: 'MONOPRIX', address: ['52 avenue des Ternes', '75017 PARIS'] },
    { name: 'PHARMACIE CENTRALE', address: ['8 cours Mirabeau', '13100 AIX-EN-PROVENCE'] },
    { name: 'LE PETIT BISTROT', address: ['21 quai des Chartrons', '33000 BORDEAUX'] },
    { name: 'LIBRAIRIE MOLLAT', address: ['15 rue Vital Carles', '33000 BORDEAUX'] },
  ],
  gb: [
    { name: 'TESCO EXPRESS', address: ['221 Baker Street', 'London NW1 6XE'] },
    { name: 'CORNER CAFE', address: ['3 High Street', 'Oxford OX1 4AH'] },
    { name: 'THE RED LION', address: ['48 Parliament Street', 'London SW1A 2NH'] },
    { name: 'WATERSTONES', address: ['82 Gower Street', 'London WC1E 6EQ'] },
  ],
  us: [
    { name: 'WHOLE FOODS MARKET', address: ['95 E Houston St', 'New York, NY 10002'] },
    { name: 'OFFICE DEPOT', address: ['1200 Market St', 'San Francisco, CA 94102'] },
    { name: 'BLUE BOTTLE COFFEE', address: ['66 Mint St', 'San Francisco, CA 94103'] },
    { name: 'HOME DEPOT', address: ['40 W 23rd St', 'New York, NY 10010'] },
  ],
}

const ITEMS: Record<ReceiptStyle, string[]> = {
  fr: [
    'BAGUETTE TRADITION',
    'CAFE CREME',
    'CROISSANT',
    'EAU MINERALE 1L',
    'FROMAGE COMTE',
    'PAPIER A4',
    'STYLO BILLE',
    'JUS ORANGE',
    'SALADE CESAR',
    'PLAT DU JOUR',
  ],
  gb: [
    'Milk 2L',
    'Sandwich',
    'Flat White',
    'Orange Juice',
    'Notebook A5',
    'Batteries AA',
    'Bread',
    'Apples 1kg',
    'Tea Bags',
    'Biscuits',
  ],
  us: [
    'Organic Bananas',
    'Coffee Beans',
    'Printer Paper',
    'Stapler',
    'Almond Milk',
    'Bagel',
    'Sparkling Water',
    'Granola',
    'Pens 12pk',
    'Cold Brew',
  ],
}

const FR_MONTHS = [
  'janvier',
  'février',
  'mars',
  'avril',
  'mai',
  'juin',
  'juillet',
  'août',
  'septembre',
  'octobre',
  'novembre',
  'décembre',
]
const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** A random receipt of a style. Days are often ≤ 12, so the day/month order matters. */
export function receiptSpec(seed: number, style?: ReceiptStyle): ReceiptSpec {
  const r = rng(seed)
  const s = style ?? pick(r, ['fr', 'fr', 'gb', 'us'] as const)
  const merchant = pick(r, MERCHANTS[s])
  const count = 2 + Math.floor(r() * 5)
  const names = [...ITEMS[s]].sort(() => r() - 0.5).slice(0, count)
  const items = names.map((description) => {
    const quantity = r() < 0.25 ? 2 + Math.floor(r() * 3) : 1
    const unitPrice = cents(0.5 + r() * (r() < 0.2 ? 60 : 12))
    return { description, quantity, unitPrice, amount: cents(quantity * unitPrice) }
  })
  const gross = cents(items.reduce((a, i) => a + i.amount, 0))
  const taxRate = s === 'fr' ? pick(r, [20, 20, 10, 5.5]) : s === 'gb' ? 20 : pick(r, [8.875, 7.25, 8.5])
  // French and British prices include VAT; US sales tax is added on top.
  const subtotal = s === 'us' ? gross : cents(gross / (1 + taxRate / 100))
  const tax = s === 'us' ? cents(gross * (taxRate / 100)) : cents(gross - subtotal)
  const total = s === 'us' ? cents(gross + tax) : gross
  const year = 2025 + Math.floor(r() * 2)
  const month = 1 + Math.floor(r() * 12)
  const day = 1 + Math.floor(r() * 28)
  const date = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
  const time = `${String(8 + Math.floor(r() * 12)).padStart(2, '0')}:${String(Math.floor(r() * 60)).padStart(2, '0')}`
  return {
    style: s,
    merchant: merchant.name,
    address: merchant.address,
    date,
    time,
    items,
    taxRate,
    subtotal,
    tax,
    total,
    currency: s === 'fr' ? 'EUR' : s === 'gb' ? 'GBP' : 'USD',
    payment: r() < 0.75 ? 'card' : 'cash',
    dateFormat: pick(r, ['numeric', 'numeric', 'numeric', 'named', 'iso'] as const),
  }
}

function money(spec: ReceiptSpec, v: number): string {
  if (spec.style === 'fr') {
    const [int, dec] = v.toFixed(2).split('.') as [string, string]
    return `${int.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')},${dec}`
  }
  const symbol = spec.style === 'gb' ? '£' : '$'
  return `${symbol}${v.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`
}

function printedDate(spec: ReceiptSpec): string {
  const [y, m, d] = spec.date.split('-') as [string, string, string]
  if (spec.dateFormat === 'iso') return spec.date
  if (spec.dateFormat === 'named') {
    if (spec.style === 'fr') return `${Number(d)} ${FR_MONTHS[Number(m) - 1]} ${y}`
    if (spec.style === 'us') return `${EN_MONTHS[Number(m) - 1]} ${Number(d)}, ${y}`
    return `${Number(d)} ${EN_MONTHS[Number(m) - 1]} ${y}`
  }
  return spec.style === 'us' ? `${m}/${d}/${y}` : `${d}/${m}/${y}`
}

/** The receipt's rows: `[left, right]` (right aligned to the edge; empty for none). */
export function receiptRows(spec: ReceiptSpec): [string, string][] {
  const rows: [string, string][] = [[spec.merchant, ''], ...spec.address.map((a): [string, string] => [a, ''])]
  const fmtRate = (rate: number) =>
    spec.style === 'fr' ? `${rate.toFixed(2).replace('.', ',')}%` : `${rate % 1 === 0 ? rate : rate.toFixed(3)}%`
  if (spec.style === 'fr') {
    rows.push(['Tél 01 42 33 44 55', ''], ['SIRET 412 345 678 00021', ''])
    rows.push([`Le ${printedDate(spec)} à ${spec.time}`, ''])
  } else if (spec.style === 'gb') {
    rows.push(['VAT No GB 123 4567 89', ''], [`Date: ${printedDate(spec)} ${spec.time}`, ''])
  } else {
    rows.push(['Tel (415) 555-0134', ''], [`${printedDate(spec)} ${spec.time}`, ''])
  }
  for (const item of spec.items) {
    if (item.quantity > 1) rows.push([`  ${item.quantity} x ${money(spec, item.unitPrice)}`, ''])
    rows.push([item.description, money(spec, item.amount)])
  }
  if (spec.style === 'fr') {
    rows.push(['TOTAL HT', money(spec, spec.subtotal)])
    rows.push([`TVA ${fmtRate(spec.taxRate)}`, money(spec, spec.tax)])
    rows.push(['TOTAL TTC', `${money(spec, spec.total)} EUR`])
    rows.push([spec.payment === 'card' ? 'CB SANS CONTACT' : 'ESPECES', money(spec, spec.total)])
    rows.push(['MERCI DE VOTRE VISITE', ''])
  } else if (spec.style === 'gb') {
    rows.push(['Subtotal', money(spec, spec.subtotal)])
    rows.push([`VAT ${fmtRate(spec.taxRate)}`, money(spec, spec.tax)])
    rows.push(['TOTAL', money(spec, spec.total)])
    rows.push([spec.payment === 'card' ? 'Card Payment' : 'Cash', money(spec, spec.total)])
    rows.push(['Thank you for shopping', ''])
  } else {
    rows.push(['Subtotal', money(spec, spec.subtotal)])
    rows.push([`Sales Tax ${fmtRate(spec.taxRate)}`, money(spec, spec.tax)])
    rows.push(['TOTAL', money(spec, spec.total)])
    rows.push([spec.payment === 'card' ? 'VISA **** 4242' : 'CASH', money(spec, spec.total)])
    rows.push(['Thank you!', ''])
  }
  return rows
}

const escapeMarkup = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

/**
 * Renders a spec: black text on white, the merchant in bold, amounts right aligned. `pointSize` at 150 dpi;
 * `font` one of {@link RECEIPT_FONTS}.
 */
export async function renderReceipt(
  spec: ReceiptSpec,
  options: { font?: string; pointSize?: number; width?: number } = {},
): Promise<RenderedReceipt> {
  const font = options.font ?? 'DejaVu Sans Mono'
  const pointSize = options.pointSize ?? 11
  const width = options.width ?? 620
  const margin = 36
  const rows = receiptRows(spec)
  const pieces: OverlayOptions[] = []
  const lines: RenderedReceipt['lines'] = []
  let y = margin
  for (const [index, [left, right]] of rows.entries()) {
    const weight = index === 0 ? ' Bold' : ''
    const size = index === 0 ? pointSize + 3 : pointSize
    const text = async (s: string) =>
      sharp({
        text: {
          text: `<span foreground="black">${escapeMarkup(s)}</span>`,
          font: `${font}${weight} ${size}`,
          dpi: 150,
          rgba: true,
        },
      })
        .png()
        .toBuffer({ resolveWithObject: true })
    const l = await text(left)
    const centred = index < 1 + spec.address.length
    pieces.push({
      input: l.data,
      top: y,
      left: centred ? Math.max(margin, Math.round((width - l.info.width) / 2)) : margin,
    })
    let height = l.info.height
    if (right) {
      const r = await text(right)
      pieces.push({ input: r.data, top: y, left: width - margin - r.info.width })
      height = Math.max(height, r.info.height)
    }
    lines.push({ text: right ? `${left.trim()} ${right}` : left.trim(), y, height })
    y += height + Math.round(size * 0.55)
    // A blank gap after the header and before the totals, as printed receipts have.
    if (index === 2 + spec.address.length || (right.length > 0 && rows[index + 1]?.[0].startsWith('TOTAL HT')))
      y += size
  }
  const height = y + margin
  const png = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite(pieces)
    .greyscale()
    .png()
    .toBuffer()
  return { spec, png, width, height, lines, text: lines.map((l) => l.text).join('\n'), font }
}
