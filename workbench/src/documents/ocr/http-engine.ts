import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { DestinationNotAllowedError } from '../../connections/outbound-http.ts'
import { type OcrEngine, OcrEngineError, type OcrInput, type OcrPage, pageFromLines } from './types.ts'

/**
 * The HTTP OCR contract (docs/receipts.md, "HTTP OCR engine"): `POST <url>` with JSON
 * `{ image: <base64 PNG>, mimeType: 'image/png', width, height, languages }`, answered with
 * `{ lines: [{ text, confidence, box: {x, y, width, height}, words?: [{ text, confidence, box }] }], rotation? }`
 * where confidences are 0..1 and boxes are pixels of the image sent.
 */
const BoxSchema = z.object({ x: z.number(), y: z.number(), width: z.number().min(0), height: z.number().min(0) })
const WordSchema = z.object({ text: z.string(), confidence: z.number().min(0).max(1), box: BoxSchema })
export const HttpOcrResponse = z.object({
  lines: z.array(
    z.object({
      text: z.string(),
      confidence: z.number().min(0).max(1),
      box: BoxSchema,
      words: z.array(WordSchema).optional(),
    }),
  ),
  rotation: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]).optional(),
})
export type HttpOcrResponse = z.infer<typeof HttpOcrResponse>

export interface HttpOcrRequest {
  image: string
  mimeType: 'image/png'
  width: number
  height: number
  languages: string[]
}

export interface HttpEngineOptions {
  url: string
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string
  timeoutMs: number
  /** The guarded fetch of the outbound policy. */
  fetch: typeof fetch
  /** Largest answer read (bytes). */
  maxResponseBytes?: number
}

/**
 * A hosted OCR service speaking the contract above, reached through the instance's outbound policy
 * (a destination the policy refuses fails as `ocr_failed` naming the policy).
 */
export class HttpOcrEngine implements OcrEngine {
  readonly name = 'http'

  constructor(private readonly options: HttpEngineOptions) {}

  async recognize(input: OcrInput): Promise<OcrPage> {
    const png = await readFile(input.job.file(input.file))
    const body: HttpOcrRequest = {
      image: png.toString('base64'),
      mimeType: 'image/png',
      width: input.width,
      height: input.height,
      languages: input.languages,
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' }
    if (this.options.token) headers.Authorization = `Bearer ${this.options.token}`
    let res: Response
    try {
      res = await this.options.fetch(this.options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      })
    } catch (err) {
      if (err instanceof DestinationNotAllowedError)
        throw new OcrEngineError(
          this.name,
          `The OCR service address is not allowed by the network policy: ${err.message}`,
        )
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
        throw new OcrEngineError(this.name, `The OCR service did not answer within ${this.options.timeoutMs} ms`)
      throw new OcrEngineError(this.name, `The OCR service cannot be reached (${(err as Error).message})`)
    }
    const text = await res.text()
    if (text.length > (this.options.maxResponseBytes ?? 16 * 1024 * 1024))
      throw new OcrEngineError(this.name, 'The OCR service answered more than the size limit')
    if (!res.ok) throw new OcrEngineError(this.name, `The OCR service answered HTTP ${res.status}`)
    let parsed: HttpOcrResponse
    try {
      parsed = HttpOcrResponse.parse(JSON.parse(text))
    } catch {
      throw new OcrEngineError(this.name, 'The OCR service answered something that is not the documented JSON')
    }
    const lines = parsed.lines
      .filter((l) => l.text.trim())
      .map((l) => ({
        text: l.text.trim(),
        box: l.box,
        confidence: l.confidence,
        words:
          l.words && l.words.length > 0
            ? l.words
            : l.text
                .trim()
                .split(/\s+/)
                .map((w) => ({ text: w, confidence: l.confidence, box: l.box })),
      }))
    return pageFromLines({
      page: input.page,
      width: input.width,
      height: input.height,
      rotation: parsed.rotation ?? 0,
      lines,
    })
  }
}
