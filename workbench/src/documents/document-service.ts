import { createHash, randomUUID } from 'node:crypto'
import { copyFile, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Kysely, Selectable } from 'kysely'
import type { Database } from '../db/schema.ts'
import { AppError, NotFoundError } from '../http/errors.ts'
import { merchantKey, parseReceipt } from '../receipts/parser.ts'
import { correctionExamples, type LearnedRule, rulesFrom, valuesOf } from '../receipts/rules.ts'
import type { LearnedRules, ParsedReceipt, ReceiptCorrection, ReceiptLocale, ReceiptValues } from '../receipts/types.ts'
import { mean, type OcrEngine, OcrEngineError, type OcrPage, type OcrResult } from './ocr/types.ts'
import {
  DocumentError,
  type DocumentKind,
  type DocumentLimits,
  type DocumentMime,
  defaultDocumentLimits,
  prepareDocument,
  sniffDocument,
} from './pages.ts'
import type { DocumentsTable } from './tables.ts'
import { ToolError, ToolJob, type ToolRunner } from './tool-runner.ts'

/** uploaded -> ocr_done -> needs_review -> reviewed; `no_text` and `failed` end a reading (it can be re-run). */
export type DocumentStatus = 'uploaded' | 'ocr_done' | 'needs_review' | 'reviewed' | 'no_text' | 'failed'

export interface DocumentPage {
  page: number
  width: number
  height: number
}

export interface Duplicate {
  documentId: string
  name: string
  /** `same_file`: identical bytes; `same_receipt`: same merchant, date and total. */
  reason: 'same_file' | 'same_receipt'
}

/** A document as the API shows it. */
export interface DocumentRecord {
  id: string
  workspaceId: string
  name: string
  mime: DocumentMime
  kind: DocumentKind
  size: number
  sha256: string
  pageCount: number
  /** Page images kept for review; OCR boxes are in these pixels. */
  pages: DocumentPage[]
  status: DocumentStatus
  engine: string | null
  textSource: 'ocr' | 'pdf_text' | null
  ocrConfidence: number | null
  /** The parser's reading, each field with its confidence and box; null before parsing or without text. */
  receipt: ParsedReceipt | null
  /** Current values: the parser's, with the reviewer's corrections. */
  values: ReceiptValues | null
  /** 0..1: the lowest confidence of merchant, date and total. */
  confidence: number | null
  /** Fields under the review threshold (a document with any never skips review). */
  lowConfidence: string[]
  duplicates: Duplicate[]
  error: { code: string; message: string } | null
  createdBy: string | null
  reviewedBy: string | null
  reviewedAt: string | null
  createdAt: string
  updatedAt: string
}

export interface DocumentOptions {
  /** The instance data folder (documents go under each workspace's data folder, like files). */
  dataDir: string
  runner: ToolRunner
  engines: Record<string, OcrEngine>
  defaultEngine: string
  languages: string[]
  defaultLocale: ReceiptLocale
  limits: DocumentLimits
  /** A field under this confidence needs review (default 0.8). */
  reviewThreshold: number
  /**
   * Receipts whose merchant, date and total are all at or above this confidence, with no warning and no
   * duplicate, are marked reviewed without a person; null (the default) never does.
   */
  autoAcceptConfidence: number | null
  /** Readings running at once (OCR is CPU bound); more wait. */
  concurrency: number
}

/** Fewer letters and digits than this on every page reads as "no text found". */
const MIN_TEXT_CHARS = 8
const KEY_FIELDS = ['merchant', 'date', 'total'] as const
const SCORED_FIELDS = ['merchant', 'date', 'total', 'taxTotal', 'currency'] as const

/**
 * Documents (receipt images and PDFs) of a workspace: upload with limits, reading (PDF text layer or OCR),
 * receipt parsing, duplicate detection, and review with corrections that teach the parser.
 *
 * @example
 * const doc = await documents.upload(ws, { name: 'receipt.jpg', body, createdBy: userId })
 * const read = await documents.process(ws, doc.id)           // status needs_review (or no_text)
 * await documents.review(ws, doc.id, { corrections: { total: 12.5 }, accept: true }, userId)
 * const receipt = await documents.reviewedReceipt(ws, doc.id) // ReceiptValues, only once reviewed
 */
export class DocumentService {
  readonly options: DocumentOptions
  #running = 0
  readonly #waiting: (() => void)[] = []

