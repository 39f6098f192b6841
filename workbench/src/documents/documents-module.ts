import type { Kysely } from 'kysely'
import type { OutboundPolicy } from '../connections/outbound-policy.ts'
import type { Database } from '../db/schema.ts'
import type { ReceiptLocale } from '../receipts/types.ts'
import { DocumentService } from './document-service.ts'
import { HttpOcrEngine } from './ocr/http-engine.ts'
import { TesseractEngine } from './ocr/tesseract.ts'
import type { OcrEngine } from './ocr/types.ts'
import { defaultDocumentLimits } from './pages.ts'
import { createToolRunner, type ToolSandbox } from './tool-runner.ts'

export interface DocumentsConfig {
  engine: 'tesseract' | 'http' | 'off'
  http?: { url: string; token?: string }
  languages: string[]
  defaultLocale: ReceiptLocale
  maxBytes: number
  maxPages: number
  maxPixels: number
  sandbox: ToolSandbox
}

/**
 * The documents service with its engines: Tesseract always (unless OCR is off), the HTTP engine when a URL is
 * configured (its requests go through the outbound policy), the configured one as default.
 */
export function createDocuments(
  db: Kysely<Database>,
  dataDir: string,
  config: DocumentsConfig,
  outbound: OutboundPolicy,
): DocumentService {
  const runner = createToolRunner(config.sandbox)
  const engines: Record<string, OcrEngine> = {}
  if (config.engine !== 'off') engines.tesseract = new TesseractEngine(runner)
  if (config.http)
    engines.http = new HttpOcrEngine({
      url: config.http.url,
      token: config.http.token,
      timeoutMs: 60_000,
      fetch: outbound.fetch(),
    })
  return new DocumentService(db, {
    dataDir,
    runner,
    engines,
    defaultEngine: config.engine === 'off' ? 'none' : config.engine,
    languages: config.languages,
    defaultLocale: config.defaultLocale,
    limits: {
      ...defaultDocumentLimits,
      maxBytes: config.maxBytes,
      maxPages: config.maxPages,
      maxPixels: config.maxPixels,
    },
  })
}
