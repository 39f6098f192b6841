import { copyFile, open, readFile } from 'node:fs/promises'
import sharp, { type Metadata } from 'sharp'
import { mergeRows, parseTsv } from './ocr/tsv.ts'
import { type OcrPage, type OcrResult, pageFromLines } from './ocr/types.ts'
import { ToolError, type ToolJob, type ToolRunner } from './tool-runner.ts'

export type DocumentKind = 'image' | 'pdf'
export type DocumentMime = 'image/jpeg' | 'image/png' | 'image/heic' | 'application/pdf'

export interface DocumentLimits {
  /** Largest upload (bytes). */
  maxBytes: number
  /** Most pages of a PDF. */
  maxPages: number
  /** Most pixels of an image or of a rasterised page: the decompression-bomb guard (checked from headers). */
  maxPixels: number
  /** Each external tool's time limit. */
  toolTimeoutMs: number
}

export const defaultDocumentLimits: DocumentLimits = {
  maxBytes: 20 * 1024 * 1024,
  maxPages: 20,
  maxPixels: 40_000_000,
  toolTimeoutMs: 60_000,
}

/** A document that cannot be read: `code` is the API error code. */
export class DocumentError extends Error {
  constructor(
    readonly code:
      | 'unsupported_document'
      | 'document_too_large'
      | 'too_many_pages'
      | 'too_many_pixels'
      | 'unreadable_document'
      | 'encrypted_pdf'
      | 'document_timeout',
    message: string,
  ) {
    super(message)
    this.name = 'DocumentError'
  }
}

/** The type of a document from its first bytes (never from its name or the declared Content-Type). */
export async function sniffDocument(file: string): Promise<DocumentMime> {
  const handle = await open(file, 'r')
  const head = Buffer.alloc(16)
  try {
    await handle.read(head, 0, 16, 0)
  } finally {
    await handle.close()
  }
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg'
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png'
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf'
  const brand = head.subarray(4, 12).toString('latin1')
  if (/^ftyp(heic|heix|hevc|mif1|msf1)/.test(brand)) return 'image/heic'
  throw new DocumentError('unsupported_document', 'Only JPEG and PNG images and PDF documents can be read')
}

/** One page image ready for an engine: a greyscale PNG in the job folder. */
export interface PageImage {
  page: number
  file: string
  width: number
  height: number
}

export interface PreparedDocument {
  kind: DocumentKind
  pageCount: number
  /** Page images to read (none when the PDF's text layer was read instead). */
  images: PageImage[]
  /** The text layer of a PDF that has one (read with pdftotext). */
  pdfText: OcrResult | null
  /** Thumbnail PNG bytes (at most 320 px wide). */
  thumbnail: Buffer
  /** Page images to keep for the review screen (same pixels the boxes refer to). */
  pageFiles: PageImage[]
}

/** Below this many letters and digits per page, a PDF's text layer is taken as absent (a scan). */
const MIN_TEXT_CHARS_PER_PAGE = 20
/** Images narrower than this are enlarged before OCR: Tesseract reads small text poorly. */
const MIN_OCR_WIDTH = 600
const THUMBNAIL_WIDTH = 320

/**
 * Turns an original into what the engines read: an image is oriented by its EXIF tag, greyscaled, contrast
 * stretched and enlarged when small; a PDF's text layer is read with `pdftotext` (words and boxes from its
 * TSV, text with `-layout`), and a PDF without one is rasterised with `pdftoppm` at a resolution that stays
 * under the pixel limit. Limits are checked from headers before any pixel is decoded.
 */
export async function prepareDocument(
  runner: ToolRunner,
  job: ToolJob,
  original: string,
  mime: DocumentMime,
  limits: DocumentLimits,
): Promise<PreparedDocument> {
  if (mime === 'image/heic')
    throw new DocumentError('unsupported_document', 'HEIC photos cannot be read here yet: export them as JPEG')
  if (mime === 'application/pdf') return preparePdf(runner, job, original, limits)
  const image = await prepareImage(original, job.file('page-1.png'), limits)
  const page = { page: 1, file: 'page-1.png', ...image }
  return {
    kind: 'image',
    pageCount: 1,
    images: [page],
    pdfText: null,
    thumbnail: await thumbnail(job.file(page.file)),
    pageFiles: [page],
  }
}