  constructor(
    private readonly db: Kysely<Database>,
    options: Partial<DocumentOptions> & Pick<DocumentOptions, 'dataDir' | 'runner' | 'engines'>,
  ) {
    this.options = {
      defaultEngine: 'tesseract',
      languages: ['eng', 'fra'],
      defaultLocale: 'fr',
      limits: defaultDocumentLimits,
      reviewThreshold: 0.8,
      autoAcceptConfidence: null,
      concurrency: 2,
      ...options,
    }
  }

  /** Engines this instance can use. */
  engineNames(): string[] {
    return Object.keys(this.options.engines)
  }

  documentDir(workspaceId: string, documentId: string): string {
    return path.join(this.options.dataDir, 'workspaces', safe(workspaceId), 'data', 'documents', safe(documentId))
  }

  /**
   * Streams an upload to disk (bounded by `limits.maxBytes`, hashed on the way), checks its type from its bytes
   * and its pages/pixels from headers, and keeps the original, page images and a thumbnail. Nothing is kept
   * when any check fails.
   */
  async upload(
    workspaceId: string,
    input: { name: string; body: AsyncIterable<Uint8Array> | null; createdBy: string | null },
  ): Promise<DocumentRecord> {
    const id = randomUUID()
    const dir = this.documentDir(workspaceId, id)
    await mkdir(dir, { recursive: true })
    const job = await ToolJob.create()
    try {
      const { size, sha256 } = await this.#receive(input.body, path.join(dir, 'original'))
      if (size === 0) throw new AppError(400, 'empty_document', 'The document is empty')
      const mime = await this.#sniff(path.join(dir, 'original'))
      const prepared = await this.#guard(() =>
        prepareDocument(this.options.runner, job, path.join(dir, 'original'), mime, this.options.limits),
      )
      await writeFile(path.join(dir, 'thumbnail.png'), prepared.thumbnail)
      for (const p of prepared.pageFiles) await copyFile(job.file(p.file), path.join(dir, `page-${p.page}.png`))
      const pages = prepared.pageFiles.map(({ page, width, height }) => ({ page, width, height }))
      await this.db
        .insertInto('documents')
        .values({
          id,
          workspace_id: workspaceId,
          name: input.name,
          mime,
          kind: prepared.kind,
          size,
          sha256,
          page_count: prepared.pageCount,
          pages: JSON.stringify(pages),
          status: 'uploaded',
          engine: prepared.pdfText ? 'pdftotext' : null,
          // A text layer is the reading: kept now so processing needs no engine.
          ocr: prepared.pdfText ? JSON.stringify(prepared.pdfText) : null,
          created_by: input.createdBy,
        })
        .execute()
    } catch (err) {
      await rm(dir, { recursive: true, force: true })
      throw err
    } finally {
      await job.dispose()
    }
    return this.getOrThrow(workspaceId, id)
  }

  /**
   * Reads the document (its PDF text layer, or OCR of its pages with `engine`) and parses the receipt.
   * Ends in `needs_review`, `no_text` (with the engine's confidence) or `failed` (the engine broke); a reviewed
   * document is not read again.
   */
  async process(workspaceId: string, documentId: string, options: { engine?: string } = {}): Promise<DocumentRecord> {
    const row = await this.#row(workspaceId, documentId)
    if (row.status === 'reviewed')
      throw new AppError(409, 'document_reviewed', 'This receipt was reviewed; it is not read again')
    const engineName = options.engine ?? this.options.defaultEngine
    let ocr: OcrResult
    const textLayer = row.engine === 'pdftotext' && row.ocr ? (json(row.ocr) as OcrResult) : null
    if (textLayer && options.engine === undefined) ocr = textLayer
    else {
      const engine = this.options.engines[engineName]
      if (!engine)
        throw new AppError(
          400,
          'unknown_engine',
          `No OCR engine named ${engineName}; available: ${this.engineNames().join(', ')}`,
        )
      try {
        ocr = await this.#limit(() => this.#recognize(workspaceId, documentId, pagesOf(row), engine))
      } catch (err) {
        if (!(err instanceof OcrEngineError)) throw err
        await this.#update(documentId, {
          status: 'failed',
          engine: engineName,
          error_code: 'ocr_failed',
          error: err.message,
        })
        return this.getOrThrow(workspaceId, documentId)
      }
      await this.#update(documentId, {
        status: 'ocr_done',
        engine: engineName,
        ocr: JSON.stringify(ocr),
        ocr_confidence: ocr.confidence,
        error_code: null,
        error: null,
      })
    }
    const chars = (ocr.text.match(/[\p{L}\p{N}]/gu) ?? []).length
    if (chars < MIN_TEXT_CHARS) {
      await this.#update(documentId, {
        status: 'no_text',
        receipt: null,
        reviewed: null,
        confidence: null,
        error_code: 'no_text_found',
        error: `No text found (${ocr.engine} confidence ${ocr.confidence.toFixed(2)})`,
        ...receiptKeys(null),
      })
      return this.getOrThrow(workspaceId, documentId)
    }
    const receipt = parseReceipt(ocr, {
      defaultLocale: this.options.defaultLocale,
      rules: await this.rules(workspaceId),
    })
    const values = valuesOf(receipt)
    await this.#update(documentId, {
      status: 'needs_review',
      receipt: JSON.stringify(receipt),
      reviewed: JSON.stringify(values),
      confidence: receipt.confidence,
      error_code: null,
      error: null,
      ...receiptKeys(values),
    })
    const record = await this.getOrThrow(workspaceId, documentId)
    const auto = this.options.autoAcceptConfidence
    if (
      auto !== null &&
      KEY_FIELDS.every((f) => receipt[f].confidence >= auto) &&
      receipt.warnings.length === 0 &&
      record.duplicates.length === 0 &&
      record.lowConfidence.length === 0
    ) {
      await this.#update(documentId, { status: 'reviewed', reviewed_at: new Date(), reviewed_by: null })
      return this.getOrThrow(workspaceId, documentId)
    }
    return record
  }

  /**
   * Saves a reviewer's corrections (each changed field is stored as a training example and may teach a rule)
   * and, with `accept`, marks the receipt reviewed: it needs a merchant, a date and a positive total.
   */
  async review(
    workspaceId: string,
    documentId: string,
    input: { corrections: ReceiptCorrection; accept: boolean },
    userId: string | null,
  ): Promise<DocumentRecord> {
    const row = await this.#row(workspaceId, documentId)
    if (row.status === 'reviewed') throw new AppError(409, 'document_reviewed', 'This receipt was already reviewed')
    if (row.status !== 'needs_review')
      throw new AppError(409, 'document_not_ready', `Only a read receipt can be reviewed (this one is ${row.status})`)
    const receipt = json(row.receipt) as ParsedReceipt
    const current = json(row.reviewed) as ReceiptValues
    const { values, examples } = correctionExamples(receipt, current, input.corrections)
    if (input.accept) {
      const missing = KEY_FIELDS.filter((f) => values[f] === null)
      if (missing.length > 0)
        throw new AppError(422, 'receipt_incomplete', `A reviewed receipt needs ${missing.join(', ')}`, { missing })
      if ((values.total ?? 0) <= 0) throw new AppError(422, 'receipt_incomplete', 'The total must be positive')
    }
    await this.db.transaction().execute(async (tx) => {
      for (const e of examples)
        await tx
          .insertInto('receipt_corrections')
          .values({
            id: randomUUID(),
            workspace_id: workspaceId,
            document_id: documentId,
            field: e.field,
            parsed: JSON.stringify(e.parsed ?? null),
            corrected: JSON.stringify(e.corrected ?? null),
            source_text: e.sourceText,
            rule: e.rule ? JSON.stringify(e.rule) : null,
            created_by: userId,
          })
          .execute()
      await tx
        .updateTable('documents')
        .set({
          reviewed: JSON.stringify(values),
          ...receiptKeys(values),
          updated_at: new Date(),
          ...(input.accept ? { status: 'reviewed', reviewed_by: userId, reviewed_at: new Date() } : {}),
        })
        .where('id', '=', documentId)
        .where('status', '=', 'needs_review')
        .execute()
    })
    return this.getOrThrow(workspaceId, documentId)
  }

  /** The values of a reviewed receipt (what an expense is made from); refused before review. */
  async reviewedReceipt(workspaceId: string, documentId: string): Promise<ReceiptValues> {
    const row = await this.#row(workspaceId, documentId)
    if (row.status !== 'reviewed')
      throw new AppError(409, 'receipt_not_reviewed', `The receipt must be reviewed first (it is ${row.status})`)
    return json(row.reviewed) as ReceiptValues
  }

  /** The rules reviewers taught this workspace. */
  async rules(workspaceId: string): Promise<LearnedRules> {
    const rows = await this.db
      .selectFrom('receipt_corrections')
      .select('rule')
      .where('workspace_id', '=', workspaceId)
      .where('rule', 'is not', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
    return rulesFrom(rows.map((r) => json(r.rule) as LearnedRule))
  }

  async list(workspaceId: string, filter: { status?: DocumentStatus } = {}): Promise<DocumentRecord[]> {
    let query = this.db.selectFrom('documents').selectAll().where('workspace_id', '=', workspaceId)
    if (filter.status) query = query.where('status', '=', filter.status)
    const rows = await query.orderBy('created_at', 'desc').orderBy('id').limit(1000).execute()
    return rows.map((r) => this.#toRecord(r, []))
  }

  async getOrThrow(workspaceId: string, documentId: string): Promise<DocumentRecord> {
    const row = await this.#row(workspaceId, documentId)
    return this.#toRecord(row, await this.#duplicates(row))
  }

  /** The full reading: pages, lines, word boxes and confidences. */
  async ocr(workspaceId: string, documentId: string): Promise<OcrResult> {
    const row = await this.#row(workspaceId, documentId)
    if (!row.ocr) throw new AppError(409, 'document_not_read', 'This document has not been read yet')
    return json(row.ocr) as OcrResult
  }

  /** Bytes of the original, the thumbnail or a page image. */
  async content(
    workspaceId: string,
    documentId: string,
    which: { kind: 'original' } | { kind: 'thumbnail' } | { kind: 'page'; page: number },
  ): Promise<{ bytes: Buffer; mime: string }> {
    const row = await this.#row(workspaceId, documentId)
    const dir = this.documentDir(workspaceId, documentId)
    if (which.kind === 'original') return { bytes: await readFile(path.join(dir, 'original')), mime: row.mime }
    if (which.kind === 'thumbnail') return { bytes: await readFile(path.join(dir, 'thumbnail.png')), mime: 'image/png' }
    if (!pagesOf(row).some((p) => p.page === which.page)) throw new NotFoundError('page', String(which.page))
    return { bytes: await readFile(path.join(dir, `page-${which.page}.png`)), mime: 'image/png' }
  }

  async remove(workspaceId: string, documentId: string): Promise<void> {
    await this.#row(workspaceId, documentId)
    await this.db.deleteFrom('documents').where('id', '=', documentId).execute()
    await rm(this.documentDir(workspaceId, documentId), { recursive: true, force: true })
  }

  async #recognize(
    workspaceId: string,
    documentId: string,
    pages: DocumentPage[],
    engine: OcrEngine,
  ): Promise<OcrResult> {
    const started = performance.now()
    const job = await ToolJob.create()
    try {
      const read: OcrPage[] = []
      for (const p of pages) {
        const file = `page-${p.page}.png`
        await copyFile(path.join(this.documentDir(workspaceId, documentId), file), job.file(file))
        read.push(
          await engine.recognize({
            job,
            file,
            width: p.width,
            height: p.height,
            page: p.page,
            languages: this.options.languages,
          }),
        )
      }
      const words = read.flatMap((p) => p.lines.flatMap((l) => l.words.map((w) => w.confidence)))
      return {
        engine: engine.name,
        source: 'ocr',
        pages: read,
        text: read.map((p) => p.text).join('\n\f'),
        confidence: mean(words),
        seconds: (performance.now() - started) / 1000,
      }
    } catch (err) {
      if (err instanceof ToolError) throw new OcrEngineError(engine.name, err.message)
      throw err
    } finally {
      await job.dispose()
    }
  }

  async #receive(body: AsyncIterable<Uint8Array> | null, target: string): Promise<{ size: number; sha256: string }> {
    const max = this.options.limits.maxBytes
    const hash = createHash('sha256')
    const partial = `${target}.part`
    const handle = await open(partial, 'w')
    let size = 0
    try {
      if (body)
        for await (const chunk of body) {
          size += chunk.length
          if (size > max)
            throw new AppError(413, 'document_too_large', `Documents are limited to ${max} bytes`, { limit: max })
          hash.update(chunk)
          await handle.write(chunk)
        }
    } finally {
      await handle.close()
    }
    await rename(partial, target)
    return { size, sha256: hash.digest('hex') }
  }

  async #sniff(file: string): Promise<DocumentMime> {
    return this.#guard(() => sniffDocument(file))
  }

  /** Document errors become API errors with their stable code. */
  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof DocumentError) {
        const status =
          err.code === 'unsupported_document'
            ? 415
            : err.code === 'unreadable_document' || err.code === 'encrypted_pdf'
              ? 422
              : 413
        throw new AppError(status, err.code, err.message)
      }
      if (err instanceof ToolError && err.reason === 'missing')
        throw new AppError(503, 'ocr_unavailable', 'The document tools (poppler, tesseract) are not installed')
      throw err
    }
  }

  async #limit<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.options.concurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    this.#running++
    try {
      return await fn()
    } finally {
      this.#running--
      this.#waiting.shift()?.()
    }
  }

  async #update(documentId: string, set: Partial<Record<keyof DocumentsTable, unknown>>) {
    await this.db
      .updateTable('documents')
      .set({ ...set, updated_at: new Date() } as never)
      .where('id', '=', documentId)
      .execute()
  }

  async #row(workspaceId: string, documentId: string) {
    const row = await this.db
      .selectFrom('documents')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', documentId)
      .executeTakeFirst()
    if (!row) throw new NotFoundError('document', documentId)
    return row
  }

  async #duplicates(row: Selectable<DocumentsTable>): Promise<Duplicate[]> {
    const sameFile = await this.db
      .selectFrom('documents')
      .select(['id', 'name'])
      .where('workspace_id', '=', row.workspace_id)
      .where('sha256', '=', row.sha256)
      .where('id', '!=', row.id)
      .orderBy('created_at')
      .limit(20)
      .execute()
    const found: Duplicate[] = sameFile.map((d) => ({ documentId: d.id, name: d.name, reason: 'same_file' }))
    if (row.merchant_key && row.receipt_date && row.total_cents !== null) {
      const sameReceipt = await this.db
        .selectFrom('documents')
        .select(['id', 'name'])
        .where('workspace_id', '=', row.workspace_id)
        .where('receipt_date', '=', row.receipt_date)
        .where('total_cents', '=', Number(row.total_cents))
        .where('merchant_key', '=', row.merchant_key)
        .where('id', '!=', row.id)
        .orderBy('created_at')
        .limit(20)
        .execute()
      for (const d of sameReceipt)
        if (!found.some((f) => f.documentId === d.id))
          found.push({ documentId: d.id, name: d.name, reason: 'same_receipt' })
    }
    return found
  }

  #toRecord(row: Selectable<DocumentsTable>, duplicates: Duplicate[]): DocumentRecord {
    const receipt = row.receipt ? (json(row.receipt) as ParsedReceipt) : null
    const ocr = row.ocr ? (json(row.ocr) as OcrResult) : null
    const threshold = this.options.reviewThreshold
    return {
      id: row.id,
      workspaceId: row.workspace_id,
      name: row.name,
      mime: row.mime as DocumentMime,
      kind: row.kind as DocumentKind,
      size: Number(row.size),
      sha256: row.sha256,
      pageCount: row.page_count,
      pages: pagesOf(row),
      status: row.status as DocumentStatus,
      engine: row.engine,
      textSource: ocr?.source ?? null,
      ocrConfidence: ocr ? ocr.confidence : null,
      receipt,
      values: row.reviewed ? (json(row.reviewed) as ReceiptValues) : null,
      confidence: row.confidence,
      lowConfidence: receipt ? SCORED_FIELDS.filter((f) => receipt[f].confidence < threshold) : [],
      duplicates,
      error: row.error_code ? { code: row.error_code, message: row.error ?? '' } : null,
      createdBy: row.created_by,
      reviewedBy: row.reviewed_by,
      reviewedAt: row.reviewed_at ? new Date(row.reviewed_at).toISOString() : null,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    }
  }
}

function receiptKeys(values: ReceiptValues | null) {
  return {
    merchant_key: values?.merchant ? merchantKey(values.merchant) : null,
    receipt_date: values?.date ?? null,
    total_cents: values?.total !== null && values?.total !== undefined ? Math.round(values.total * 100) : null,
  }
}

function pagesOf(row: Selectable<DocumentsTable>): DocumentPage[] {
  return json(row.pages) as DocumentPage[]
}

/** jsonb comes back parsed from PostgreSQL and as text from PGlite in some paths. */
function json(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value
}

function safe(id: string): string {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) throw new Error(`unsafe path segment: ${id}`)
  return id
}
