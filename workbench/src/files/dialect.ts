/** How a delimited text file is written. */
export interface CsvDialect {
  delimiter: string
  quote: string
  /** Escape character inside quoted values (usually the quote itself, doubled). */
  escape: string
  header: boolean
  /** Decimal separator of numbers: `.`, or `,` in files written with European conventions. */
  decimal: '.' | ','
}

const DELIMITERS = [',', '\t', ';', '|'] as const

/**
 * The dialect of a delimited file from its first lines (UTF-8 text). DuckDB's sniffer gives up on files with
 * a broken quote, which is exactly when users need a preview, so this is a tolerant heuristic: the delimiter
 * that splits the most lines into the same number of fields (more than one), quotes `"`, and a header when
 * the first row looks like names rather than data.
 */
export function sniffDialect(text: string, fileName = ''): CsvDialect {
  const lines = text
    .split(/\r?\n/)
    .slice(0, 200)
    .filter((l) => l.trim() !== '')
  // The last line of a sample may be cut short.
  if (lines.length > 2) lines.pop()
  let best: { delimiter: string; score: number } = { delimiter: fileName.endsWith('.tsv') ? '\t' : ',', score: 0 }
  for (const delimiter of DELIMITERS) {
    const counts = lines.map((l) => splitLine(l, delimiter, '"').length)
    const mode = modeOf(counts)
    if (mode < 2) continue
    const agreeing = counts.filter((c) => c === mode).length
    const score = agreeing * Math.log2(mode + 1)
    if (score > best.score) best = { delimiter, score }
  }
  const rows = lines.slice(0, 50).map((l) => splitLine(l, best.delimiter, '"'))
  return {
    delimiter: best.delimiter,
    quote: '"',
    escape: '"',
    header: looksLikeHeader(rows),
    decimal: best.delimiter !== ',' && decimalCommas(rows) ? ',' : '.',
  }
}

/** Splits one line on `delimiter`, honouring `quote` (doubled quotes inside quoted values). */
export function splitLine(line: string, delimiter: string, quote: string): string[] {
  const fields: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (quoted) {
      if (ch === quote && line[i + 1] === quote) {
        field += quote
        i++
      } else if (ch === quote) quoted = false
      else field += ch
    } else if (ch === quote && field === '') quoted = true
    else if (ch === delimiter) {
      fields.push(field)
      field = ''
    } else field += ch
  }
  fields.push(field)
  return fields
}

const DECIMAL_COMMA = /^\s*[-+]?\d{1,3}(\.\d{3})*,\d+\s*$|^\s*[-+]?\d+,\d+\s*$/
const DECIMAL_POINT = /^\s*[-+]?\d*\.\d+\s*$/

/** Numbers written `1,5` (and none written `1.5`) below the first row: the file uses decimal commas. */
function decimalCommas(rows: string[][]): boolean {
  let commas = 0
  for (const row of rows.slice(1))
    for (const value of row) {
      if (DECIMAL_POINT.test(value)) return false
      if (DECIMAL_COMMA.test(value)) commas++
    }
  return commas > 0
}

function modeOf(values: number[]): number {
  const counts = new Map<number, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  let best = 0
  let bestCount = 0
  for (const [v, c] of counts)
    if (c > bestCount || (c === bestCount && v > best)) {
      best = v
      bestCount = c
    }
  return best
}

const NUMBER = /^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$/
const DATE = /^\s*\d{4}-\d{2}-\d{2}/

/**
 * A header if some column is numeric or date-like below the first row but not in it; otherwise, if every
 * first-row value is a distinct non-empty non-number (typical names), also a header.
 */
function looksLikeHeader(rows: string[][]): boolean {
  const [first, ...rest] = rows
  if (!first) return true
  if (rest.length === 0) return first.every((v) => v.trim() !== '' && !NUMBER.test(v))
  const typed = (v: string) => NUMBER.test(v) || DATE.test(v)
  for (let col = 0; col < first.length; col++) {
    const below = rest.map((r) => r[col] ?? '').filter((v) => v.trim() !== '')
    if (below.length > 0 && below.filter(typed).length / below.length > 0.5 && !typed(first[col] ?? '')) return true
  }
  const names = first.map((v) => v.trim())
  return names.every((v) => v !== '' && !typed(v)) && new Set(names).size === names.length
}
