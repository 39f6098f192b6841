import { z } from '@hono/zod-openapi'

/** Request and response shapes of the documents API (routes/documents.ts). */
export const DocumentErrorBody = z
  .object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() })
  .openapi('DocumentErrorBody')

export const DocumentWorkspaceParam = z.object({ workspaceId: z.string().min(1).max(100) })
export const DocumentParams = DocumentWorkspaceParam.extend({ documentId: z.string().min(1).max(100) })
export const PageParams = DocumentParams.extend({ page: z.coerce.number().int().min(1).max(10_000) })

export const DOCUMENT_STATUSES = ['uploaded', 'ocr_done', 'needs_review', 'reviewed', 'no_text', 'failed'] as const
const PAYMENT_METHODS = ['card', 'cash', 'cheque', 'transfer', 'other'] as const

export const Box = z
  .object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() })
  .openapi('DocumentBox', { description: 'Pixels of the page image (GET …/pages/{page}), origin top left' })

const FieldSource = z
  .object({ page: z.number(), box: Box, text: z.string().openapi({ description: 'The line the value was read from' }) })
  .nullable()

const field = <T extends z.ZodType>(value: T) =>
  z.object({ value: value.nullable(), confidence: z.number().min(0).max(1), source: FieldSource })

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'an ISO date YYYY-MM-DD')
const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR')

const TaxLine = z.object({
  rate: z.number().nullable().openapi({ description: 'Percent, e.g. 20 or 5.5' }),
  amount: z.number().nullable(),
  base: z.number().nullable(),
})
const LineItem = z.object({
  description: z.string().min(1).max(500),
  quantity: z.number().nullable(),
  unitPrice: z.number().nullable(),
  amount: z.number(),
})

export const ParsedReceipt = z
  .object({
    merchant: field(z.string()),
    date: field(z.string()),
    total: field(z.number()),
    subtotal: field(z.number()),
    taxTotal: field(z.number()),
    currency: field(z.string()),
    paymentMethod: field(z.enum(PAYMENT_METHODS)),
    taxes: z.array(TaxLine.extend({ confidence: z.number(), source: FieldSource })),
    lineItems: z.array(LineItem.extend({ confidence: z.number(), source: FieldSource })),
    locale: z.enum(['fr', 'en-GB', 'en-US']),
    confidence: z.number(),
    warnings: z.array(z.string()),
  })
  .openapi('ParsedReceipt')

export const ReceiptValues = z
  .object({
    merchant: z.string().nullable(),
    date: z.string().nullable(),
    total: z.number().nullable(),
    subtotal: z.number().nullable(),
    taxTotal: z.number().nullable(),
    currency: z.string().nullable(),
    paymentMethod: z.enum(PAYMENT_METHODS).nullable(),
    taxes: z.array(TaxLine),
    lineItems: z.array(LineItem),
  })
  .openapi('ReceiptValues')

export const DocumentRecord = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    name: z.string(),
    mime: z.enum(['image/jpeg', 'image/png', 'image/heic', 'application/pdf']),
    kind: z.enum(['image', 'pdf']),
    size: z.number(),
    sha256: z.string(),
    pageCount: z.number(),
    pages: z.array(z.object({ page: z.number(), width: z.number(), height: z.number() })),
    status: z.enum(DOCUMENT_STATUSES),
    engine: z.string().nullable(),
    textSource: z.enum(['ocr', 'pdf_text']).nullable(),
    ocrConfidence: z.number().nullable(),
    receipt: ParsedReceipt.nullable(),
    values: ReceiptValues.nullable().openapi({ description: "The parser's values with the reviewer's corrections" }),
    confidence: z.number().nullable(),
    lowConfidence: z.array(z.string()).openapi({ description: 'Fields under the review threshold' }),
    duplicates: z.array(
      z.object({ documentId: z.string(), name: z.string(), reason: z.enum(['same_file', 'same_receipt']) }),
    ),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    createdBy: z.string().nullable(),
    reviewedBy: z.string().nullable(),
    reviewedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Document')

const OcrWord = z.object({ text: z.string(), box: Box, confidence: z.number() })
export const OcrResult = z
  .object({
    engine: z.string(),
    source: z.enum(['ocr', 'pdf_text']),
    confidence: z.number(),
    seconds: z.number(),
    text: z.string(),
    pages: z.array(
      z.object({
        page: z.number(),
        width: z.number(),
        height: z.number(),
        rotation: z.number(),
        confidence: z.number(),
        text: z.string(),
        lines: z.array(z.object({ text: z.string(), box: Box, confidence: z.number(), words: z.array(OcrWord) })),
      }),
    ),
  })
  .openapi('OcrResult')

export const UploadQuery = z.object({
  name: z.string().min(1).max(255).openapi({ description: 'The file name shown in lists' }),
  process: z.enum(['true', 'false']).default('true').openapi({ description: 'Read and parse at once (default)' }),
  engine: z.string().min(1).max(50).optional(),
})

export const ProcessRequest = z.object({ engine: z.string().min(1).max(50).optional() })

export const ReviewRequest = z
  .object({
    corrections: z
      .object({
        merchant: z.string().trim().min(1).max(200).nullable(),
        date: IsoDate.nullable(),
        total: z.number().min(0).max(1e9).nullable(),
        subtotal: z.number().min(0).max(1e9).nullable(),
        taxTotal: z.number().min(0).max(1e9).nullable(),
        currency: Currency.nullable(),
        paymentMethod: z.enum(PAYMENT_METHODS).nullable(),
        taxes: z.array(TaxLine).max(20),
        lineItems: z.array(LineItem).max(500),
      })
      .partial()
      .strict()
      .default({}),
    accept: z
      .boolean()
      .default(false)
      .openapi({ description: 'Mark the receipt reviewed (needs merchant, date, total)' }),
  })
  .openapi('ReceiptReview')

export const LearnedRules = z
  .object({
    merchantAliases: z.record(z.string(), z.string()),
    dateOrder: z.record(z.string(), z.enum(['dmy', 'mdy'])),
  })
  .openapi('ReceiptRules')

export const djson = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})
