import type { ToolJob } from '../tool-runner.ts'

/** A rectangle in page pixels (origin top left) of the image the engine read. */
export interface Box {
  x: number
  y: number
  width: number
  height: number
}

export interface OcrWord {
  text: string
  box: Box
  /** 0..1 */
  confidence: number
}

export interface OcrLine {
  text: string
  box: Box
  /** 0..1: the mean of its words' confidences. */
  confidence: number
  words: OcrWord[]
}

/** What an engine read on one page. */
export interface OcrPage {
  /** 1-based. */
  page: number
  width: number
  height: number
  /** Clockwise degrees the page was turned before reading (0 when it was upright). */
  rotation: number
  text: string
  lines: OcrLine[]
  /** 0..1: the mean word confidence of the page (0 when nothing was read). */
  confidence: number
}

/** The text of a whole document and where it came from. */
export interface OcrResult {
  engine: string
  /** `ocr`: recognised from pixels; `pdf_text`: read from the PDF's text layer (confidence 1). */
  source: 'ocr' | 'pdf_text'
  pages: OcrPage[]
  text: string
  confidence: number
  /** Seconds spent reading (all pages). */
  seconds: number
}

/** One page image handed to an engine: a PNG in a job folder, with its size. */
export interface OcrInput {
  /** The job folder holding the page (the only folder a sandboxed engine sees). */
  job: ToolJob
  /** File name of a PNG (8-bit grey or RGB) inside the job folder. */
  file: string
  width: number
  height: number
  page: number
  /** Tesseract language codes, e.g. `['eng', 'fra']`. */
  languages: string[]
}

/**
 * An OCR engine: reads one page image into text, lines, word boxes and confidences.
 * Engines never throw for a page without text: they answer no lines and confidence 0.
 */
export interface OcrEngine {
  readonly name: string
  recognize(input: OcrInput): Promise<OcrPage>
}

/** An engine failed to read a page (crash, timeout, bad answer): answered as `ocr_failed`. */
export class OcrEngineError extends Error {
  constructor(
    readonly engine: string,
    message: string,
  ) {
    super(message)
    this.name = 'OcrEngineError'
  }
}

/** Joins lines into page text and computes the line box and confidence from words. */
export function lineFromWords(words: OcrWord[]): OcrLine {
  const x = Math.min(...words.map((w) => w.box.x))
  const y = Math.min(...words.map((w) => w.box.y))
  const right = Math.max(...words.map((w) => w.box.x + w.box.width))
  const bottom = Math.max(...words.map((w) => w.box.y + w.box.height))
  return {
    text: words.map((w) => w.text).join(' '),
    box: { x, y, width: right - x, height: bottom - y },
    confidence: mean(words.map((w) => w.confidence)),
    words,
  }
}

export function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length
}

/** A page's text and confidence from its lines. */
export function pageFromLines(base: Omit<OcrPage, 'text' | 'confidence'>): OcrPage {
  const words = base.lines.flatMap((l) => l.words)
  return {
    ...base,
    text: base.lines.map((l) => l.text).join('\n'),
    confidence: mean(words.map((w) => w.confidence)),
  }
}