async function prepareImage(input: string, output: string, limits: DocumentLimits) {
  let meta: Metadata
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata()
  } catch {
    throw new DocumentError('unreadable_document', 'The image cannot be decoded')
  }
  const { width = 0, height = 0 } = meta
  if (width * height > limits.maxPixels || width === 0)
    throw new DocumentError(
      'too_many_pixels',
      `Images are limited to ${limits.maxPixels} pixels (this one has ${width}×${height})`,
    )
  const scale =
    width < MIN_OCR_WIDTH ? Math.min(3, MIN_OCR_WIDTH / width, Math.sqrt(limits.maxPixels / (width * height))) : 1
  try {
    const upright = await sharp(input, { limitInputPixels: limits.maxPixels, failOn: 'error' })
      .rotate()
      .greyscale()
      .resize(scale > 1 ? { width: Math.round(width * scale), kernel: 'lanczos3' } : undefined)
      .normalise()
      .png({ compressionLevel: 1 })
      .toBuffer()
    const skew = await estimateSkew(upright)
    const out = await (Math.abs(skew) >= 0.3 ? sharp(upright).rotate(-skew, { background: '#ffffff' }) : sharp(upright))
      .png({ compressionLevel: 3 })
      .toFile(output)
    return { width: out.width, height: out.height }
  } catch (err) {
    throw new DocumentError('unreadable_document', `The image cannot be decoded (${(err as Error).message})`)
  }
}

/**
 * The skew of the text lines in degrees (clockwise positive), from -5 to 5, by projection profiles: the angle
 * whose sheared row sums are the most uneven (ink concentrated on lines, blank between them) wins. Read on a
 * copy at most 500 px wide.
 */
export async function estimateSkew(image: Buffer): Promise<number> {
  const { data, info } = await sharp(image)
    .resize({ width: 500, withoutEnlargement: true })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true })
  const { width, height } = info
  const xs: number[] = []
  const ys: number[] = []
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if ((data[y * width + x] as number) < 110) {
        xs.push(x)
        ys.push(y)
      }
  if (xs.length < 200) return 0
  const score = (degrees: number) => {
    const t = Math.tan((degrees * Math.PI) / 180)
    const bins = new Float64Array(height * 2 + width)
    const offset = width
    for (let i = 0; i < xs.length; i++) {
      const bin = Math.round((ys[i] as number) - (xs[i] as number) * t) + offset
      bins[bin] = (bins[bin] ?? 0) + 1
    }
    let sum = 0
    for (const b of bins) sum += b * b
    return sum
  }
  let best = 0
  let bestScore = score(0)
  for (let a = -5; a <= 5; a += 0.5) {
    const s = score(a)
    if (s > bestScore * 1.0001) {
      best = a
      bestScore = s
    }
  }
  // Refine around the best coarse angle.
  for (let a = best - 0.3; a <= best + 0.3; a += 0.05) {
    const s = score(a)
    if (s > bestScore) {
      best = a
      bestScore = s
    }
  }
  return Math.round(best * 100) / 100
}

async function thumbnail(file: string): Promise<Buffer> {
  return sharp(file).resize({ width: THUMBNAIL_WIDTH, withoutEnlargement: true }).png({ palette: true }).toBuffer()
}

async function tool(runner: ToolRunner, job: ToolJob, command: string, args: string[], limits: DocumentLimits) {
  try {
    return await runner.run(job, command, args, { timeoutMs: limits.toolTimeoutMs })
  } catch (err) {
    if (err instanceof ToolError && err.reason === 'timeout')
      throw new DocumentError('document_timeout', `Reading the document took longer than ${limits.toolTimeoutMs} ms`)
    if (err instanceof ToolError && err.reason === 'missing') throw err
    throw new DocumentError('unreadable_document', `The PDF cannot be read (${(err as Error).message})`)
  }
}

