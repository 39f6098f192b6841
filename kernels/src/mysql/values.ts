import type { FieldPacket } from 'mysql2'
import mysql from 'mysql2'
import type { TableColumn } from '../kernel.ts'

/**
 * Values as JSON-safe as the other kernels send them: the connection asks for dates as the server's
 * text and big numbers as strings; binary columns become `\x..` hex text here.
 */
export function jsonSafeRow(row: unknown[]): unknown[] {
  return row.map((v) => (Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v))
}

const TYPE_NAMES = mysql.Types as unknown as Record<number, string>

/** Column names and the server's type names (`VARCHAR`, `LONGLONG`, `NEWDECIMAL`...). */
export function columnsOf(fields: FieldPacket[] | undefined): TableColumn[] {
  return (fields ?? []).map((f) => ({
    name: f.name,
    type: TYPE_NAMES[(f as { columnType?: number }).columnType ?? f.type ?? -1] ?? 'UNKNOWN',
  }))
}

/** Connection options every kernel connection uses, over the caller's. */
export const kernelConnectionDefaults = {
  dateStrings: true,
  supportBigNumbers: true,
  bigNumberStrings: true,
  multipleStatements: false,
  rowsAsArray: true,
} as const
