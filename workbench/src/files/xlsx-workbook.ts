import path from 'node:path'
import { attribute, elements, section, stringItemText } from './xlsx-xml.ts'
import type { ZipEntry } from './zip-guard.ts'
import { entryText } from './zip-reader.ts'

/** One worksheet as the workbook lists it: its tab name and the archive entry holding its cells. */
export interface WorksheetPart {
  name: string
  /** Archive entry of the sheet's XML (`xl/worksheets/sheet3.xml`). */
  entry: ZipEntry
  hidden: boolean
}

/** How a cell style shows numbers: as numbers, as dates/times (serial days), or as durations (`[h]:mm`). */
export type NumberStyle = 'number' | 'date' | 'datetime' | 'duration'

/** What is needed to read any sheet's cells: the date system, the styles' number kinds, the shared strings. */
export interface WorkbookIndex {
  /** Worksheets in the workbook's tab order (chart sheets, which hold no cells, left out). */
  sheets: WorksheetPart[]
  /** Serial day 0 is 1904-01-01 (old Mac Excel) instead of 1899-12-30 (with the 1900 leap-year quirk). */
  date1904: boolean
  /** The number kind of each cell style (`s` attribute), in `cellXfs` order. */
  styles: NumberStyle[]
  sharedStrings: string[]
}

const WORKSHEET_TYPE = /\/worksheet$/
const OFFICE_DOCUMENT = /\/officeDocument$/

/**
 * Reads the workbook's index parts. Names and order come from `workbook.xml`'s `<sheet>` elements (the tab
 * order) resolved through its relationships, never from the entries' file names or their order in the
 * archive, which writers choose freely (openpyxl writes the sheets before the workbook part).
 */
export async function readWorkbookIndex(file: string, entries: ZipEntry[]): Promise<WorkbookIndex> {
  const byName = new Map(entries.map((e) => [e.name, e]))
  const text = async (name: string) => {
    const entry = byName.get(name)
    return entry ? entryText(file, entry) : undefined
  }
  const rootRels = relationships(await text('_rels/.rels'), '')
  const workbookPath = rootRels.find((r) => OFFICE_DOCUMENT.test(r.type))?.target ?? 'xl/workbook.xml'
  const workbookXml = await text(workbookPath)
  if (workbookXml === undefined) throw new Error(`the workbook part ${workbookPath} is missing`)
  const base = path.posix.dirname(workbookPath)
  const relsPath = path.posix.join(base, '_rels', `${path.posix.basename(workbookPath)}.rels`)
  const rels = relationships(await text(relsPath), base)
  const relById = new Map(rels.map((r) => [r.id, r]))

  const sheets: WorksheetPart[] = []
  for (const attrs of elements(section(workbookXml, 'sheets') ?? '', 'sheet')) {
    const rel = relById.get(attribute(attrs, 'id', true) ?? '')
    if (!rel || !WORKSHEET_TYPE.test(rel.type)) continue
    const entry = byName.get(rel.target)
    if (!entry) throw new Error(`the sheet part ${rel.target} is missing`)
    const state = attribute(attrs, 'state')
    sheets.push({
      name: attribute(attrs, 'name') ?? rel.target,
      entry,
      hidden: state === 'hidden' || state === 'veryHidden',
    })
  }
  const workbookPr = elements(workbookXml, 'workbookPr')[0] ?? ''
  const date1904 = ['1', 'true'].includes(attribute(workbookPr, 'date1904') ?? '')

  const stylesTarget = rels.find((r) => r.type.endsWith('/styles'))?.target
  const sharedTarget = rels.find((r) => r.type.endsWith('/sharedStrings'))?.target
  const stylesXml = stylesTarget ? await text(stylesTarget) : undefined
  const sharedXml = sharedTarget ? await text(sharedTarget) : undefined
  return {
    sheets,
    date1904,
    styles: stylesXml ? numberStyles(stylesXml) : [],
    sharedStrings: sharedXml ? sharedStrings(sharedXml) : [],
  }
}

interface Relationship {
  id: string
  type: string
  /** Archive path of the target (relative targets resolved against the part's folder). */
  target: string
}

function relationships(xml: string | undefined, base: string): Relationship[] {
  if (!xml) return []
  return elements(xml, 'Relationship').map((attrs) => {
    const target = attribute(attrs, 'Target') ?? ''
    return {
      id: attribute(attrs, 'Id') ?? '',
      type: attribute(attrs, 'Type') ?? '',
      target: target.startsWith('/') ? target.slice(1) : path.posix.normalize(path.posix.join(base, target)),
    }
  })
}

const SHARED_ITEM = /<(?:[A-Za-z_][\w.-]*:)?si(?:\s[^>]*)?(?:\/>|>([\s\S]*?)<\/(?:[A-Za-z_][\w.-]*:)?si>)/g

function sharedStrings(xml: string): string[] {
  const strings: string[] = []
  for (const item of xml.matchAll(SHARED_ITEM)) strings.push(stringItemText(item[1] ?? ''))
  return strings
}

/**
 * Built-in number formats that show dates or times (ECMA-376 §18.8.30), including the East Asian ones
 * (27–36, 50–58) that Excel in those locales writes without a format code.
 */
const BUILTIN: Record<number, string> = {
  14: 'mm-dd-yy',
  15: 'd-mmm-yy',
  16: 'd-mmm',
  17: 'mmm-yy',
  18: 'h:mm AM/PM',
  19: 'h:mm:ss AM/PM',
  20: 'h:mm',
  21: 'h:mm:ss',
  22: 'm/d/yy h:mm',
  45: 'mm:ss',
  46: '[h]:mm:ss',
  47: 'mmss.0',
}
for (const id of [27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58]) BUILTIN[id] = 'yyyy-mm-dd'
for (const id of [32, 33, 55, 56]) BUILTIN[id] = 'h:mm:ss'

function numberStyles(xml: string): NumberStyle[] {
  const custom = new Map<number, string>()
  for (const attrs of elements(section(xml, 'numFmts') ?? '', 'numFmt'))
    custom.set(Number(attribute(attrs, 'numFmtId')), attribute(attrs, 'formatCode') ?? '')
  return elements(section(xml, 'cellXfs') ?? '', 'xf').map((attrs) => {
    const id = Number(attribute(attrs, 'numFmtId') ?? 0)
    return formatKind(custom.get(id) ?? BUILTIN[id])
  })
}

// As openpyxl reads formats (styles/numbers.py): quoted literals and bracketed locale/colour parts do not count.
const LITERALS = /"[^"]*"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]/g
const DURATION = /\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?/i
const DATE_PART = /(?<![_\\])[dmhysDMHYS]/
const TIME_PART = /(?<![_\\])[hsHS]/

/** What a number format code shows a number as. */
export function formatKind(code: string | undefined): NumberStyle {
  if (!code) return 'number'
  const first = code.split(';')[0] ?? ''
  if (DURATION.test(first)) return 'duration'
  const stripped = first.replace(LITERALS, '')
  if (!DATE_PART.test(stripped)) return 'number'
  return TIME_PART.test(stripped) ? 'datetime' : 'date'
}