async function preparePdf(
  runner: ToolRunner,
  job: ToolJob,
  original: string,
  limits: DocumentLimits,
): Promise<PreparedDocument> {
  await copyFile(original, job.file('in.pdf'))
  let info: string
  try {
    info = (await runner.run(job, 'pdfinfo', ['in.pdf'], { timeoutMs: limits.toolTimeoutMs })).toString('utf8')
  } catch (err) {
    const message = (err as Error).message
    if (/Incorrect password|encrypted/i.test(message))
      throw new DocumentError('encrypted_pdf', 'The PDF is password protected')
    if (err instanceof ToolError && err.reason === 'missing') throw err
    throw new DocumentError('unreadable_document', 'The PDF cannot be read')
  }
  const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1] ?? 0)
  if (pages < 1) throw new DocumentError('unreadable_document', 'The PDF has no pages')
  if (pages > limits.maxPages)
    throw new DocumentError('too_many_pages', `PDFs are limited to ${limits.maxPages} pages (this one has ${pages})`)
  const size = /^Page size:\s+([\d.]+) x ([\d.]+) pts/m.exec(info)
  const [wPt, hPt] = size ? [Number(size[1]), Number(size[2])] : [612, 792]

  const layout = (await tool(runner, job, 'pdftotext', ['-layout', '-enc', 'UTF-8', 'in.pdf', '-'], limits)).toString(
    'utf8',
  )
  const chars = (layout.match(/[\p{L}\p{N}]/gu) ?? []).length
  // Resolution for the page images: 200 dpi when the pixel limit allows, less for huge pages.
  const dpi = Math.max(30, Math.min(200, Math.floor(Math.sqrt(limits.maxPixels / ((wPt / 72) * (hPt / 72))))))
  if (chars >= MIN_TEXT_CHARS_PER_PAGE * pages) {
    const tsv = (await tool(runner, job, 'pdftotext', ['-tsv', '-enc', 'UTF-8', 'in.pdf', '-'], limits)).toString(
      'utf8',
    )
    // Boxes are in PDF points; the review page images are rendered at `dpi`, so scale boxes to their pixels.
    const k = dpi / 72
    const ocrPages: OcrPage[] = []
    for (let p = 1; p <= pages; p++) {
      const lines = mergeRows(parseTsv(tsv, { page: p, missingConfidence: 1 })).map((l) => ({
        ...l,
        confidence: 1,
        box: scaleBox(l.box, k),
        words: l.words.map((w) => ({ ...w, confidence: 1, box: scaleBox(w.box, k) })),
      }))
      ocrPages.push(
        pageFromLines({ page: p, width: Math.round(wPt * k), height: Math.round(hPt * k), rotation: 0, lines }),
      )
    }
    const pageFiles = await rasterise(runner, job, pages, dpi, limits)
    return {
      kind: 'pdf',
      pageCount: pages,
      images: [],
      pdfText: {
        engine: 'pdftotext',
        source: 'pdf_text',
        pages: ocrPages,
        text: layout,
        confidence: 1,
        seconds: 0,
      },
      thumbnail: await thumbnail(job.file((pageFiles[0] as PageImage).file)),
      pageFiles,
    }
  }
  const images = await rasterise(runner, job, pages, Math.min(300, Math.max(dpi, 0)), limits)
  return {
    kind: 'pdf',
    pageCount: pages,
    images,
    pdfText: null,
    thumbnail: await thumbnail(job.file((images[0] as PageImage).file)),
    pageFiles: images,
  }
}

const scaleBox = (b: { x: number; y: number; width: number; height: number }, k: number) => ({
  x: Math.round(b.x * k),
  y: Math.round(b.y * k),
  width: Math.round(b.width * k),
  height: Math.round(b.height * k),
})

async function rasterise(runner: ToolRunner, job: ToolJob, pages: number, dpi: number, limits: DocumentLimits) {
  await tool(runner, job, 'pdftoppm', ['-r', String(dpi), '-gray', '-png', 'in.pdf', 'raster'], limits)
  const images: PageImage[] = []
  const digits = String(pages).length
  for (let p = 1; p <= pages; p++) {
    const name = `raster-${String(p).padStart(digits, '0')}.png`
    const file = `page-${p}.png`
    const meta = await sharp(await readFile(job.file(name)))
      .normalise()
      .png({ compressionLevel: 3 })
      .toFile(job.file(file))
    images.push({ page: p, file, width: meta.width, height: meta.height })
  }
  return images
}
