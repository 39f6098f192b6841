/** A date found in a line, with how it was decided. */
export interface DateToken {
  /** ISO `YYYY-MM-DD`. */
  value: string
  /**
   * `unambiguous`: only one reading is a valid date (day > 12, a named month, ISO order);
   * `order`: both day/month orders were valid and `order` chose.
   */
  certainty: 'unambiguous' | 'order'
  start: number
  end: number
}

const MONTHS: Record<string, number> = {
  jan: 1,
  janv: 1,
  janvier: 1,
  january: 1,
  fev: 2,
  fevr: 2,
  fevrier: 2,
  feb: 2,
  february: 2,
  mar: 3,
  mars: 3,
  march: 3,
  avr: 4,
  avril: 4,
  apr: 4,
  april: 4,
  mai: 5,
  may: 5,
  juin: 6,
  jun: 6,
  june: 6,
  juil: 7,
  juillet: 7,
  jul: 7,
  july: 7,
  aou: 8,
  aout: 8,
  aug: 8,
  august: 8,
  sep: 9,
  sept: 9,
  septembre: 9,
  september: 9,
  oct: 10,
  octobre: 10,
  october: 10,
  nov: 11,
  novembre: 11,
  november: 11,
  dec: 12,
  decembre: 12,
  december: 12,
}

const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()

function iso(y: number, m: number, d: number): string | null {
  if (y < 100) y += 2000
  if (y < 1990 || y > 2099 || m < 1 || m > 12 || d < 1) return null
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate()
  if (d > days) return null
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

const NUMERIC = /(?<![\d.,])(\d{1,4})[/.-](\d{1,2})[/.-](\d{2,4})(?![\d.,]\d)/g
const DAY_MONTH = /(?<!\d)(\d{1,2})(?:er)?\s+([a-zà-ÿ]{3,9})\.?\s+(\d{4})(?!\d)/giu
const MONTH_DAY = /(?<![a-z])([a-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})(?!\d)/giu

/**
 * Every date in a line. A numeric date valid both ways (`03/12/2026`) is read in `order` (`dmy`: day first,
 * as in France and the UK; `mdy`: month first, as in the US).
 *
 * @example
 * findDates('12/03/2026 14:32', 'dmy')[0].value // '2026-03-12'
 * findDates('12/03/2026 14:32', 'mdy')[0].value // '2026-12-03'
 * findDates('Le 5 mars 2026', 'mdy')[0].value   // '2026-03-05' (a named month is never ambiguous)
 */
export function findDates(text: string, order: 'dmy' | 'mdy'): DateToken[] {
  const found: DateToken[] = []
  for (const m of text.matchAll(NUMERIC)) {
    const [a, b, c] = [m[1], m[2], m[3]].map(Number) as [number, number, number]
    let value: string | null = null
    let certainty: DateToken['certainty'] = 'unambiguous'
    if ((m[1] as string).length === 4) value = iso(a, b, c)
    else if ((m[3] as string).length === 3) continue
    else {
      const dmy = iso(c, b, a)
      const mdy = iso(c, a, b)
      if (dmy && mdy && dmy !== mdy) {
        value = order === 'dmy' ? dmy : mdy
        certainty = 'order'
      } else value = dmy ?? mdy
    }
    if (value) found.push({ value, certainty, start: m.index, end: m.index + m[0].length })
  }
  for (const m of text.matchAll(DAY_MONTH)) {
    const month = MONTHS[fold(m[2] as string)]
    const value = month ? iso(Number(m[3]), month, Number(m[1])) : null
    if (value) found.push({ value, certainty: 'unambiguous', start: m.index, end: m.index + m[0].length })
  }
  for (const m of text.matchAll(MONTH_DAY)) {
    const month = MONTHS[fold(m[1] as string)]
    const value = month ? iso(Number(m[3]), month, Number(m[2])) : null
    if (value) found.push({ value, certainty: 'unambiguous', start: m.index, end: m.index + m[0].length })
  }
  return found.sort((x, y) => x.start - y.start)
}
