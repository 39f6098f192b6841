import type { Generated } from 'kysely'

/** An uploaded image or PDF (migration 0023). bigints read back as strings on PostgreSQL. */
export interface DocumentsTable {
  id: string
  workspace_id: string
  name: string
  mime: string
  kind: string
  size: number | string
  sha256: string
  page_count: number
  pages: unknown
  status: string
  engine: string | null
  ocr: unknown
  ocr_confidence: number | null
  receipt: unknown
  reviewed: unknown
  confidence: number | null
  merchant_key: string | null
  receipt_date: string | null
  total_cents: number | string | null
  error_code: string | null
  error: string | null
  created_by: string | null
  reviewed_by: string | null
  reviewed_at: Date | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface ReceiptCorrectionsTable {
  id: string
  workspace_id: string
  document_id: string | null
  field: string
  parsed: unknown
  corrected: unknown
  source_text: string | null
  rule: unknown
  created_by: string | null
  created_at: Generated<Date>
}

export interface DocumentTables {
  documents: DocumentsTable
  receipt_corrections: ReceiptCorrectionsTable
}
