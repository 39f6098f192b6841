import { type Box, lineFromWords, type OcrLine, type OcrWord } from './types.ts'

/**
 * Parses Tesseract's TSV output (also what `pdftotext -tsv` writes): one row per page, block, paragraph,
 * line and word, level 5 being words with `left top width height conf text`. Words are grouped into lines by
 * (page, block, paragraph, line) and the level-4 row that opened them; confidences are scaled to 0..1 (`-1`, "no confidence", reads as 1 for
 * PDF text and is ignored otherwise).
 */
export function parseTsv(tsv: string, options: { page?: number; missingConfidence?: number } = {}): OcrLine[] {
  const rows = tsv.split('\n')
  const header = rows[0]?.split('\t') ?? []
  const col = (name: string) => header.indexOf(name)
  const idx = {
    level: col('level'),
    page: col('page_num'),
    block: col('block_num'),
    par: col('par_num'),
    line: col('line_num'),
    left: col('left'),
    top: col('top'),
    width: col('width'),
    height: col('height'),
    conf: col('conf'),
    text: col('text'),
  }
  if (idx.level < 0 || idx.text < 0) return []
  const lines = new Map<string, OcrWord[]>()
  // A level-4 row opens each line: pdftotext numbers every line 0, so lines are told apart by it.
  let lineSeq = 0
  for (const row of rows.slice(1)) {
    if (!row) continue
    const f = row.split('\t')
    if (f[idx.level] === '4') lineSeq++
    if (f[idx.level] !== '5') continue
    if (options.page !== undefined && Number(f[idx.page]) !== options.page) continue
    const text = (f.slice(idx.text).join('\t') ?? '').trim()
    if (!text || text.startsWith('###')) continue
    const raw = Number(f[idx.conf])
    const confidence = raw < 0 ? (options.missingConfidence ?? 0) : Math.min(1, raw / 100)
    const box: Box = {
      x: Math.round(Number(f[idx.left])),
      y: Math.round(Number(f[idx.top])),
      width: Math.round(Number(f[idx.width])),
      height: Math.round(Number(f[idx.height])),
    }
    const key = `${f[idx.page]}:${f[idx.block]}:${f[idx.par]}:${f[idx.line]}:${lineSeq}`
    const words = lines.get(key)
    if (words) words.push({ text, box, confidence })
    else lines.set(key, [{ text, box, confidence }])
  }
  return [...lines.values()].map(lineFromWords)
}

/**
 * Merges lines whose vertical extents mostly overlap into one, left to right. Tesseract (and pdftotext) split
 * a receipt row like `Café crème        3,50` into two blocks; a parser wants the row.
 */
export function mergeRows(lines: OcrLine[]): OcrLine[] {
  const sorted = [...lines].sort((a, b) => a.box.y + a.box.height / 2 - (b.box.y + b.box.height / 2))
  const rows: OcrLine[][] = []
  for (const line of sorted) {
    const mid = line.box.y + line.box.height / 2
    const row = rows.find((r) => {
      const first = r[0] as OcrLine
      const overlap =
        Math.min(first.box.y + first.box.height, line.box.y + line.box.height) - Math.max(first.box.y, line.box.y)
      return (
        overlap > 0.5 * Math.min(first.box.height, line.box.height) &&
        Math.abs(first.box.y + first.box.height / 2 - mid) < first.box.height
      )
    })
    if (row) row.push(line)
    else rows.push([line])
  }
  return rows.map((row) => lineFromWords(row.sort((a, b) => a.box.x - b.box.x).flatMap((l) => l.words)))
}
