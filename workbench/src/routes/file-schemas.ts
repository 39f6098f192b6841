import { z } from '@hono/zod-openapi'
import { COLUMN_TYPES } from '../files/column-types.ts'
import { ENCODINGS } from '../files/encoding.ts'

/** Request and response shapes of the files API (routes/files.ts). */
export const ErrorBody = z
  .object({ code: z.string(), message: z.string(), requestId: z.string(), details: z.unknown().optional() })
  .openapi('FilesErrorBody')

export const WorkspaceParam = z.object({ workspaceId: z.string().min(1).max(100) })
export const FileParams = WorkspaceParam.extend({ fileId: z.string().min(1).max(100) })
export const ImportParams = WorkspaceParam.extend({ importId: z.string().min(1).max(100) })
export const TableParams = WorkspaceParam.extend({ table: z.string().min(1).max(100) })

export const Sheet = z.object({
  index: z.number().openapi({ description: "Position in the workbook's tab order (0-based)" }),
  name: z.string().openapi({ description: 'The tab name' }),
  rows: z.number().openapi({ description: 'Number of the last row with a value' }),
  hidden: z.boolean(),
})

export const FileRecord = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    name: z.string(),
    size: z.number(),
    status: z.enum(['uploading', 'ready']),
    received: z.number().openapi({ description: 'Bytes the server holds: where a resumed upload continues' }),
    format: z.enum(['csv', 'tsv', 'xlsx', 'parquet', 'json', 'ndjson']).nullable(),
    encoding: z.enum(ENCODINGS).nullable(),
    sheets: z
      .array(
        Sheet.extend({
          columns: z.number(),
          headerRow: z.number().openapi({ description: 'The row that looks like the header (1-based; 0: empty)' }),
        }),
      )
      .nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('UploadedFile')

export const BeginUpload = z
  .object({
    name: z.string().trim().min(1).max(255),
    size: z.number().int().min(1).openapi({ description: 'Total bytes that will be sent' }),
  })
  .openapi('BeginUpload')

export const ReadOptions = z
  .object({
    encoding: z.enum(ENCODINGS).optional(),
    delimiter: z.string().length(1).optional(),
    quote: z.string().max(1).optional().openapi({ description: 'Quote character; empty for none' }),
    escape: z
      .string()
      .max(1)
      .optional()
      .openapi({ description: 'Escape character inside quoted values (default: the quote, doubled)' }),
    decimal: z.enum(['.', ',']).optional().openapi({ description: 'Decimal separator of numbers' }),
    header: z.boolean().optional(),
    sheet: z.number().int().min(0).optional(),
    skipRows: z
      .number()
      .int()
      .min(0)
      .max(1_048_575)
      .optional()
      .openapi({ description: 'Workbooks: rows skipped above the header row (detected when left out)' }),
    columns: z
      .array(
        z.object({
          name: z.string().trim().min(1).max(255),
          type: z
            .string()
            .min(1)
            // A detected nested type (a GeoJSON feature's STRUCT, say) is long; it must match the detection.
            .max(100_000)
            .openapi({
              description: `One of ${COLUMN_TYPES.join(', ')}, DECIMAL(p,s), or the type the preview detected for that column`,
            }),
        }),
      )
      .max(5000)
      .optional(),
  })
  .openapi('FileReadOptions')

export const Problem = z
  .object({
    kind: z.enum([
      'ragged_row',
      'broken_quote',
      'cast',
      'inexact',
      'mixed_types',
      'invalid_encoding',
      'invalid_json',
      'cell_error',
      'merged_cells',
      'other',
    ]),
    line: z.number().optional(),
    lines: z.number().optional().openapi({ description: 'Lines of the file the problem covers, when more than one' }),
    row: z.number().optional(),
    column: z.string().optional(),
    message: z.string(),
    raw: z.string().optional(),
  })
  .openapi('FileProblem')

export const Preview = z
  .object({
    fileId: z.string(),
    format: z.string(),
    encoding: z.string().nullable(),
    delimiter: z.string().nullable(),
    quote: z.string().nullable(),
    escape: z.string().nullable(),
    decimal: z.enum(['.', ',']).nullable(),
    header: z.boolean().nullable(),
    sheet: z.number().nullable(),
    sheets: z.array(Sheet).nullable(),
    skipRows: z.number().nullable(),
    detectedHeaderRow: z.number().nullable(),
    columns: z.array(z.object({ source: z.string(), name: z.string(), type: z.string() })),
    columnTypes: z
      .array(z.string())
      .openapi({ description: 'Types a column may be given (besides the one detected for it)' }),
    rows: z.array(z.array(z.unknown())),
    problems: z.array(Problem),
    wholeFileChecked: z.boolean(),
  })
  .openapi('FilePreview')

export const ImportRequest = z
  .object({
    table: z.string().min(1).max(63),
    mode: z.enum(['replace', 'append']).default('replace'),
    options: ReadOptions.default({}),
  })
  .openapi('ImportRequest')

export const RejectedRow = z
  .object({
    line: z.number().nullable(),
    lines: z.number().openapi({ description: 'Lines of the file this rejected row covers' }),
    column: z.string().nullable(),
    kind: z.string(),
    reason: z.string(),
    raw: z.string().nullable(),
  })
  .openapi('RejectedRow')

export const ImportRecord = z
  .object({
    id: z.string(),
    fileId: z.string().nullable(),
    fileName: z.string(),
    table: z.string(),
    mode: z.enum(['replace', 'append']),
    status: z.enum(['running', 'succeeded', 'failed']),
    rowsLoaded: z.number(),
    rowsRejected: z.number(),
    rejectsTable: z.string().nullable(),
    error: z.string().nullable(),
    createdBy: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi('FileImport')

export const ImportResult = ImportRecord.extend({
  rejects: z.array(RejectedRow),
  fileLines: z
    .number()
    .nullable()
    .openapi({ description: 'Lines in the file read (delimited text), to set beside the rows read' }),
  linesRejected: z.number().openapi({ description: 'Lines of the file the rejected rows cover' }),
}).openapi('FileImportResult')

export const TableInfo = z.object({ schema: z.string(), name: z.string(), rows: z.number(), columns: z.number() })

export const TablePreview = z
  .object({
    schema: z.string(),
    name: z.string(),
    columns: z.array(z.object({ name: z.string(), type: z.string() })),
    rows: z.array(z.array(z.unknown())),
    totalRows: z.number(),
  })
  .openapi('TablePreview')

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})
