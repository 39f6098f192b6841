// The few XML facts the workbook reader needs. Spreadsheet parts are machine-written, flat and regular, so
// targeted patterns read them several times faster than a general XML parser (what keeps a 100k-row sheet
// quicker than pandas); element names may carry a namespace prefix (`x:row`), which every pattern allows.

const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#(\d+)|#x([0-9a-fA-F]+));/g
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Text content or an attribute value with XML's entity and character references resolved. */
export function decodeXml(text: string): string {
  if (!text.includes('&')) return text
  return text.replace(ENTITY, (whole, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (name) return NAMED[name] ?? whole
    const code = dec !== undefined ? Number(dec) : Number.parseInt(hex ?? '', 16)
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole
  })
}

const OOXML_ESCAPE = /_x([0-9A-Fa-f]{4})_/g

/**
 * Decodes OOXML's `_xHHHH_` escapes, which is how Excel stores characters XML cannot hold (a carriage return
 * is `_x000D_`; a literal `_x000D_` is written `_x005F_x000D_`).
 */
export function unescapeOoxml(text: string): string {
  if (!text.includes('_x')) return text
  return text.replace(OOXML_ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}

/** The value of attribute `name` (any namespace prefix when `prefixed`) in an element's attribute text. */
export function attribute(attributes: string, name: string, prefixed = false): string | undefined {
  const pattern = prefixed
    ? new RegExp(`(?:^|\\s)[A-Za-z_][\\w.-]*:${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`)
    : new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`)
  const match = pattern.exec(attributes)
  if (!match) return undefined
  return decodeXml(match[1] ?? match[2] ?? '')
}

/** Every `<name …>` start (or empty) element, with its attribute text, in document order. */
export function elements(xml: string, name: string): string[] {
  const pattern = new RegExp(`<(?:[A-Za-z_][\\w.-]*:)?${name}(\\s[^>]*?)?\\/?>`, 'g')
  return [...xml.matchAll(pattern)].map((m) => m[1] ?? '')
}

/** The content between `<name …>` and its closing tag (the first one), or undefined. */
export function section(xml: string, name: string): string | undefined {
  const pattern = new RegExp(
    `<(?:[A-Za-z_][\\w.-]*:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)<\\/(?:[A-Za-z_][\\w.-]*:)?${name}>`,
  )
  return pattern.exec(xml)?.[1]
}

const TEXT_RUN = /<(?:[A-Za-z_][\w.-]*:)?t(?:\s[^>]*)?(?:\/>|>([\s\S]*?)<\/(?:[A-Za-z_][\w.-]*:)?t>)/g
const PHONETIC = /<(?:[A-Za-z_][\w.-]*:)?rPh\b[\s\S]*?<\/(?:[A-Za-z_][\w.-]*:)?rPh>/g

/**
 * The text of a string item (`<si>` or `<is>`): its `<t>` runs joined, so rich text keeps its characters and
 * loses only its formatting; phonetic guides (`<rPh>`, furigana) are not part of the value and are left out.
 */
export function stringItemText(item: string): string {
  const body = item.includes('rPh') ? item.replace(PHONETIC, '') : item
  let text = ''
  for (const run of body.matchAll(TEXT_RUN)) text += run[1] ?? ''
  return unescapeOoxml(decodeXml(text))
}

/** 0-based column of a cell reference's letters (`A` → 0, `AA` → 26), or -1 when there are none. */
export function columnIndex(reference: string): number {
  let column = 0
  let i = 0
  for (; i < reference.length; i++) {
    const code = reference.charCodeAt(i)
    if (code < 65 || code > 90) break
    column = column * 26 + (code - 64)
  }
  return i === 0 ? -1 : column - 1
}

/** The letters of a 0-based column (0 → `A`). */
export function columnLetters(column: number): string {
  let letters = ''
  for (let n = column + 1; n > 0; n = Math.floor((n - 1) / 26))
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters
  return letters
}
