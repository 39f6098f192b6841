import { StringDecoder } from 'node:string_decoder'
import { boolCell, type Cell, isoDateCell, numberCell } from './xlsx-cells.ts'
import type { WorkbookIndex, WorksheetPart } from './xlsx-workbook.ts'
import { attribute, columnIndex, decodeXml, stringItemText, unescapeOoxml } from './xlsx-xml.ts'
import { entryChunks } from './zip-reader.ts'

/** One row of a sheet that has at least one cell with a value; `row` is its 1-based number in the sheet. */
export interface SheetRow {
  row: number
  /** In column order; empty cells are absent. */
  cells: Cell[]
}

const P = '(?:[A-Za-z_][\\w.-]*:)?'
const ROW = new RegExp(`<${P}row\\b([^>]*?)(?:\\/>|>([\\s\\S]*?)<\\/${P}row>)`, 'g')
const CELL = new RegExp(`<${P}c\\b([^>]*?)(?:\\/>|>([\\s\\S]*?)<\\/${P}c>)`, 'g')
const VALUE = new RegExp(`<${P}v(?:\\s[^>]*)?(?:\\/>|>([\\s\\S]*?)<\\/${P}v>)`)
const INLINE = new RegExp(`<${P}is(?:\\s[^>]*)?>([\\s\\S]*?)<\\/${P}is>`)
const MERGE = new RegExp(`<${P}mergeCell\\b([^>]*?)\\/?>`, 'g')
const ROW_END = /<\/(?:[A-Za-z_][\w.-]*:)?row>/g
const R_ATTR = /(?:^|\s)r="([A-Z]*)(\d*)"/
const T_ATTR = /(?:^|\s)t="([^"]*)"/
const S_ATTR = /(?:^|\s)s="(\d+)"/

/**
 * Streams a worksheet's rows in batches, inflating and parsing its XML as it arrives (a sheet is never held
 * whole). Only rows with a value are yielded; `merges` receives the sheet's merged ranges (`A1:C1`), which
 * follow the cells in the file.
 */
export async function* sheetRows(
  file: string,
  part: WorksheetPart,
  index: WorkbookIndex,
  merges: string[],
): AsyncGenerator<SheetRow[]> {
  const decoder = new StringDecoder('utf8')
  // Text after the last complete row, kept as pieces: appending to one string and searching it would flatten
  // it on every chunk, quadratic in the length of a row of many megabytes.
  let pieces: string[] = []
  let tail = ''
  const state = { nextRow: 1 }
  for await (const chunk of await entryChunks(file, part.entry)) {
    const text = decoder.write(chunk)
    // Only whole rows are parsed. The new text is searched for the last row end, with the previous text's last
    // characters in front so that a closing tag split across chunks is found.
    const probe = tail + text
    let end = -1
    ROW_END.lastIndex = 0
    for (let m = ROW_END.exec(probe); m; m = ROW_END.exec(probe)) end = m.index + m[0].length
    tail = probe.slice(-16)
    if (end < 0) {
      pieces.push(text)
      continue
    }
    const cut = end - (probe.length - text.length)
    const rows = parseRows(pieces.join('') + text.slice(0, cut), index, state)
    pieces = [text.slice(cut)]
    tail = text.slice(cut).slice(-16)
    if (rows.length > 0) yield rows
  }
  pieces.push(decoder.end())
  const pending = pieces.join('')
  const rows = parseRows(pending, index, state)
  if (rows.length > 0) yield rows
  for (const m of pending.matchAll(MERGE)) {
    const ref = attribute(m[1] ?? '', 'ref')
    if (ref) merges.push(ref)
  }
}

function parseRows(xml: string, index: WorkbookIndex, state: { nextRow: number }): SheetRow[] {
  const rows: SheetRow[] = []
  ROW.lastIndex = 0
  for (let m = ROW.exec(xml); m; m = ROW.exec(xml)) {
    const declared = R_ATTR.exec(` ${m[1] ?? ''}`)?.[2]
    const row = declared ? Number(declared) : state.nextRow
    state.nextRow = row + 1
    const body = m[2]
    if (!body) continue
    const cells = parseCells(body, index)
    if (cells.length > 0) rows.push({ row, cells })
  }
  return rows
}

function parseCells(body: string, index: WorkbookIndex): Cell[] {
  const cells: Cell[] = []
  let next = 0
  CELL.lastIndex = 0
  for (let m = CELL.exec(body); m; m = CELL.exec(body)) {
    const attrs = ` ${m[1] ?? ''}`
    const letters = R_ATTR.exec(attrs)?.[1]
    const column = letters ? columnIndex(letters) : next
    next = column + 1
    const content = m[2]
    if (content === undefined) continue
    const cell = readCell(column, T_ATTR.exec(attrs)?.[1] ?? 'n', S_ATTR.exec(attrs)?.[1], content, index)
    if (cell) cells.push(cell)
  }
  // Writers put cells in column order; one that does not is sorted rather than misread.
  for (let i = 1; i < cells.length; i++)
    if ((cells[i] as Cell).column <= (cells[i - 1] as Cell).column) {
      cells.sort((a, b) => a.column - b.column)
      break
    }
  return cells
}

function readCell(
  column: number,
  type: string,
  style: string | undefined,
  content: string,
  index: WorkbookIndex,
): Cell | undefined {
  if (type === 'inlineStr') {
    const inline = INLINE.exec(content)?.[1]
    return { column, kind: 'string', text: inline === undefined ? '' : stringItemText(inline) }
  }
  const raw = VALUE.exec(content)?.[1]
  // A formula without a cached result, or a styled blank: no value.
  if (raw === undefined) return undefined
  const value = decodeXml(raw)
  switch (type) {
    case 's': {
      if (value === '') return undefined
      const text = index.sharedStrings[Number(value)]
      return text === undefined
        ? { column, kind: 'error', text: `shared string ${value} is missing` }
        : { column, kind: 'string', text }
    }
    case 'str':
      return { column, kind: 'string', text: unescapeOoxml(value) }
    case 'b':
      return boolCell(column, value)
    case 'e':
      return { column, kind: 'error', text: value }
    case 'd':
      return isoDateCell(column, value)
    default: {
      if (value === '') return undefined
      const numberStyle = index.styles[style === undefined ? 0 : Number(style)] ?? 'number'
      return numberCell(column, value.trim(), numberStyle, index.date1904)
    }
  }
}
