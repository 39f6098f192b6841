import sharp from 'sharp'
import { ToolError, type ToolRunner } from '../tool-runner.ts'
import { mergeRows, parseTsv } from './tsv.ts'
import { type OcrEngine, OcrEngineError, type OcrInput, type OcrPage, pageFromLines } from './types.ts'

export interface TesseractOptions {
  /**
   * Page segmentation mode. 6 ("a single uniform block of text") suits receipts: one column, rows
   * with a label on the left and an amount on the right (4 loses the right column of monospaced receipts).
   */
  psm: number
  /** Below this page confidence (0..1), orientation detection (`--psm 0`) runs and a turned page is read again. */
  rotateBelowConfidence: number
  timeoutMs: number
}

export const defaultTesseractOptions: TesseractOptions = { psm: 6, rotateBelowConfidence: 0.6, timeoutMs: 60_000 }

/**
 * The default engine: Tesseract 5 (LSTM) from the system packages, run sandboxed on the page PNG; its TSV output
 * gives words with boxes and confidences. A page read with low confidence gets orientation detection, and is
 * read again turned when Tesseract's OSD says so (upside-down and sideways photos).
 *
 * @example
 * const engine = new TesseractEngine(createToolRunner('bwrap'))
 * const page = await engine.recognize({ job, file: 'page-1.png', width, height, page: 1, languages: ['eng', 'fra'] })
 */
export class TesseractEngine implements OcrEngine {
  readonly name = 'tesseract'
  readonly options: TesseractOptions

  constructor(
    private readonly runner: ToolRunner,
    options: Partial<TesseractOptions> = {},
  ) {
    this.options = { ...defaultTesseractOptions, ...options }
  }

  async recognize(input: OcrInput): Promise<OcrPage> {
    const first = await this.#read(input, input.file, 0)
    if (first.confidence >= this.options.rotateBelowConfidence) return first
    const rotation = await this.#orientation(input)
    if (rotation === 0) return first
    const turned = `rot${rotation}-${input.file}`
    await sharp(input.job.file(input.file)).rotate(rotation).png().toFile(input.job.file(turned))
    const swapped = rotation === 90 || rotation === 270
    const second = await this.#read(
      { ...input, width: swapped ? input.height : input.width, height: swapped ? input.width : input.height },
      turned,
      rotation,
    )
    return second.confidence > first.confidence ? second : first
  }

  async #read(input: OcrInput, file: string, rotation: number): Promise<OcrPage> {
    const tsv = await this.#tesseract(input, [
      file,
      'stdout',
      '-l',
      input.languages.join('+'),
      '--psm',
      String(this.options.psm),
      'tsv',
    ])
    const lines = mergeRows(parseTsv(tsv))
    return pageFromLines({ page: input.page, width: input.width, height: input.height, rotation, lines })
  }

  /** Clockwise degrees that make the page upright, from Tesseract's OSD; 0 when unsure or nothing to read. */
  async #orientation(input: OcrInput): Promise<number> {
    let out: string
    try {
      out = await this.#tesseract(input, [input.file, 'stdout', '--psm', '0'])
    } catch (err) {
      // OSD refuses pages with too few characters ("Too few characters"): keep the upright reading.
      if (err instanceof OcrEngineError) return 0
      throw err
    }
    const rotate = Number(/Rotate:\s*(\d+)/.exec(out)?.[1] ?? 0)
    const confidence = Number(/Orientation confidence:\s*([\d.]+)/.exec(out)?.[1] ?? 0)
    return confidence >= 1 && [90, 180, 270].includes(rotate) ? rotate : 0
  }

  async #tesseract(input: OcrInput, args: string[]): Promise<string> {
    try {
      const out = await this.runner.run(input.job, 'tesseract', args, { timeoutMs: this.options.timeoutMs })
      return out.toString('utf8')
    } catch (err) {
      if (err instanceof ToolError) throw new OcrEngineError(this.name, err.message)
      throw err
    }
  }
}
